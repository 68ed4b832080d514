//! What can go wrong reading a dataset: every variant names the file and what was expected.

use std::path::PathBuf;

use thiserror::Error;

/// Errors of the dataset readers.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file or directory that is not there.
    #[error("{path} does not exist: {hint}")]
    Missing {
        /// The path looked for.
        path: PathBuf,
        /// How to obtain it.
        hint: String,
    },
    /// Reading (or decompressing) failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An IDX file with the wrong magic number.
    #[error(
        "{path} is not an IDX {kind} file: magic number {found:#010x}, expected {expected:#010x}"
    )]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// `"images"` or `"labels"`.
        kind: &'static str,
        /// The magic number required.
        expected: u32,
        /// The magic number found.
        found: u32,
    },
    /// A file whose length does not match its header (truncated or with trailing bytes).
    #[error("{path} has {found} bytes, but its header implies {expected}")]
    SizeMismatch {
        /// The file (after decompression).
        path: PathBuf,
        /// The length the header implies.
        expected: u64,
        /// The length found.
        found: u64,
    },
    /// Image and label files of one split with different numbers of examples.
    #[error("{images} holds {image_count} images but {labels} holds {label_count} labels")]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// The label file.
        labels: PathBuf,
        /// Number of images.
        image_count: usize,
        /// Number of labels.
        label_count: usize,
    },
    /// A label at or above the number of classes.
    #[error(
        "{origin}: label {label} of example {index} is out of range: expected a class below {classes}"
    )]
    LabelOutOfRange {
        /// The file it was read from, or `"labels"` for data built in memory.
        origin: String,
        /// The example.
        index: usize,
        /// The label found.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// In-memory data whose parts do not fit together.
    #[error("{what} has length {found}, expected {expected}")]
    LengthMismatch {
        /// Which part.
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// An example index at or past the end of a dataset.
    #[error("example {index} does not exist: expected an index below {len}")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The number of examples.
        len: usize,
    },
    /// A CSV row that does not parse.
    #[error("{path}, line {line}: {reason}")]
    BadCsvRow {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What was wrong and what was expected.
        reason: String,
    },
    /// Images of another size than a consumer (the experiment's models) takes.
    #[error(
        "the {part} images of {source_name} are {rows}×{cols} pixels: expected \
         {expected_rows}×{expected_cols} (the size the models take)"
    )]
    ImageSize {
        /// Which part: `"training"` or `"test"`.
        part: &'static str,
        /// Where the data came from.
        source_name: String,
        /// Pixel rows found.
        rows: usize,
        /// Pixel columns found.
        cols: usize,
        /// Pixel rows expected.
        expected_rows: usize,
        /// Pixel columns expected.
        expected_cols: usize,
    },
    /// Data with another number of classes than a consumer (the experiment's models) predicts.
    #[error(
        "the {part} set of {source_name} has {found} classes: expected {expected} (the classes \
         the models predict)"
    )]
    ClassCount {
        /// Which part: `"training"` or `"test"`.
        part: &'static str,
        /// Where the data came from.
        source_name: String,
        /// Classes found.
        found: usize,
        /// Classes expected.
        expected: usize,
    },
    /// A part of the data that holds no examples.
    #[error("the {part} set of {source_name} is empty: expected at least one example")]
    Empty {
        /// Which part: `"training"` or `"test"`.
        part: &'static str,
        /// Where the data came from.
        source_name: String,
    },
    /// An argument outside its domain (a noise fraction, a batch size, a split size).
    #[error("{what} = {value} is invalid: expected {expected}")]
    InvalidArgument {
        /// The argument's name.
        what: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
}

/// Shorthand for results of the data module.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
