//! Evaluation metrics on host data (SPEC.md §6): accuracy, NLL, ECE, ensembles, diversity.

mod calibration;
mod diversity;
mod ensemble;
mod logits;

pub use calibration::{Calibration, CalibrationBin, DEFAULT_ECE_BINS, MAX_ECE_BINS, calibration};
pub use diversity::{CopyDistance, copy_distance, disagreement, mean_total_variation};
pub use ensemble::{Combine, ensemble};
pub use logits::{Logits, accuracy, nll};

/// The most points [`grid`] gives: far more than any evaluation of networks along a curve
/// can use, and small enough to allocate.
pub const MAX_GRID_POINTS: usize = 1 << 20;

/// The evaluation grid `a ∈ {0, 1/(n-1), .., 1}`; `grid(21)` is `{0, 0.05, .., 1}`.
///
/// Errors unless `2 <= n <= MAX_GRID_POINTS`.
pub fn grid(n: usize) -> crate::Result<Vec<crate::Point>> {
    if !(2..=MAX_GRID_POINTS).contains(&n) {
        return Err(crate::Error::InvalidNumber {
            what: "grid points",
            value: n as f64,
            expected: "2 to 2^20 points",
        });
    }
    (0..n)
        .map(|k| crate::Point::curve(k as f64 / (n - 1) as f64))
        .collect()
}
