use crate::error::{Error, Result};

/// A batch of logits: `rows` examples × `classes` classes, row-major, all finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Logits {
    rows: usize,
    classes: usize,
    data: Vec<f32>,
}

impl Logits {
    /// Validates `data.len() == rows · classes`, `classes ≥ 1` and finite entries.
    pub fn new(rows: usize, classes: usize, data: Vec<f32>) -> Result<Self> {
        if classes == 0 {
            return Err(Error::Empty {
                operation: "Logits::new",
                what: "classes",
            });
        }
        // Saturating: a product beyond `usize::MAX` is no vector's length.
        let expected = rows.saturating_mul(classes);
        if data.len() != expected {
            return Err(Error::LengthMismatch {
                operation: "Logits::new",
                what: "logits for rows x classes",
                expected,
                found: data.len(),
            });
        }
        if let Some(&bad) = data.iter().find(|x| !x.is_finite()) {
            return Err(Error::InvalidNumber {
                what: "logit",
                value: bad as f64,
                expected: "a finite number",
            });
        }
        Ok(Self {
            rows,
            classes,
            data,
        })
    }

    /// The number of examples.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The logits of example `r`.
    ///
    /// # Panics
    ///
    /// If `r` is not below [`Logits::rows`], as slice indexing does.
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.classes..(r + 1) * self.classes]
    }

    /// All logits, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Iterates over the rows.
    pub fn iter_rows(&self) -> impl Iterator<Item = &[f32]> {
        self.data.chunks_exact(self.classes)
    }

    /// The softmax of row `r`, in `f64`.
    ///
    /// # Panics
    ///
    /// If `r` is not below [`Logits::rows`].
    pub fn softmax(&self, r: usize) -> Vec<f64> {
        softmax(self.row(r))
    }

    /// The predicted class of row `r` (the first maximum).
    ///
    /// # Panics
    ///
    /// If `r` is not below [`Logits::rows`].
    pub fn argmax(&self, r: usize) -> usize {
        argmax(self.row(r))
    }

    /// Checks that `labels` has one class below `classes` per row.
    pub(crate) fn check_labels(&self, labels: &[usize]) -> Result<()> {
        if labels.len() != self.rows {
            return Err(Error::LengthMismatch {
                operation: "metrics",
                what: "labels",
                expected: self.rows,
                found: labels.len(),
            });
        }
        match labels.iter().enumerate().find(|&(_, &l)| l >= self.classes) {
            Some((index, &label)) => Err(Error::LabelOutOfRange {
                index,
                label,
                classes: self.classes,
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn check_nonempty(&self, operation: &'static str) -> Result<()> {
        if self.rows == 0 {
            Err(Error::Empty {
                operation,
                what: "logits",
            })
        } else {
            Ok(())
        }
    }
}

pub(crate) fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv { (i, v) } else { (bi, bv) }
        })
        .0
}

/// `softmax(z)_k = exp(z_k - max z) / Σ exp(z_j - max z)`, in `f64`.
pub(crate) fn softmax(row: &[f32]) -> Vec<f64> {
    let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
    let exp: Vec<f64> = row.iter().map(|&v| (v as f64 - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / total).collect()
}

/// `log Σ exp(z_j)`, stable.
fn log_sum_exp(row: &[f32]) -> f64 {
    let max = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
    max + row
        .iter()
        .map(|&v| (v as f64 - max).exp())
        .sum::<f64>()
        .ln()
}

/// Fraction of rows whose argmax equals the label.
pub fn accuracy(logits: &Logits, labels: &[usize]) -> Result<f64> {
    logits.check_nonempty("accuracy")?;
    logits.check_labels(labels)?;
    let correct = (0..logits.rows)
        .filter(|&r| logits.argmax(r) == labels[r])
        .count();
    Ok(correct as f64 / logits.rows as f64)
}

/// Mean negative log-likelihood `-(1/N) Σ log softmax(z_n)_{y_n}`.
pub fn nll(logits: &Logits, labels: &[usize]) -> Result<f64> {
    logits.check_nonempty("nll")?;
    logits.check_labels(labels)?;
    let total: f64 = logits
        .iter_rows()
        .zip(labels)
        .map(|(row, &y)| log_sum_exp(row) - row[y] as f64)
        .sum();
    Ok(total / logits.rows as f64)
}
