//! The learning rate per step, the same for every method (SPEC.md §8).
//!
//! Linear warm-up `η_t = η (t + 1) / W` for `t < W`, then cosine decay
//! `η_t = ½ η (1 + cos(π (t − W) / (T − W)))` over the remaining `T − W` steps, as in the
//! paper's code: the reference's [`warmup_cosine`]. The SWA run follows the same curve until its
//! averaging phase and then holds the constant `swa_lr`.

use subspace_reference::warmup_cosine;

/// Warm-up then cosine decay, optionally constant from some step on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrSchedule {
    /// The peak rate `η`.
    pub base: f64,
    /// Warm-up steps `W`.
    pub warmup: u64,
    /// Total steps `T`.
    pub total: u64,
    /// `(step, rate)`: from `step` on, the rate is `rate` (the SWA phase).
    pub constant_from: Option<(u64, f64)>,
}

impl LrSchedule {
    /// The rate of step `t` (0-based).
    pub fn at(&self, t: u64) -> f64 {
        if let Some((start, rate)) = self.constant_from
            && t >= start
        {
            return rate;
        }
        warmup_cosine(t, self.base, self.warmup, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_linearly_then_decays_by_cosine() {
        let s = LrSchedule {
            base: 0.1,
            warmup: 4,
            total: 14,
            constant_from: None,
        };
        assert!((s.at(0) - 0.025).abs() < 1e-15);
        assert!((s.at(3) - 0.1).abs() < 1e-15);
        assert!((s.at(4) - 0.1).abs() < 1e-15);
        // Halfway through the decay: half the rate.
        assert!((s.at(9) - 0.05).abs() < 1e-15);
        assert!(s.at(13) < s.at(12) && s.at(13) > 0.0);
    }

    #[test]
    fn swa_phase_is_constant() {
        let s = LrSchedule {
            base: 0.1,
            warmup: 0,
            total: 100,
            constant_from: Some((75, 0.05)),
        };
        assert!(s.at(74) < 0.05);
        assert_eq!(s.at(75), 0.05);
        assert_eq!(s.at(99), 0.05);
    }
}
