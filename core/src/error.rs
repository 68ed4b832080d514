//! Typed errors: every variant says what was wrong and what was expected.

use thiserror::Error;

/// Errors returned by `subspace-core` for invalid user input or a failing backend.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A shape was configured with too few copies (e.g. a Bezier curve of degree 0).
    #[error("invalid {shape} configuration: {reason}")]
    InvalidShape {
        /// The kind of shape (`"line"`, `"bezier"`, `"simplex"`).
        shape: &'static str,
        /// What was wrong and what is allowed.
        reason: String,
    },
    /// A curve coordinate `a` outside `[0, 1]` or not finite.
    #[error(
        "curve coordinate a = {value} is outside the domain: expected a finite number in [0, 1]"
    )]
    AlphaOutOfDomain {
        /// The rejected value.
        value: f64,
    },
    /// A simplex point that is not finite, has a negative entry or does not sum to one.
    #[error("simplex point {coordinates:?} is outside the simplex: {reason}")]
    SimplexOutOfDomain {
        /// The rejected coordinates.
        coordinates: Vec<f64>,
        /// Which condition failed.
        reason: &'static str,
    },
    /// A point of one kind was used with a shape of another kind or dimension.
    #[error("point {point} does not belong to a {shape}: expected {expected}")]
    PointShapeMismatch {
        /// The point, as written by its `Display`.
        point: String,
        /// The shape, as written by its `Display`.
        shape: String,
        /// The kind of point the shape takes.
        expected: String,
    },
    /// A parameter group holds the wrong number of copies for the shape.
    #[error("group `{group}` holds {found} copies, but a {shape} has {expected}")]
    CopyCount {
        /// The group's name.
        group: String,
        /// The shape, as written by its `Display`.
        shape: String,
        /// Copies the shape needs.
        expected: usize,
        /// Copies found.
        found: usize,
    },
    /// Tensors that must share dimensions do not.
    #[error("{operation}: `{what}` has dims {found:?}, expected {expected:?}")]
    DimsMismatch {
        /// The operation that checked (e.g. `"mix"`).
        operation: &'static str,
        /// Which tensor (group name and copy or gradient).
        what: String,
        /// Dims of the first tensor, which the others must match.
        expected: Vec<usize>,
        /// Dims found.
        found: Vec<usize>,
    },
    /// Dims whose non-zero product exceeds `isize::MAX`.
    #[error(
        "dims {dims:?} describe more elements than an array can index: expected a product of the non-zero dims up to isize::MAX"
    )]
    DimsTooLarge {
        /// The dims.
        dims: Vec<usize>,
    },
    /// Two lists that must have the same length do not.
    #[error("{operation}: {what} has length {found}, expected {expected}")]
    LengthMismatch {
        /// The operation that checked.
        operation: &'static str,
        /// Which list.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// An empty input where at least one element is needed.
    #[error("{operation}: {what} is empty, expected at least one element")]
    Empty {
        /// The operation that checked.
        operation: &'static str,
        /// Which input.
        what: &'static str,
    },
    /// A number that must be finite (and maybe within a range) is not.
    #[error("{what} = {value} is invalid: expected {expected}")]
    InvalidNumber {
        /// The name of the number.
        what: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// A pair of copies that is not two distinct indices below the number of copies.
    #[error(
        "pair ({i}, {j}) is invalid for {copies} copies: expected two distinct indices below {copies}"
    )]
    InvalidPair {
        /// First index.
        i: usize,
        /// Second index.
        j: usize,
        /// Number of copies.
        copies: usize,
    },
    /// Two parameter groups of a region share a name (names key the copies in region files).
    #[error("{operation}: two parameter groups are named `{name}`, expected unique names")]
    DuplicateGroup {
        /// The operation that checked.
        operation: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A group's layer index is not below the number of groups (layers number `0..layers`, and
    /// a region cannot have more layers than groups).
    #[error(
        "group `{group}` has layer {layer}, expected a layer below {groups} (the number of groups)"
    )]
    LayerOutOfRange {
        /// The group's name.
        group: String,
        /// Its layer index.
        layer: usize,
        /// The number of groups of the region.
        groups: usize,
    },
    /// A class label at or above the number of classes.
    #[error("label {label} at example {index} is out of range: expected a class below {classes}")]
    LabelOutOfRange {
        /// Example index.
        index: usize,
        /// The label.
        label: usize,
        /// Number of classes.
        classes: usize,
    },
    /// The backend failed (device error, lost context, failed transfer).
    #[error("backend failed: {message}")]
    Backend {
        /// The backend's own message, which names the backend.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns `value` if it is finite and `≥ 0`, else an [`Error::InvalidNumber`].
pub(crate) fn non_negative(what: &'static str, value: f64) -> Result<f64> {
    if finite(what, value)? >= 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidNumber {
            what,
            value,
            expected: "a finite number >= 0",
        })
    }
}

/// Returns `value` if it is finite, else an [`Error::InvalidNumber`].
pub(crate) fn finite(what: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::InvalidNumber {
            what,
            value,
            expected: "a finite number",
        })
    }
}
