//! Typed errors of the burn adapter: each says what was wrong and what was expected.

use thiserror::Error;

/// Errors of the burn plugin (regions, gradients, export, averaging, BN recalibration).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The subspace math rejected its input (shapes, points, dims) or the device failed.
    #[error(transparent)]
    Core(#[from] subspace_core::Error),
    /// The model has no float parameter to make copies of.
    #[error(
        "the model has no float parameters: expected at least one float parameter besides \
         running statistics"
    )]
    NoParameters,
    /// A parameter's rank is outside what the in-graph mix supports.
    #[error("parameter `{path}` has rank {rank}: expected a rank from 1 to 6")]
    UnsupportedRank {
        /// The parameter's path.
        path: String,
        /// Its rank.
        rank: usize,
    },
    /// Two models (or a model and a region) that must have the same parameters do not.
    #[error("{what} does not have the model's parameters: expected {expected:?}, found {found:?}")]
    LayoutMismatch {
        /// What was checked, e.g. `"copy 1"`.
        what: String,
        /// `path [dims]` of every parameter of the model (copy 0, or the template).
        expected: Vec<String>,
        /// `path [dims]` of every parameter found.
        found: Vec<String>,
    },
    /// The wrong number of copies for the shape.
    #[error("{found} copies given for a {shape}: expected {expected}")]
    CopyCount {
        /// The shape, as written by its `Display`.
        shape: String,
        /// Copies the shape needs.
        expected: usize,
        /// Copies given.
        found: usize,
    },
    /// A region of one shape was given for a subspace of another.
    #[error("the region is a {found}: expected a {expected}, the configured shape")]
    RegionShape {
        /// The configured shape, as written by its `Display`.
        expected: String,
        /// The region's shape.
        found: String,
    },
    /// Two copies share a parameter id, so an optimizer would share their state.
    #[error(
        "copies {first} and {second} share the parameter id of `{path}`: expected independently \
         initialised copies (build each with its own `init`, not by cloning one model)"
    )]
    SharedParamId {
        /// The parameter's path.
        path: String,
        /// The first copy holding the id.
        first: usize,
        /// The second copy holding it.
        second: usize,
    },
    /// BatchNorm recalibration was given no batches.
    #[error("BatchNorm recalibration got no batches: expected at least one batch")]
    NoBatches,
    /// A running statistic was not changed by the forward pass.
    #[error(
        "running statistic `{path}` was not updated by the forward pass: expected the forward to \
         reach its layer in training mode (training flag on, input on the model's device) with a \
         momentum above 0"
    )]
    NotUpdated {
        /// The statistic's path.
        path: String,
    },
    /// A running statistic is not updated as `(1 − μ) r + μ b` with one `μ` in `(0, 1]`.
    #[error(
        "running statistic `{path}` is not updated as (1 - m) r + m b with a momentum m in (0, 1] \
         (measured m = {momentum}, or different per channel): expected a BatchNorm-style update"
    )]
    UnrecognizedUpdate {
        /// The statistic's path.
        path: String,
        /// The momentum measured on its first element.
        momentum: f64,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<subspace_core::BackendError> for Error {
    fn from(e: subspace_core::BackendError) -> Self {
        Self::Core(e.into())
    }
}
