//! oneDNN's split of a float32 convolution's weight and bias gradients across threads: which
//! (image, output row) pairs each thread sums, as PyTorch's oneDNN backward-weights kernels
//! decide it for the lesson's thread count (threads.rs).
//!
//! Each kernel sums a weight in one FMA chain, a bias in one chain of plain adds, over
//! (image, output row, output column); when its thread balancing splits the batch, every
//! chunk is summed from zero and the chunks' sums are added after, in thread order. The rule
//! below is the balancing of oneDNN 3.13's two kernels that PyTorch 2.15 runs these
//! gradients on (on x86-64 with AVX-512, no AMX), written from oneDNN's source and confirmed
//! bit for bit on every probed shape (docs/probes/conv_wgrad_thread_split.py,
//! docs/conv-thread-split.md):
//! - `jit:avx512_core` (1-3 input channels, or 16 and more): a memory-cost model picks how
//!   many threads split the batch, the output-channel blocks (16) and the input-channel
//!   blocks; with an output height above 9 the batch split cuts the (image, row) pairs, so a
//!   chunk may end inside an image, and the bias takes the same chunks; otherwise whole
//!   images are split and the bias goes through oneDNN's generic reducer on its own;
//! - `jit:avx2` (4-15 input channels): the weights and the bias both go through the generic
//!   reducer, over jobs of 8x8 channel blocks and 8 output channels.
//!
//! Shapes another kernel takes (1x1 kernels with unit strides: oneDNN's 1x1 kernel; groups,
//! dilation, kernels wider than 14, large padding) keep one chain: not modelled or probed.

use super::conv::{ConvSpec, Geom};
use std::ops::Range;

/// The chunks of (image, output row) pairs, numbered image-major, whose sums are added in
/// order: one chunk (the whole range) when the kernel does not split.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub weight: Vec<Range<usize>>,
    pub bias: Vec<Range<usize>>,
}

impl Split {
    /// One chunk of all `rows` pairs for both gradients: no split.
    pub(super) fn whole(rows: usize) -> Split {
        let all: Vec<Range<usize>> = std::iter::once(0..rows).collect();
        Split {
            weight: all.clone(),
            bias: all,
        }
    }
}

/// oneDNN's `balance211`: `n` items over `team` threads in consecutive chunks, the first
/// `n - (ceil(n / team) - 1) * team` of them one item longer; empty chunks dropped.
pub fn balance211(n: usize, team: usize) -> Vec<Range<usize>> {
    if team <= 1 || n == 0 {
        return std::iter::once(0..n).collect();
    }
    let long = n.div_ceil(team);
    let longer = n - (long - 1) * team;
    let mut start = 0;
    let mut out = Vec::with_capacity(team);
    for t in 0..team {
        let len = if t < longer { long } else { long - 1 };
        if len > 0 {
            out.push(start..start + len);
        }
        start += len;
    }
    out
}

/// oneDNN's generic reducer (`reduce_balancer_t`): how many threads share each group of jobs
/// and so split the reduction; it weighs each thread's share of jobs times its share of the
/// reduction (plus one pass to add the partial sums) against a scratch-buffer bound.
fn reducer_threads(
    nthr: usize,
    job_size: usize,
    njobs: usize,
    reduction: usize,
    max_buffer: usize,
) -> usize {
    let (nthr, njobs, reduction) = (nthr.max(1), njobs.max(1), reduction.max(1));
    let min_per_group = (njobs / nthr).max(1);
    let max_per_group = (max_buffer / (nthr * job_size).max(1)).max(1);
    let groups = (njobs / min_per_group).min(nthr);
    let mut per_group = (nthr / groups).min(reduction);
    let mut best = njobs * job_size * reduction;
    for c in min_per_group..njobs {
        let c_groups = (njobs / c).min(nthr);
        let c_per_group = (nthr / c_groups).min(reduction);
        let jobs_ub = njobs.div_ceil(c_groups);
        if c_per_group > 1 && jobs_ub > max_per_group {
            continue;
        }
        let cost =
            job_size * jobs_ub * (reduction.div_ceil(c_per_group) + usize::from(c_per_group != 1));
        if cost < best {
            best = cost;
            per_group = c_per_group;
        }
    }
    per_group
}

/// What `jit:avx512_core`'s `balance` needs of a convolution.
struct Avx512 {
    mb: usize,
    ih: usize,
    iw: usize,
    oh: usize,
    ow: usize,
    kk: usize,
    sh: usize,
    sw: usize,
    nb_ic: usize,
    ic_block: usize,
    nb_oc: usize,
    /// The "2d" harness: the batch split runs over (image, output row) pairs.
    rows: bool,
}

impl Avx512 {
    /// Per-thread memory traffic of a distribution (threads over the batch, output-channel
    /// blocks, input-channel blocks), in oneDNN's units and integer arithmetic.
    fn mem_cost(&self, mb: usize, ocb: usize, icb: usize) -> usize {
        let (ih_r, oh_r, ih_n, oh_n) = if self.rows {
            (self.ih, self.oh, 1, 1)
        } else {
            (1, 1, self.ih, self.oh)
        };
        (self.mb * ih_r).div_ceil(mb) * self.nb_ic.div_ceil(icb) * self.ic_block * ih_n * self.iw
            / self.sh
            / self.sw
            + (self.mb * oh_r).div_ceil(mb) * self.nb_oc.div_ceil(ocb) * 16 * oh_n * self.ow
            + 8 * self.nb_oc.div_ceil(ocb) * self.nb_ic.div_ceil(icb) * self.kk * self.ic_block * 16
    }

    fn comp_cost(&self, mb: usize, ocb: usize, icb: usize) -> usize {
        let oh_r = if self.rows { self.oh } else { 1 };
        (self.mb * oh_r).div_ceil(mb) * self.nb_oc.div_ceil(ocb) * self.nb_ic.div_ceil(icb)
    }

    /// (threads splitting the batch, threads used in all): the lowest memory cost first,
    /// then a lower compute cost within 110% of that memory (or a compute cost a quarter
    /// lower whatever the memory).
    fn balance(&self, nthreads: usize) -> (usize, usize) {
        let oh_reduce = if self.rows { (self.oh / 9).max(1) } else { 1 };
        let mb_max = nthreads.min(self.mb * oh_reduce);
        let mut cands = Vec::new();
        for mb in 1..=mb_max {
            let par = nthreads / mb;
            for ocb in 1..=par.min(self.nb_oc) {
                cands.push((mb, ocb, (par / ocb).min(self.nb_ic)));
            }
        }
        let mut best = (1, 1, 1);
        let mut best_mem = self.mem_cost(1, 1, 1);
        for &(mb, ocb, icb) in &cands {
            let m = self.mem_cost(mb, ocb, icb);
            if m <= best_mem {
                best_mem = m;
                best = (mb, ocb, icb);
            }
        }
        let mut best_comp = self.comp_cost(best.0, best.1, best.2);
        for &(mb, ocb, icb) in &cands {
            let (m, c) = (self.mem_cost(mb, ocb, icb), self.comp_cost(mb, ocb, icb));
            if (c <= best_comp && (m as f64) < 1.1 * best_mem as f64) || 4 * c <= 3 * best_comp {
                best_comp = c;
                best = (mb, ocb, icb);
            }
        }
        let mut mb = best.0;
        if mb > nthreads / 2 && mb < nthreads {
            mb = (self.mb * oh_reduce).min(nthreads);
        }
        (mb, mb * best.1 * best.2)
    }
}

/// The chunks PyTorch's oneDNN backward-weights kernel sums a convolution's weight and bias
/// gradients in, with `threads` threads; `g`/`s` describe a float32 convolution on oneDNN's
/// path (conv.rs `Path::Onednn`).
pub fn plan(g: &Geom, s: &ConvSpec, threads: usize) -> Split {
    let unsplit = Split::whole(g.n * g.oh);
    // 1x1 kernels with unit strides go to oneDNN's 1x1 kernel, balanced otherwise (not
    // modelled); grouped and dilated convolutions were not probed.
    let one_by_one = g.kh == 1 && g.kw == 1 && s.stride == [1, 1];
    if threads <= 1 || g.n * g.oh == 0 || s.groups != 1 || s.dilation != [1, 1] || one_by_one {
        return unsplit;
    }
    let images = |chunks: Vec<Range<usize>>| -> Vec<Range<usize>> {
        chunks
            .into_iter()
            .map(|r| r.start * g.oh..r.end * g.oh)
            .collect()
    };
    // Padding after the input, as oneDNN computes it from the output size.
    let b_pad = ((g.oh - 1) * s.stride[0] + g.kh).saturating_sub(g.h + s.pad_lo[0]);
    let r_pad = ((g.ow - 1) * s.stride[1] + g.kw).saturating_sub(g.w + s.pad_lo[1]);
    let (t_pad, l_pad) = (s.pad_lo[0], s.pad_lo[1]);
    let avx512 = (g.c <= 3 || g.c >= 16)
        && g.kw <= 14
        && l_pad < g.kw
        && r_pad < g.kw
        && t_pad <= g.kh / 2
        && b_pad <= g.kh / 2
        && l_pad <= 28
        && r_pad <= 28;
    if avx512 {
        let first = g.c < 16;
        let k = Avx512 {
            mb: g.n,
            ih: g.h,
            iw: g.w,
            oh: g.oh,
            ow: g.ow,
            kk: g.kh * g.kw,
            sh: s.stride[0],
            sw: s.stride[1],
            nb_ic: if first { 1 } else { g.c.div_ceil(16) },
            ic_block: if first { g.c } else { 16 },
            nb_oc: g.o.div_ceil(16),
            rows: g.oh > 9,
        };
        let (nthr_mb, nthr) = k.balance(threads);
        if k.rows {
            let chunks = balance211(g.n * g.oh, nthr_mb);
            return Split {
                weight: chunks.clone(),
                bias: chunks,
            };
        }
        let per = reducer_threads(nthr, 16, k.nb_oc, g.n, nthr * 3 * 5 * 5 * 16 * 16);
        return Split {
            weight: images(balance211(g.n, nthr_mb)),
            bias: images(balance211(g.n, per)),
        };
    }
    let avx2 = (4..=15).contains(&g.c)
        && g.kw < 14
        && g.kh <= g.h
        && t_pad < g.kh
        && b_pad < g.kh
        && l_pad < g.kw
        && r_pad < g.kw;
    if avx2 {
        let (nb_ic, nb_oc) = (g.c.div_ceil(8), g.o.div_ceil(8));
        let per_w = reducer_threads(threads, g.kh * g.kw * 64, nb_ic * nb_oc, g.n, 1 << 21);
        let per_b = reducer_threads(threads, 8, nb_oc, g.n, 1 << 21);
        return Split {
            weight: images(balance211(g.n, per_w)),
            bias: images(balance211(g.n, per_b)),
        };
    }
    unsplit
}
