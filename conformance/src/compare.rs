//! Accumulates the comparisons of one case and keeps the worst, with a description of it.

use crate::outcome::{CaseError, CaseResult};
use crate::tolerance::{Discrepancy, Tolerance};

/// The comparisons of one case: the worst one overall and a description of the worst one.
#[derive(Debug)]
pub(crate) struct Comparisons {
    worst: Discrepancy,
    worst_what: Option<String>,
}

impl Comparisons {
    pub(crate) fn new() -> Self {
        Self {
            worst: Discrepancy::NONE,
            worst_what: None,
        }
    }

    /// Compares one value; `what` names it in a failure message.
    pub(crate) fn value(
        &mut self,
        tolerance: Tolerance,
        what: impl FnOnce() -> String,
        actual: f64,
        expected: f64,
        magnitude: f64,
    ) {
        let d = tolerance.compare(actual, expected, magnitude);
        self.record(
            || format!("{}: got {actual:e}, expected {expected:e}", what()),
            d,
        );
    }

    /// Records a comparison made elsewhere (a statistic against its bound).
    pub(crate) fn record(&mut self, what: impl FnOnce() -> String, d: Discrepancy) {
        if d.worst(self.worst) == d && d != self.worst {
            self.worst = d;
            self.worst_what = (!d.passes()).then(what);
        }
    }

    /// Compares a tensor element by element; `magnitude[k]` is the size of the terms behind
    /// `expected[k]` (see [`Tolerance`]).
    pub(crate) fn tensor(
        &mut self,
        tolerance: Tolerance,
        what: &str,
        actual: &[f32],
        expected: &[f64],
        magnitude: &[f64],
    ) {
        if actual.len() != expected.len() {
            self.fail(format!(
                "{what}: {} elements, expected {}",
                actual.len(),
                expected.len()
            ));
            return;
        }
        for (k, ((&x, &y), &m)) in actual.iter().zip(expected).zip(magnitude).enumerate() {
            self.value(tolerance, || format!("{what}[{k}]"), f64::from(x), y, m);
        }
    }

    /// Records a failure that is not a numeric comparison.
    pub(crate) fn fail(&mut self, reason: String) {
        let d = Discrepancy {
            error: f64::INFINITY,
            allowed: 0.0,
        };
        self.worst = d;
        self.worst_what = Some(reason);
    }

    /// Checks a condition; `reason` says what should have held.
    pub(crate) fn require(&mut self, holds: bool, reason: impl FnOnce() -> String) {
        if !holds {
            self.fail(reason());
        }
    }

    /// The worst comparison, or the failure it describes.
    pub(crate) fn finish(self) -> CaseResult {
        match self.worst_what {
            Some(reason) if !self.worst.passes() => Err(CaseError {
                reason: format!("{reason}; {}", self.worst),
                worst: Some(self.worst),
            }),
            _ => Ok(self.worst),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_worst_failure() {
        let mut c = Comparisons::new();
        c.tensor(
            Tolerance::F32,
            "w",
            &[1.0, 2.0, 3.0],
            &[1.0, 2.5, 3.0],
            &[0.0; 3],
        );
        let err = c.finish().unwrap_err();
        assert!(err.reason.contains("w[1]"), "{}", err.reason);
        let mut ok = Comparisons::new();
        ok.value(Tolerance::F32, || "x".into(), 1.0, 1.0, 0.0);
        assert!(ok.finish().is_ok());
    }
}
