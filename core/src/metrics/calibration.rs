use super::logits::Logits;
use crate::error::{Error, Result};

/// The paper's number of equal-width confidence bins.
pub const DEFAULT_ECE_BINS: usize = 20;

/// The most confidence bins [`calibration`] accepts (`2^20`): far finer than any calibration
/// study uses, and small enough that the bins can always be allocated.
pub const MAX_ECE_BINS: usize = 1 << 20;

/// One confidence bin of a reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CalibrationBin {
    /// Examples whose max softmax confidence fell in the bin.
    pub count: usize,
    /// Sum of their confidences.
    pub confidence_sum: f64,
    /// How many of them were classified correctly.
    pub correct: usize,
}

/// Expected calibration error and the bins it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// `ECE = (1/N) Σ_b |Σ_{i∈b} (correct_i − conf_i)|`.
    pub ece: f64,
    /// The bins, `[k/B, (k+1)/B)` with the last one closed.
    pub bins: Vec<CalibrationBin>,
}

/// ECE over `bins` equal-width bins of the max softmax confidence (SPEC.md §6; default 20).
///
/// Errors on empty logits, bad labels, or `bins` outside `1..=`[`MAX_ECE_BINS`].
pub fn calibration(logits: &Logits, labels: &[usize], bins: usize) -> Result<Calibration> {
    logits.check_nonempty("calibration")?;
    logits.check_labels(labels)?;
    if !(1..=MAX_ECE_BINS).contains(&bins) {
        return Err(Error::InvalidNumber {
            what: "ECE bins",
            value: bins as f64,
            expected: "between 1 and MAX_ECE_BINS = 2^20 bins",
        });
    }
    let mut out = vec![CalibrationBin::default(); bins];
    for (r, &y) in labels.iter().enumerate() {
        let p = logits.softmax(r);
        let pred = logits.argmax(r);
        let conf = p[pred];
        let b = ((conf * bins as f64) as usize).min(bins - 1);
        out[b].count += 1;
        out[b].confidence_sum += conf;
        out[b].correct += usize::from(pred == y);
    }
    let gap: f64 = out
        .iter()
        .map(|b| (b.correct as f64 - b.confidence_sum).abs())
        .sum();
    Ok(Calibration {
        ece: gap / logits.rows() as f64,
        bins: out,
    })
}
