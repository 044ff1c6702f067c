//! The order of equal elements that PyTorch's CPU `sort(stable=False)` leaves: ATen sorts each
//! slice's (value, index) pairs with the C++ library's `std::sort` (libstdc++'s introsort on
//! Linux), which is not stable once a slice has more than 16 elements, so `sort`/`argsort` of
//! data with ties (sequence lengths, labels, rounded values) return the equal elements'
//! indices in introsort's order. This is that algorithm, step for step: median-of-three
//! quicksort down to runs of 16, heapsort past the depth limit, then one insertion pass.
//!
//! Facts from libstdc++'s `bits/stl_algo.h`/`stl_heap.h` (the algorithm, not its code).

/// Runs of at most this many elements are left to the final insertion sort.
const THRESHOLD: usize = 16;

/// Sorts `v` in place as `std::sort(v.begin(), v.end(), less)` does, moving elements exactly as
/// it moves them, so that elements `less` calls equal end where it leaves them.
pub fn std_sort<T: Copy>(v: &mut [T], less: &impl Fn(T, T) -> bool) {
    if v.len() < 2 {
        return;
    }
    let depth = 2 * (usize::BITS - 1 - v.len().leading_zeros()) as usize;
    introsort_loop(v, 0, v.len(), depth, less);
    final_insertion_sort(v, less);
}

fn introsort_loop<T: Copy>(
    v: &mut [T],
    first: usize,
    mut last: usize,
    mut depth: usize,
    less: &impl Fn(T, T) -> bool,
) {
    while last - first > THRESHOLD {
        if depth == 0 {
            heap_sort(&mut v[first..last], less);
            return;
        }
        depth -= 1;
        let cut = partition_pivot(v, first, last, less);
        introsort_loop(v, cut, last, depth, less);
        last = cut;
    }
}

/// The median of the second, middle and last elements moved to the front, then Hoare's
/// partition of the rest around it.
fn partition_pivot<T: Copy>(
    v: &mut [T],
    first: usize,
    last: usize,
    less: &impl Fn(T, T) -> bool,
) -> usize {
    let mid = first + (last - first) / 2;
    let (a, b, c) = (first + 1, mid, last - 1);
    let median = if less(v[a], v[b]) {
        if less(v[b], v[c]) {
            b
        } else if less(v[a], v[c]) {
            c
        } else {
            a
        }
    } else if less(v[a], v[c]) {
        a
    } else if less(v[b], v[c]) {
        c
    } else {
        b
    };
    v.swap(first, median);
    let pivot = first;
    let (mut lo, mut hi) = (first + 1, last);
    loop {
        while less(v[lo], v[pivot]) {
            lo += 1;
        }
        hi -= 1;
        while less(v[pivot], v[hi]) {
            hi -= 1;
        }
        if lo >= hi {
            return lo;
        }
        v.swap(lo, hi);
        lo += 1;
    }
}

fn final_insertion_sort<T: Copy>(v: &mut [T], less: &impl Fn(T, T) -> bool) {
    if v.len() > THRESHOLD {
        insertion_sort(&mut v[..THRESHOLD], less);
        for i in THRESHOLD..v.len() {
            linear_insert(v, i, less);
        }
    } else {
        insertion_sort(v, less);
    }
}

fn insertion_sort<T: Copy>(v: &mut [T], less: &impl Fn(T, T) -> bool) {
    for i in 1..v.len() {
        if less(v[i], v[0]) {
            let x = v[i];
            v.copy_within(0..i, 1);
            v[0] = x;
        } else {
            linear_insert(v, i, less);
        }
    }
}

/// Moves `v[i]` down past every element it is less than (something not greater is below it).
fn linear_insert<T: Copy>(v: &mut [T], mut i: usize, less: &impl Fn(T, T) -> bool) {
    let x = v[i];
    while less(x, v[i - 1]) {
        v[i] = v[i - 1];
        i -= 1;
    }
    v[i] = x;
}

/// `std::partial_sort(first, last, last)`: make a max-heap, then pop it from the back.
pub fn heap_sort<T: Copy>(v: &mut [T], less: &impl Fn(T, T) -> bool) {
    let len = v.len();
    if len >= 2 {
        let mut parent = (len - 2) / 2;
        loop {
            let x = v[parent];
            adjust_heap(v, parent, len, x, less);
            if parent == 0 {
                break;
            }
            parent -= 1;
        }
    }
    let mut last = len;
    while last > 1 {
        last -= 1;
        let x = v[last];
        v[last] = v[0];
        adjust_heap(&mut v[..last], 0, last, x, less);
    }
}

/// Sifts the hole at `hole` down to a leaf along the larger children, then pushes `x` up from
/// there (libstdc++'s `__adjust_heap`).
fn adjust_heap<T: Copy>(
    v: &mut [T],
    mut hole: usize,
    len: usize,
    x: T,
    less: &impl Fn(T, T) -> bool,
) {
    let top = hole;
    let mut child = hole;
    while len >= 1 && child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if less(v[child], v[child - 1]) {
            child -= 1;
        }
        v[hole] = v[child];
        hole = child;
    }
    if len.is_multiple_of(2) && len >= 2 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        v[hole] = v[child - 1];
        hole = child - 1;
    }
    let mut parent = hole.wrapping_sub(1) / 2;
    while hole > top && less(v[parent], x) {
        v[hole] = v[parent];
        hole = parent;
        parent = hole.wrapping_sub(1) / 2;
    }
    v[hole] = x;
}
