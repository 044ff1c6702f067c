/* Candidate float32 sqrt sequences against torch.sqrt on [1, 4) (y14.bin); see bench/vsqrt/README.md. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdint.h>
#define N (1<<24)
static float X[N], Y[N];
static float bits2f(uint32_t b){float f; memcpy(&f,&b,4); return f;}
typedef float (*cand)(float);
static float rs12(float x){ return _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x))); }
static float rs14(float x){ return _mm_cvtss_f32(_mm_rsqrt14_ss(_mm_set_ss(x),_mm_set_ss(x))); }
static float fmaf_(float a,float b,float c){ return fmaf(a,b,c); }
// A: non fused residual
static float cA12(float x){ float r=rs12(x); float hi=x*r; float e=x-hi*hi; return hi+e*(0.5f*r);}
static float cA14(float x){ float r=rs14(x); float hi=x*r; float e=x-hi*hi; return hi+e*(0.5f*r);}
// Newton refined rsqrt then A
static float nr(float x,float r){ return 0.5f*r*(3.0f - x*r*r); }
static float nr2(float x,float r){ return (0.5f*r)*(3.0f - (x*r)*r); }
static float nr3(float x,float r){ return r*(1.5f - 0.5f*x*r*r); }
static float nr4(float x,float r){ return r + r*(0.5f - 0.5f*x*r*r); }
static float cB1(float x){ float r=nr(x,rs12(x)); return x*r; }
static float cB2(float x){ float r=nr2(x,rs12(x)); return x*r; }
static float cB3(float x){ float r=nr3(x,rs12(x)); return x*r; }
static float cB4(float x){ float r=nr4(x,rs12(x)); return x*r; }
static float cC1(float x){ float r=rs12(x); float hi=x*r; return 0.5f*hi*(3.0f - hi*r); }
static float cC2(float x){ float r=rs12(x); float hi=x*r; return (0.5f*hi)*(3.0f - hi*r); }
static float cC3(float x){ float r=rs12(x); float hi=x*r; float h=0.5f*r; float e=0.5f-hi*h; return hi+hi*e; }
static float cC4(float x){ float r=rs12(x); float hi=x*r; float h=0.5f*r; float e=0.5f-h*hi; return hi+hi*e; }
static float cD1(float x){ float r=nr(x,rs12(x)); float hi=x*r; float e=x-hi*hi; return hi+e*(0.5f*r);}
static float cD2(float x){ float r=nr(x,rs12(x)); float hi=x*r; float e=fmaf_(-hi,hi,x); return fmaf_(e,0.5f*r,hi);}
static float cE1(float x){ float r=rs14(x); float hi=x*r; float e=fmaf_(-hi,hi,x); return fmaf_(e,0.5f*r,hi);}
static float cE2(float x){ float r=rs12(x); float hi=x*r; float e=fmaf_(-hi,hi,x); return fmaf_(e,0.5f*r,hi);}
static float cF1(float x){ float r=rs12(x); float hi=x*r; float h=0.5f*r; float e=fmaf_(-hi,h,0.5f); hi=fmaf_(hi,e,hi); h=fmaf_(h,e,h); float d=x-hi*hi; return hi+d*h;}
static float cF2(float x){ float r=rs12(x); float hi=x*r; float h=0.5f*r; float e=fmaf_(-hi,h,0.5f); hi=fmaf_(hi,e,hi); h=fmaf_(h,e,h); float d=fmaf_(-hi,hi,x); return fmaf_(d,h,hi);}
static float cG1(float x){ float r=rs12(x); float hi=x*r; float h=0.5f*r; float e=0.5f-hi*h; hi=hi+hi*e; h=h+h*e; float d=x-hi*hi; return hi+d*h;}
static float cG2(float x){ float r=rs14(x); float hi=x*r; float h=0.5f*r; float e=0.5f-hi*h; hi=hi+hi*e; h=h+h*e; float d=x-hi*hi; return hi+d*h;}
int main(){
  FILE*f=fopen("y14.bin","rb"); fread(Y,4,N,f); fclose(f);
  for(uint32_t i=0;i<N;i++) X[i]=bits2f(0x3f800000u+i);
  struct {const char*n; cand c;} cs[]={{"A12",cA12},{"A14",cA14},{"B1",cB1},{"B2",cB2},{"B3",cB3},{"B4",cB4},{"C1",cC1},{"C2",cC2},{"C3",cC3},{"C4",cC4},{"D1",cD1},{"D2",cD2},{"E1",cE1},{"E2",cE2},{"F1",cF1},{"F2",cF2},{"G1",cG1},{"G2",cG2}};
  for(int k=0;k<sizeof cs/sizeof cs[0];k++){
    long a=0,b=0;
    for(long i=0;i<N;i++){ float v=cs[k].c(X[i]); if(v==Y[i]){ if(i< N/2)a++; else b++; } }
    printf("%-4s [1,2) %.5f [2,4) %.5f\n", cs[k].n, a/(double)(N/2), b/(double)(N/2));
  }
}
