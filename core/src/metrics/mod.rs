//! Evaluation metrics on host data (SPEC.md §6): accuracy, NLL, ECE, ensembles, diversity.

mod calibration;
mod diversity;
mod ensemble;
mod logits;

pub use calibration::{Calibration, CalibrationBin, DEFAULT_ECE_BINS, MAX_ECE_BINS, calibration};
pub use diversity::{CopyDistance, copy_distance, disagreement, mean_total_variation};
pub use ensemble::{Combine, ensemble};
pub use logits::{Logits, accuracy, nll};

/// The evaluation grid `a ∈ {0, 1/(n-1), .., 1}`; `grid(21)` is `{0, 0.05, .., 1}`.
///
/// Errors if `n < 2`.
pub fn grid(n: usize) -> crate::Result<Vec<crate::Point>> {
    if n < 2 {
        return Err(crate::Error::InvalidNumber {
            what: "grid points",
            value: n as f64,
            expected: "at least 2 points",
        });
    }
    (0..n)
        .map(|k| crate::Point::curve(k as f64 / (n - 1) as f64))
        .collect()
}
