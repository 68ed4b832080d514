//! What a check returns: a [`Report`] on success, a [`Failure`] naming the property, the
//! minimal failing input and the worst error otherwise.

use std::fmt;

use crate::tolerance::Discrepancy;

/// A passed check: how many random cases ran and the worst comparison among them.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The property checked, e.g. `"mix"`.
    pub property: &'static str,
    /// Cases run (each may compare many elements).
    pub cases: u32,
    /// The worst comparison seen, by error relative to its allowance.
    pub worst: Discrepancy,
}

/// A failed check: which backend and property, on which (shrunk) input, why, and how badly.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{backend}: property `{property}` fails on {input}: {reason}")]
pub struct Failure {
    /// The backend's name.
    pub backend: String,
    /// The property that does not hold.
    pub property: &'static str,
    /// The smallest failing input proptest found (shape, point, dims, seeds), as `Debug`.
    pub input: String,
    /// What was compared and how it differed.
    pub reason: String,
    /// The worst comparison of the failing case, when the failure is a numeric one.
    pub worst: Option<Discrepancy>,
}

/// Why one case of a property failed; turned into a [`Failure`] by the harness.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CaseError {
    /// What was compared and how it differed.
    pub(crate) reason: String,
    /// The worst comparison, for numeric failures.
    pub(crate) worst: Option<Discrepancy>,
}

impl CaseError {
    /// A failure that is not a numeric comparison (an unexpected `Err`, a wrong count).
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            worst: None,
        }
    }
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl From<subspace_core::Error> for CaseError {
    fn from(e: subspace_core::Error) -> Self {
        Self::new(format!("core returned an error: {e}"))
    }
}

impl From<subspace_core::BackendError> for CaseError {
    fn from(e: subspace_core::BackendError) -> Self {
        Self::new(format!("transfer failed: {e}"))
    }
}

/// The outcome of one case: the worst comparison, or why it failed.
pub(crate) type CaseResult = Result<Discrepancy, CaseError>;
