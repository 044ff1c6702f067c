//! Property tests of the matmul kernels' loop nests (gemm_avx512.rs, gemm_avx2.rs and the
//! portable one, each forced in turn): over random shapes, strided and transposed operands and
//! carried or added chains, every output keeps the bits of its scalar FMA chain, whichever
//! path (`b` read in place or packed, edge tiles) computes it.

use proptest::prelude::*;

use lessonrun::tensor::kernels::{self, Chain, Float, Mat};

trait Bits: Float {
    fn bits(self) -> u64;
}
impl Bits for f32 {
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}
impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

/// Values of very different magnitudes, with signed zeros, so any change of order shows.
pub(super) fn values<T: Float>(len: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            T::from_f64(match s % 16 {
                0 => 0.0,
                1 => -0.0,
                2 => u * 1e20,
                3 => u * 1e-20,
                _ => u,
            })
        })
        .collect()
}

/// A `rows x cols` matrix laid out as asked: row-major with `pad` extra elements per row, or
/// transposed (column-major) with the padding per column. Returns the buffer and its strides.
pub(super) fn layout<T: Float>(
    m: &[T],
    rows: usize,
    cols: usize,
    transposed: bool,
    pad: usize,
) -> (Vec<T>, usize, usize) {
    if transposed {
        let ld = rows + pad;
        let mut buf = vec![T::from_f64(7.0); ld * cols];
        for i in 0..rows {
            for j in 0..cols {
                buf[j * ld + i] = m[i * cols + j];
            }
        }
        (buf, 1, ld)
    } else {
        let ld = cols + pad;
        let mut buf = vec![T::from_f64(7.0); ld * rows];
        for i in 0..rows {
            buf[i * ld..i * ld + cols].copy_from_slice(&m[i * cols..(i + 1) * cols]);
        }
        (buf, ld, 1)
    }
}

/// One shape on every kernel the CPU has: `fused_matmul_chain` (from +0, carried, added)
/// against the scalar chain, and `matmul_mat` (MKL's long-sum split, small-shape rules) and
/// `matmul_add_mat` against `matmul_reference_mat`.
fn check<T: Bits>(m: usize, k: usize, n: usize, seed: u64, bt: bool, pad: usize) {
    let a: Vec<T> = values(m * k, seed);
    let b: Vec<T> = values(k * n, seed ^ 0x5555);
    let start: Vec<T> = values(m * n, seed ^ 0xAAAA);
    let (ab, ars, _) = layout(&a, m, k, false, pad);
    let (bb, brs, bcs) = layout(&b, k, n, bt, pad);
    let (at, ats, atc) = layout(&a, m, k, true, pad);
    let mb = Mat {
        data: &bb,
        rs: brs,
        cs: bcs,
        start: 0,
    };
    let bits = |v: &[T]| v.iter().map(|&x| x.bits()).collect::<Vec<_>>();
    // `a` row-major and transposed (read in place, its elements broadcast one by one).
    for (ma, at_) in [
        (
            Mat {
                data: &ab,
                rs: ars,
                cs: 1,
                start: 0,
            },
            false,
        ),
        (
            Mat {
                data: &at,
                rs: ats,
                cs: atc,
                start: 0,
            },
            true,
        ),
    ] {
        // The scalar chains, once for every kernel.
        let wants: Vec<Vec<u64>> = [Chain::Fresh, Chain::Carry, Chain::AddTo]
            .iter()
            .map(|&how| {
                let chain: Vec<T> = (0..m * n)
                    .map(|x| {
                        let (i, j) = (x / n, x % n);
                        let acc = if how == Chain::Carry { start[x] } else { T::zero() };
                        let acc = (0..k).fold(acc, |acc, p| a[i * k + p].mul_add(b[p * n + j], acc));
                        if how == Chain::AddTo { start[x] + acc } else { acc }
                    })
                    .collect();
                bits(&chain)
            })
            .collect();
        // Its own layout's reference: the one-column order depends on `a`'s layout.
        let reference = kernels::matmul_reference_mat(ma, mb, m, k, n);
        let added: Vec<T> = start.iter().zip(&reference).map(|(&s, &p)| s + p).collect();
        for simd in kernels::simd_available() {
            kernels::with_simd(simd, || {
                for (how, want) in [Chain::Fresh, Chain::Carry, Chain::AddTo].into_iter().zip(&wants) {
                    let mut out = if how == Chain::Fresh {
                        vec![T::from_f64(3.0); m * n]
                    } else {
                        start.clone()
                    };
                    kernels::fused_matmul_chain(ma, mb, &mut out, m, k, n, how);
                    assert_eq!(
                        &bits(&out),
                        want,
                        "{simd:?} ({m},{k})@({k},{n}) a transposed {at_} b transposed {bt} pad {pad} {how:?}"
                    );
                }
                assert_eq!(
                    bits(&kernels::matmul_mat(ma, mb, m, k, n)),
                    bits(&reference),
                    "{simd:?} matmul_mat ({m},{k})@({k},{n}) a transposed {at_} b transposed {bt} pad {pad}"
                );
                let mut sum = start.clone();
                kernels::matmul_add_mat(ma, mb, &mut sum, m, k, n);
                assert_eq!(
                    bits(&sum),
                    bits(&added),
                    "{simd:?} matmul_add_mat ({m},{k})@({k},{n}) a transposed {at_} b transposed {bt} pad {pad}"
                );
            });
        }
    }
}

fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![1..300usize, Just(192), Just(193), Just(384), Just(385)]
}

/// Three dims of which any one or two may be large, but whose product stays under 1.5 million
/// (the largest dim is cut to fit): a case costs `check` some twenty products of that volume
/// on every kernel, and cases with all three dims near 300 made these two tests take most of
/// the suite's minute while adding no loop-nest edge that a cut case lacks.
fn shape() -> impl Strategy<Value = (usize, usize, usize)> {
    const MAX_VOLUME: usize = 1_500_000;
    (dim(), dim(), dim()).prop_map(|(m, k, n)| {
        let mut d = [m, k, n];
        let big = (0..3).max_by_key(|&i| d[i]).unwrap_or(0);
        let rest = d.iter().enumerate().filter(|&(i, _)| i != big).map(|(_, &x)| x).product::<usize>();
        d[big] = d[big].min((MAX_VOLUME / rest).max(1));
        (d[0], d[1], d[2])
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn matmul_kernel_keeps_each_chain_f32((m, k, n) in shape(), seed: u64, bt: bool, pad in 0..3usize) {
        check::<f32>(m, k, n, seed, bt, pad);
    }

    #[test]
    fn matmul_kernel_keeps_each_chain_f64((m, k, n) in shape(), seed: u64, bt: bool, pad in 0..3usize) {
        check::<f64>(m, k, n, seed, bt, pad);
    }

    /// Few rows take the in-place path; many the packed one; both on every column edge.
    #[test]
    fn matmul_kernel_small_and_tall_f32(m in prop_oneof![1..20usize, 90..110usize], k in 1..40usize, n in 1..70usize, seed: u64, bt: bool, pad in 0..3usize) {
        check::<f32>(m, k, n, seed, bt, pad);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Every tile height of the AVX-512 kernel (blocks of up to 96 rows split into tiles of at
    /// most 12) and both column vectors' edges, with chains across its 128-row panels of `b`.
    #[test]
    fn matmul_kernel_tile_edges_f32(m in prop_oneof![1..30usize, 95..110usize, 185..200usize], k in prop_oneof![1..20usize, 120..140usize, 250..270usize], n in prop_oneof![1..70usize, 500..520usize], seed: u64, bt: bool, pad in 0..3usize) {
        check::<f32>(m, k, n, seed, bt, pad);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Few rows and a long sum (a convolution's weight gradient over images x positions): a
    /// row-major `b` read in place in blocks of 128 rows of `b`, the chains carried from
    /// block to block (and one block for an added chain), on every tile height and column
    /// edge, with `k` just past one, two and four blocks.
    #[test]
    fn matmul_kernel_in_place_long_sums_f32(m in prop_oneof![1..14usize, 90..97usize], k in prop_oneof![255..262usize, 380..390usize, 510..520usize, 640..660usize], n in prop_oneof![1..40usize, 60..70usize], seed: u64, pad in 0..3usize) {
        check::<f32>(m, k, n, seed, false, pad);
    }
}

/// The products of an LSTM step (hidden 128, batch 16, input 32) and of an MLP's layers,
/// with their operands laid out as the engine passes them.
#[test]
fn matmul_kernel_keeps_each_chain_at_model_shapes() {
    for (m, k, n, bt) in [
        (16, 128, 512, false),
        (16, 32, 512, false),
        (512, 32, 512, true),
        (16, 512, 128, false),
        (512, 16, 128, false),
        (64, 784, 128, true),
        (128, 64, 784, false),
        (64, 128, 784, false),
        (40, 300, 260, true),
    ] {
        check::<f32>(m, k, n, 7, bt, 0);
    }
}

/// `torch.mm` recorded from PyTorch (testdata/gen_leftover_rows.py) for products of the FMA
/// kernel's shapes with 5-11 rows, whose last `m % 4` rows MKL sums plainly
/// (`kernels::fused_rows`), and neighbours that stay FMA; `a` row-major or transposed (a
/// weight gradient `g.t() @ x`), `b` row-major. `matmul_mat`, `matmul_add_mat` from zero and
/// `Tensor::mm` give the recorded bits; the FMA dot on every row fails some rows.
#[test]
fn leftover_rows_match_recorded_pytorch() {
    use crate::unit::tensor::recorded::{hashed, replay, same};
    use lessonrun::tensor::{Data, Tensor};
    let text = include_str!("testdata/leftover_rows_cases.txt");
    let mut all_fma_differs = 0;
    replay(text, 100, |row| {
        let [m, k, n, at] = [0, 1, 2, 3].map(|i| row[i] as usize);
        let want = &row[4..];
        if want.len() != m * n {
            return Some(format!("{m} {k} {n}: {} outputs recorded", want.len()));
        }
        let (av, bv) = (hashed(1, m * k), hashed(2, k * n));
        let (rs, cs) = if at == 1 { (1, m) } else { (k, 1) };
        let a = Mat { data: &av, rs, cs, start: 0 };
        let b = Mat::rows(&bv, n);
        let kernel = kernels::matmul_mat(a, b, m, k, n);
        let mut added = vec![0.0f32; m * n];
        kernels::matmul_add_mat(a, b, &mut added, m, k, n);
        let all_fma = kernels::matmul_sequential(a, b, m, k, n, true);
        all_fma_differs += usize::from((0..m * n).any(|o| !same(all_fma[o], want[o])));
        let via_mm = (|| {
            let shape = if at == 1 { [k, m] } else { [m, k] };
            let at_ = Tensor::from_data(Data::F32(av.clone()), &shape).ok()?;
            let at_ = if at == 1 { at_.t().ok()? } else { at_ };
            let bt = Tensor::from_data(Data::F32(bv.clone()), &[k, n]).ok()?;
            at_.mm(&bt).ok()?.to_f32_vec()
        })()
        .unwrap_or_default();
        let bad: Vec<usize> = (0..m * n)
            .filter(|&o| {
                !same(kernel[o], want[o])
                    || !same(added[o], want[o])
                    || via_mm.get(o).is_none_or(|&v| !same(v, want[o]))
            })
            .collect();
        (!bad.is_empty()).then(|| format!("m={m} k={k} n={n} at={at}: outputs {bad:?} differ"))
    });
    assert!(all_fma_differs > 30, "only {all_fma_differs} rows tell the leftover rows apart");
}
