//! How the report times a closure: warm-up, then samples of batched iterations, summarised by
//! the median and the 10th–90th percentile range.

use std::time::{Duration, Instant};

use crate::error::Result;

/// How long to warm up and measure one closure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Time spent running the closure untimed first (at least one run).
    pub warm_up: Duration,
    /// Time spent taking samples (at least `min_samples` samples).
    pub measure: Duration,
    /// The fewest samples taken, however slow the closure.
    pub min_samples: usize,
    /// The most samples taken; fast closures are batched into this many samples.
    pub max_samples: usize,
    /// For slow closures: fewer than `min_samples` (but at least 3) when `min_samples` calls
    /// would take longer than this.
    pub max_time: Duration,
}

impl Budget {
    /// The budget of the report: 0.1 s warm-up, 0.5 s of 10 to 50 samples, at most about 5 s
    /// unless 3 samples take longer.
    pub const REPORT: Self = Self {
        warm_up: Duration::from_millis(100),
        measure: Duration::from_millis(500),
        min_samples: 10,
        max_samples: 50,
        max_time: Duration::from_secs(5),
    };

    /// The budget of a STREAM triad at a kernel's size ([`triad_at`](crate::stream::triad_at)),
    /// whose best sample is kept: 50 ms warm-up, 150 ms of 5 to 30 samples, at most about 1 s
    /// unless 3 samples take longer.
    pub const TRIAD: Self = Self {
        warm_up: Duration::from_millis(50),
        measure: Duration::from_millis(150),
        min_samples: 5,
        max_samples: 30,
        max_time: Duration::from_secs(1),
    };

    /// One untimed run and one timed sample of one iteration: a smoke test.
    pub const SMOKE: Self = Self {
        warm_up: Duration::ZERO,
        measure: Duration::ZERO,
        min_samples: 1,
        max_samples: 1,
        max_time: Duration::ZERO,
    };
}

/// Summary of timed samples, in seconds per iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Number of samples.
    pub samples: usize,
    /// The median.
    pub median: f64,
    /// The 10th percentile.
    pub low: f64,
    /// The 90th percentile.
    pub high: f64,
    /// The fastest sample.
    pub min: f64,
}

impl Stats {
    /// Summarises `values` (any unit); `None` if there are none or one is not finite.
    pub fn of(mut values: Vec<f64>) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(Self {
            samples: values.len(),
            median: quantile(&values, 0.5),
            low: quantile(&values, 0.1),
            high: quantile(&values, 0.9),
            min: values[0],
        })
    }

    /// Half the 10th–90th percentile range relative to the median: the noise, as `±` this.
    pub fn spread(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            (self.high - self.low) / (2.0 * self.median)
        }
    }
}

/// The `q`-quantile of sorted, non-empty `values`, interpolating linearly between ranks.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// Times `f` within `budget`: seconds per call, over samples that batch enough calls to last
/// about `measure / max_samples` each.
pub fn measure(budget: &Budget, mut f: impl FnMut() -> Result<()>) -> Result<Stats> {
    let start = Instant::now();
    let mut warm_runs = 0u32;
    while warm_runs == 0 || start.elapsed() < budget.warm_up {
        f()?;
        warm_runs += 1;
    }
    let per_call = start.elapsed().as_secs_f64() / f64::from(warm_runs);
    let target = budget.measure.as_secs_f64();
    let samples = ((target / per_call.max(1e-9)) as usize)
        .clamp(budget.min_samples, budget.max_samples)
        .min(((budget.max_time.as_secs_f64() / per_call.max(1e-9)) as usize).max(3))
        .max(1);
    let batch = ((target / samples as f64 / per_call.max(1e-9)) as u64).max(1);
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        for _ in 0..batch {
            f()?;
        }
        times.push(t.elapsed().as_secs_f64() / batch as f64);
    }
    Ok(Stats::of(times).unwrap_or_else(|| unreachable!("at least one finite sample is taken")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_known_values() {
        let s = Stats::of((1..=11).map(f64::from).collect()).unwrap();
        assert_eq!(s.samples, 11);
        assert_eq!(s.median, 6.0);
        assert_eq!(s.low, 2.0);
        assert_eq!(s.high, 10.0);
        assert_eq!(s.min, 1.0);
        assert!((s.spread() - 8.0 / 12.0).abs() < 1e-12);
    }

    #[test]
    fn stats_reject_empty_and_nan() {
        assert!(Stats::of(vec![]).is_none());
        assert!(Stats::of(vec![1.0, f64::NAN]).is_none());
    }

    #[test]
    fn measure_calls_the_closure_and_stops() {
        let mut calls = 0;
        let s = measure(&Budget::SMOKE, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(s.samples, 1);
        assert_eq!(calls, 2);
    }
}
