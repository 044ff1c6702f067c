/* The G1 sequence, compared with torch.sqrt over chunks of bit patterns; see bench/vsqrt/README.md. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
static float rs12(float x){ return _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x))); }
static float g1(float x){ float r=rs12(x); float hi=x*r; float h=0.5f*r; float e=0.5f-hi*h; hi=hi+hi*e; h=h+h*e; float d=x-hi*hi; return hi+d*h;}
// compare torch output y for inputs with bits [start, start+n); write mismatching bit patterns to out, return count
long cmp(uint32_t start, long n, const float* y, uint32_t* out, long maxout){
  long c=0;
  for(long i=0;i<n;i++){ uint32_t b=start+(uint32_t)i; float x; memcpy(&x,&b,4); float v=g1(x);
    uint32_t vb, yb; memcpy(&vb,&v,4); memcpy(&yb,&y[i],4);
    int same = (vb==yb) || (v!=v && y[i]!=y[i]);
    if(!same){ if(c<maxout) out[c]=b; c++; } }
  return c;
}
