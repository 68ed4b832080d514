//! The machine's memory bandwidth, measured as McCalpin's STREAM does: `copy` (`c = a`) and
//! `triad` (`a = b + s·c`) over `f32` arrays, each thread streaming its own contiguous part.
//!
//! Bytes count as in STREAM: copy moves 2 words per element, triad 3; write-allocate traffic is
//! not counted. The best of several trials is the machine's bandwidth; the median shows the
//! noise. Arrays are allocated and first touched by the threads that later stream them.
//!
//! [`stream`] measures the memory (DRAM) bandwidth over arrays far larger than the caches, one
//! pass per trial. [`triad_at`] measures the triad at a kernel's size, timed as the kernels are
//! (repeated on the same arrays): the limit of a kernel whose data stays in a cache.

use std::hint::black_box;
use std::thread;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Result;
use crate::timing::{Budget, Stats, measure};

/// The scalar of the triad; with `b = 2` the values converge instead of overflowing.
const TRIAD_SCALAR: f32 = 0.5;

/// Bandwidth of one STREAM kernel over its trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Bytes moved per trial.
    pub bytes: u64,
    /// Seconds per trial.
    pub seconds: Stats,
}

impl Rate {
    /// Bytes per second of the fastest trial.
    pub fn best(&self) -> f64 {
        self.bytes as f64 / self.seconds.min
    }

    /// Bytes per second of the median trial.
    pub fn median(&self) -> f64 {
        self.bytes as f64 / self.seconds.median
    }
}

/// Copy and triad bandwidth for one array size and thread count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamResult {
    /// Elements per array.
    pub elements: usize,
    /// Threads streaming at once.
    pub threads: usize,
    /// `c = a`.
    pub copy: Rate,
    /// `a = b + s·c`.
    pub triad: Rate,
}

/// Three arrays of `f32`, each split into one contiguous part per thread.
#[derive(Debug)]
pub struct Arrays {
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    threads: usize,
    part: usize,
}

impl Arrays {
    /// Allocates three arrays of `elements` (at least one) and lets each of `threads` (at least
    /// one) threads touch its part first: `a = 1`, `b = 2`, `c = 0`.
    pub fn new(elements: usize, threads: usize) -> Self {
        let (elements, threads) = (elements.max(1), threads.max(1));
        let part = elements.div_ceil(threads);
        let mut arrays = Self {
            a: vec![0.0; elements],
            b: vec![0.0; elements],
            c: vec![0.0; elements],
            threads,
            part,
        };
        for (array, value) in [
            (&mut arrays.a, 1.0),
            (&mut arrays.b, 2.0),
            (&mut arrays.c, 0.0),
        ] {
            in_parallel(threads, part, array, &[], &[], |x, _, _| x.fill(value));
        }
        arrays
    }

    /// Elements per array.
    pub fn elements(&self) -> usize {
        self.a.len()
    }

    /// Threads streaming at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Bytes one [`copy`](Self::copy) moves: two words per element.
    pub fn copy_bytes(&self) -> u64 {
        (2 * self.elements() * size_of::<f32>()) as u64
    }

    /// Bytes one [`triad`](Self::triad) moves: three words per element.
    pub fn triad_bytes(&self) -> u64 {
        (3 * self.elements() * size_of::<f32>()) as u64
    }

    /// `c = a`.
    pub fn copy(&mut self) {
        in_parallel(
            self.threads,
            self.part,
            &mut self.c,
            &self.a,
            &self.a,
            |c, a, _| c.copy_from_slice(a),
        );
    }

    /// `a = b + s·c`.
    pub fn triad(&mut self) {
        in_parallel(
            self.threads,
            self.part,
            &mut self.a,
            &self.b,
            &self.c,
            triad_parts,
        );
    }
}

/// `a = b + s·c` element by element.
fn triad_parts(a: &mut [f32], b: &[f32], c: &[f32]) {
    for ((x, &y), &z) in a.iter_mut().zip(b).zip(c) {
        *x = y + TRIAD_SCALAR * z;
    }
}

/// The triad over three arrays totalling about `bytes` (at least one element each), on the
/// threads of the current rayon pool (each streaming one contiguous part; the calling thread
/// alone in a pool of one), timed as a kernel is ([`measure`] within `budget`: repeated on the
/// same arrays, in batched samples), so arrays that fit in a cache are streamed from it.
/// [`Rate::best`] is the fastest sample.
pub fn triad_at(bytes: u64, budget: &Budget) -> Result<Rate> {
    let word = size_of::<f32>() as u64;
    let elements = (bytes / (3 * word)).max(1) as usize;
    let (mut a, b, c) = (
        vec![1.0f32; elements],
        vec![2.0f32; elements],
        vec![0.0f32; elements],
    );
    let threads = rayon::current_num_threads();
    let part = elements.div_ceil(threads);
    let seconds = measure(budget, || {
        if threads == 1 {
            triad_parts(&mut a, &b, &c);
        } else {
            a.par_chunks_mut(part)
                .zip(b.par_chunks(part))
                .zip(c.par_chunks(part))
                .for_each(|((a, b), c)| triad_parts(a, b, c));
        }
        black_box(&mut a);
        Ok(())
    })?;
    Ok(Rate {
        bytes: 3 * word * elements as u64,
        seconds,
    })
}

/// Runs `trials` (at least one) rounds of copy then triad over three arrays of `elements`
/// `f32`, split over `threads` threads.
pub fn stream(elements: usize, threads: usize, trials: usize) -> StreamResult {
    let mut arrays = Arrays::new(elements, threads);
    let trials = trials.max(1);
    let mut copy = Vec::with_capacity(trials);
    let mut triad = Vec::with_capacity(trials);
    for _ in 0..trials {
        copy.push(timed(|| arrays.copy()));
        triad.push(timed(|| arrays.triad()));
    }
    let rate = |bytes, times: Vec<f64>| Rate {
        bytes,
        seconds: Stats::of(times).unwrap_or_else(|| unreachable!("trials >= 1, times finite")),
    };
    StreamResult {
        elements: arrays.elements(),
        threads: arrays.threads(),
        copy: rate(arrays.copy_bytes(), copy),
        triad: rate(arrays.triad_bytes(), triad),
    }
}

fn timed(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// Applies `op` to matching parts of `part` elements of `out`, `x` and `y`, one thread each;
/// an empty `x` or `y` gives every part an empty slice.
fn in_parallel(
    threads: usize,
    part: usize,
    out: &mut [f32],
    x: &[f32],
    y: &[f32],
    op: impl Fn(&mut [f32], &[f32], &[f32]) + Sync,
) {
    if threads == 1 {
        op(out, x, y);
        return;
    }
    let op = &op;
    thread::scope(|s| {
        for (k, o) in out.chunks_mut(part).enumerate() {
            let (x, y) = (part_of(x, k, part), part_of(y, k, part));
            s.spawn(move || op(o, x, y));
        }
    });
}

/// Part `k` of `v` cut into parts of `part` elements; empty past the end.
fn part_of(v: &[f32], k: usize, part: usize) -> &[f32] {
    v.get(k * part..((k + 1) * part).min(v.len()))
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_counts_bytes_and_times_every_trial() {
        let r = stream(1000, 3, 4);
        assert_eq!(r.copy.bytes, 8000);
        assert_eq!(r.triad.bytes, 12000);
        assert_eq!(r.copy.seconds.samples, 4);
        assert!(r.triad.best() >= r.triad.median());
    }

    #[test]
    fn triad_at_a_size_counts_three_arrays_in_the_pool() {
        let r = crate::threads::with_threads(2, || triad_at(12_000, &Budget::SMOKE))
            .unwrap()
            .unwrap();
        assert_eq!(r.bytes, 12_000);
        assert_eq!(r.seconds.samples, 1);
        // Fewer bytes than one element per array: one element each.
        assert_eq!(triad_at(5, &Budget::SMOKE).unwrap().bytes, 12);
    }

    #[test]
    fn in_parallel_covers_every_element_once() {
        let mut out = vec![0.0f32; 10];
        let x: Vec<f32> = (0..10).map(|i| i as f32).collect();
        in_parallel(3, 4, &mut out, &x, &x, |o, x, y| {
            for ((o, x), y) in o.iter_mut().zip(x).zip(y) {
                *o += x + y;
            }
        });
        assert_eq!(out, x.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
    }
}
