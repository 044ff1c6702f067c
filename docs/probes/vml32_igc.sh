#!/bin/sh
# Builds Intel's published float32 math (intel-graphics-compiler, MIT,
# IGC/BiFModule/Implementation/IMF/FP32/*.cl) as host C libraries, to test the hypothesis
# that MKL's CPU code is the same algorithm (it is for vsLn: ln_s_ha.cl, nothing fused).
# Each `__spirv_ocl_fma` becomes a call that is fused or not per source line (the array FUSE,
# which vml32_igc.py sets), so any mix of fused and unfused steps can be tried.
# Usage: sh vml32_igc.sh IGC_CHECKOUT OUTDIR   (then python vml32_igc.py OUTDIR ...)
set -e
IGC=$1; OUT=$2; mkdir -p "$OUT"
SRC=$IGC/IGC/BiFModule/Implementation/IMF
cp "$SRC/imf.h" "$OUT/imf_types.h"
cat > "$OUT/shim.h" <<'H'
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stddef.h>
#define __constant const
#define __global
#define __private
int FUSE[8192];
static inline float mfaf(int l, float a, float b, float c) { if (FUSE[l]) return fmaf(a, b, c); volatile float p = a * b; return p + c; }
static inline double mfad(int l, double a, double b, double c) { if (FUSE[l]) return fma(a, b, c); volatile double p = a * b; return p + c; }
#define __spirv_ocl_fma(a, b, c) _Generic((a) + (b) + (c), float: mfaf, default: mfad)(__LINE__, (a), (b), (c))
#define __spirv_ocl_sqrt(a) _Generic((a), float: sqrtf, default: sqrt)(a)
#define __spirv_ocl_fmin(a, b) _Generic((a) + (b), float: fminf, default: fmin)((a), (b))
#define __spirv_ocl_fabs(a) _Generic((a), float: fabsf, default: fabs)(a)
#define SPIRV_OCL_BUILTIN(n, s, x) __spirv_ocl_##n
static inline float as_float(unsigned int u) { float f; memcpy(&f, &u, 4); return f; }
static inline unsigned int as_uint(float f) { unsigned int u; memcpy(&u, &f, 4); return u; }
#include "imf_types.h"
H
for cl in "$SRC"/FP32/*.cl; do
  b=$(basename "$cl" .cl)
  case $b in ln_s_*|log10_s_*|log2_s_*|erf_s_*|erfc_s_*|atan_s_*|tan_s_*|asin_s_*|acos_s_*) ;; *) continue ;; esac
  fn=$(grep -o -E 'float __ocl_svml_[a-zA-Z0-9_]+ ?\(float [a-z]+\)' "$cl" | head -1 | sed -E 's/float (__ocl_svml_[a-zA-Z0-9_]+) ?\(.*/\1/')
  [ -n "$fn" ] || continue
  sed 's@#include "../imf.h"@@' "$cl" > "$OUT/$b.inc"
  printf '#include "shim.h"\n#include "%s.inc"\nvoid run(const float *x, float *y, size_t n) { for (size_t i = 0; i < n; i++) y[i] = %s(x[i]); }\n' "$b" "$fn" > "$OUT/w_$b.c"
  gcc -O1 -w -fgnu89-inline -ffp-contract=off -mfma -I"$OUT" -shared -fPIC -o "$OUT/$b.so" "$OUT/w_$b.c" -lm || echo "skipped $b"
  grep -n '__spirv_ocl_fma\|SPIRV_OCL_BUILTIN(fma' "$OUT/$b.inc" | cut -d: -f1 | tr '\n' ' ' > "$OUT/$b.lines"
done
