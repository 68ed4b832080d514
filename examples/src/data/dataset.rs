//! An image classification dataset in memory, and a train/test split.

use std::path::Path;

use rand::{SeedableRng, rngs::ChaCha8Rng, seq::SliceRandom};

use super::error::{DataError, Result};
use super::idx::{read_images, read_labels};

/// `len` grey images of `rows × cols` pixels scaled to `[0, 1]`, with labels below `classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    images: Vec<f32>,
    labels: Vec<usize>,
    rows: usize,
    cols: usize,
    classes: usize,
}

/// The training and test parts of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The examples to train on.
    pub train: Dataset,
    /// The held-out examples.
    pub test: Dataset,
}

impl Dataset {
    /// Validates `images.len() == labels.len() · rows · cols` and every label `< classes`.
    pub fn new(
        images: Vec<f32>,
        labels: Vec<usize>,
        rows: usize,
        cols: usize,
        classes: usize,
    ) -> Result<Self> {
        if images.len() != labels.len() * rows * cols {
            return Err(DataError::LengthMismatch {
                what: "images (examples x rows x cols)",
                expected: labels.len() * rows * cols,
                found: images.len(),
            });
        }
        check_labels("labels", &labels, classes)?;
        Ok(Self {
            images,
            labels,
            rows,
            cols,
            classes,
        })
    }

    /// Reads an `idx3-ubyte` image file and an `idx1-ubyte` label file (gzipped or not).
    ///
    /// Errors if either file is missing, corrupt or truncated, the counts differ, or a label is
    /// not below `classes`.
    pub fn from_idx(images: &Path, labels: &Path, classes: usize) -> Result<Self> {
        Self::from_idx_with_hint(
            images,
            labels,
            classes,
            "expected an IDX file, gzipped or not",
        )
    }

    pub(crate) fn from_idx_with_hint(
        images_path: &Path,
        labels_path: &Path,
        classes: usize,
        hint: &str,
    ) -> Result<Self> {
        let images = read_images(images_path, hint)?;
        let labels = read_labels(labels_path, hint)?;
        if images.count != labels.len() {
            return Err(DataError::CountMismatch {
                images: images_path.to_path_buf(),
                labels: labels_path.to_path_buf(),
                image_count: images.count,
                label_count: labels.len(),
            });
        }
        let labels: Vec<usize> = labels.into_iter().map(usize::from).collect();
        check_labels(&labels_path.display().to_string(), &labels, classes)?;
        Ok(Self {
            images: images
                .pixels
                .iter()
                .map(|&p| f32::from(p) / 255.0)
                .collect(),
            labels,
            rows: images.rows,
            cols: images.cols,
            classes,
        })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixel rows per image.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Pixel columns per image.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Values per image, `rows · cols`.
    pub fn features(&self) -> usize {
        self.rows * self.cols
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// All images, row-major `[len, rows · cols]`, in `[0, 1]`.
    pub fn images(&self) -> &[f32] {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The pixels of example `i`, or `None` if `i >= len()`.
    pub fn image(&self, i: usize) -> Option<&[f32]> {
        // Checked before multiplying: `i * features` of a huge `i` would wrap around.
        let f = self.features();
        (i < self.len()).then(|| &self.images[i * f..(i + 1) * f])
    }

    /// The same images with other labels (e.g. from
    /// [`corrupt_labels`](super::corrupt_labels)); errors on a wrong count or a label out of
    /// range.
    pub fn with_labels(self, labels: Vec<usize>) -> Result<Self> {
        Self::new(self.images, labels, self.rows, self.cols, self.classes)
    }

    /// The first `n` examples (all of them when there are fewer).
    pub fn head(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self {
            images: self.images[..n * self.features()].to_vec(),
            labels: self.labels[..n].to_vec(),
            rows: self.rows,
            cols: self.cols,
            classes: self.classes,
        }
    }

    /// The examples at `indices`, in that order; errors on an index out of range.
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let mut images = Vec::with_capacity(indices.len() * self.features());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            let (Some(image), Some(&label)) = (self.image(i), self.labels.get(i)) else {
                return Err(DataError::IndexOutOfRange {
                    index: i,
                    len: self.len(),
                });
            };
            images.extend_from_slice(image);
            labels.push(label);
        }
        Ok(Self {
            images,
            labels,
            rows: self.rows,
            cols: self.cols,
            classes: self.classes,
        })
    }

    /// Splits off `test` examples chosen by a shuffle seeded with `seed`; the rest is the
    /// training part. Errors unless `0 < test < len`.
    pub fn split_shuffled(&self, test: usize, seed: u64) -> Result<Split> {
        if test == 0 || test >= self.len() {
            return Err(DataError::InvalidArgument {
                what: "test examples",
                value: test as f64,
                expected: "at least 1 and fewer than the dataset's examples",
            });
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        Ok(Split {
            test: self.select(&order[..test])?,
            train: self.select(&order[test..])?,
        })
    }
}

/// Errors with [`DataError::LabelOutOfRange`] on the first label `>= classes`.
pub(crate) fn check_labels(origin: &str, labels: &[usize], classes: usize) -> Result<()> {
    match labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        Some((index, &label)) => Err(DataError::LabelOutOfRange {
            origin: origin.into(),
            index,
            label,
            classes,
        }),
        None => Ok(()),
    }
}
