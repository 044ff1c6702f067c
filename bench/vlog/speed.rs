//! Times src/tensor/vml_log.rs's `ln_slice` (built on its own with `rustc -O`) against glibc's
//! `logf` (Rust's `f32::ln`, what float32 `log` was before) on 2^22 float32 inputs in (0, 100),
//! best of 7 by thread CPU time. Usage: see README.md.

#[path = "../../src/tensor/vml_log.rs"]
#[allow(dead_code)]
mod vml_log;

fn cpu_ms() -> f64 {
    let mut t = libc_timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // CLOCK_THREAD_CPUTIME_ID = 3 on Linux.
    unsafe { clock_gettime(3, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

#[repr(C)]
struct libc_timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clk: i32, t: *mut libc_timespec) -> i32;
}

/// Best of 7 calls of `f` (thread CPU ms), and its result (summed outside the timing).
fn best(f: &mut dyn FnMut() -> Vec<f32>) -> (f64, f32) {
    let (mut b, mut out) = (f64::MAX, Vec::new());
    for _ in 0..7 {
        let t = cpu_ms();
        out = std::hint::black_box(f());
        b = b.min(cpu_ms() - t);
    }
    (b, out.iter().sum())
}

fn main() {
    let n = 1 << 22;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let x: Vec<f32> = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 + 1.0) / (1u64 << 24) as f32 * 100.0
        })
        .collect();
    let (a, sa) = best(&mut || vml_log::ln_slice(&x));
    let (b, sb) = best(&mut || x.iter().map(|v| v.ln()).collect());
    println!("2^22 float32 log, best of 7 (thread CPU ms):");
    println!("  vml_log::ln_slice      {a:8.2} ms  (sum {sa})");
    println!("  glibc logf (f32::ln)   {b:8.2} ms  (sum {sb})");
}
