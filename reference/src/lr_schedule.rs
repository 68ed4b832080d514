//! Learning-rate schedules as pure functions of the step.

use std::f64::consts::PI;

use subspace_core::{Error, Result};

/// Linear warm-up then cosine decay (SPEC.md §8), in units of `t` (steps or epochs):
///
/// ```text
/// t < T_w:        η(t) = η₀ (t + 1) / T_w
/// T_w ≤ t < T:    η(t) = η₀ (1 + cos(π (t − T_w) / (T − T_w))) / 2
/// t ≥ T:          η(t) = 0
/// ```
///
/// as the paper's `cosine_lr` (which uses epochs). Requires `warmup < total`.
pub fn warmup_cosine(t: u64, base_lr: f64, warmup: u64, total: u64) -> f64 {
    if t < warmup {
        base_lr * (t + 1) as f64 / warmup as f64
    } else if t < total {
        let progress = (t - warmup) as f64 / (total - warmup) as f64;
        0.5 * (1.0 + (PI * progress).cos()) * base_lr
    } else {
        0.0
    }
}

/// The learning rate of every optimizer step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// The same rate at every step.
    Constant(f64),
    /// [`warmup_cosine`] over optimizer steps.
    WarmupCosine {
        /// `η₀`, the peak rate.
        base_lr: f64,
        /// `T_w`, the warm-up steps.
        warmup: u64,
        /// `T`, the steps of the whole run.
        total: u64,
    },
}

impl LrSchedule {
    /// Validates a finite rate `≥ 0` and, for warm-up then cosine, `warmup < total`.
    pub fn validate(self) -> Result<Self> {
        let base = match self {
            Self::Constant(lr) => lr,
            Self::WarmupCosine {
                base_lr,
                warmup,
                total,
            } => {
                if warmup >= total {
                    return Err(Error::InvalidNumber {
                        what: "warm-up steps",
                        value: warmup as f64,
                        expected: "fewer warm-up steps than total steps",
                    });
                }
                base_lr
            }
        };
        if base.is_finite() && base >= 0.0 {
            Ok(self)
        } else {
            Err(Error::InvalidNumber {
                what: "learning rate",
                value: base,
                expected: "a finite number >= 0",
            })
        }
    }

    /// The rate at optimizer step `step` (counted from 0).
    pub fn lr(&self, step: u64) -> f64 {
        match *self {
            Self::Constant(lr) => lr,
            Self::WarmupCosine {
                base_lr,
                warmup,
                total,
            } => warmup_cosine(step, base_lr, warmup, total),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine() {
        let s = LrSchedule::WarmupCosine {
            base_lr: 0.1,
            warmup: 4,
            total: 14,
        }
        .validate()
        .unwrap();
        let lr: Vec<f64> = (0..16).map(|t| s.lr(t)).collect();
        for (got, want) in lr.iter().zip([0.025, 0.05, 0.075, 0.1, 0.1]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        assert!((lr[9] - 0.05).abs() < 1e-12, "half way down the cosine");
        assert!(lr[4..14].windows(2).all(|w| w[1] < w[0]));
        assert!(lr[13] > 0.0 && lr[14] == 0.0 && lr[15] == 0.0);
    }

    #[test]
    fn rejects_bad_schedules() {
        assert!(LrSchedule::Constant(-1.0).validate().is_err());
        assert!(LrSchedule::Constant(f64::NAN).validate().is_err());
        let s = LrSchedule::WarmupCosine {
            base_lr: 0.1,
            warmup: 3,
            total: 3,
        };
        assert!(s.validate().is_err());
        assert_eq!(LrSchedule::Constant(0.5).lr(1000), 0.5);
    }
}
