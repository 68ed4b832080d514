//! The data of an experiment: the configured subset, input standardisation and the noisy labels.

use crate::config::{DataConfig, DatasetName};
use crate::data::{self, DataError, Dataset};
use crate::models::{CLASSES, IMAGE_SIDE};

/// Training and test data ready for the protocol.
#[derive(Debug, Clone)]
pub struct ExperimentData {
    /// Training examples with their true labels.
    pub train: Dataset,
    /// The same images with the noisy labels of the noisy condition, if there is one.
    pub train_noisy: Option<Dataset>,
    /// Test examples (always true labels).
    pub test: Dataset,
    /// Where the files were read from.
    pub source: String,
    /// Pixel mean of the training images, subtracted from every input.
    pub mean: f32,
    /// Pixel standard deviation of the training images, divides every input.
    pub std: f32,
}

impl ExperimentData {
    /// Loads the configured data set, keeps the configured number of examples and draws the
    /// label corruption (seeded by `noise_seed`, the same for every method and training seed).
    ///
    /// Errors if the data cannot be read, or a part is empty, holds images of another size
    /// than the models' [`IMAGE_SIDE`]² or has another number of classes than their
    /// [`CLASSES`].
    pub fn load(config: &DataConfig) -> Result<Self, DataError> {
        let (split, source) = match config.dataset {
            DatasetName::FashionMnist => {
                let dir = config.data_dir.as_deref();
                let source =
                    dir.map_or(data::FASHION_MNIST_DIR.into(), |d| d.display().to_string());
                (data::fashion_mnist(dir)?, source)
            }
            DatasetName::Mnist => {
                let dir = config
                    .data_dir
                    .as_deref()
                    .ok_or_else(|| DataError::Missing {
                        path: "<no --data-dir>".into(),
                        hint: format!("MNIST needs --data-dir: {}", data::MNIST_HINT),
                    })?;
                (data::mnist(dir)?, dir.display().to_string())
            }
        };
        let train = match config.train_examples {
            Some(n) => split.train.head(n),
            None => split.train,
        };
        let test = match config.test_examples {
            Some(n) => split.test.head(n),
            None => split.test,
        };
        check_fits_the_models("training", &train, &source)?;
        check_fits_the_models("test", &test, &source)?;
        let train_noisy = if config.label_noise > 0.0 {
            let labels = data::corrupt_labels(
                train.labels(),
                config.label_noise,
                config.noise_seed,
                train.classes(),
            )?;
            Some(train.clone().with_labels(labels)?)
        } else {
            None
        };
        let (mean, std) = pixel_moments(train.images());
        Ok(Self {
            train,
            train_noisy,
            test,
            source,
            mean,
            std,
        })
    }

    /// The training set of a noise level: the true labels at 0, the corrupted ones otherwise.
    pub fn train_at(&self, label_noise: f64) -> &Dataset {
        match &self.train_noisy {
            Some(noisy) if label_noise > 0.0 => noisy,
            _ => &self.train,
        }
    }

    /// How many training labels the corruption changed.
    pub fn labels_changed(&self) -> usize {
        self.train_noisy.as_ref().map_or(0, |noisy| {
            noisy
                .labels()
                .iter()
                .zip(self.train.labels())
                .filter(|(a, b)| a != b)
                .count()
        })
    }

    /// `(x − mean) / std` in place.
    pub fn standardise(&self, pixels: &mut [f32]) {
        for p in pixels {
            *p = (*p - self.mean) / self.std;
        }
    }
}

/// Errors unless `part` holds examples of [`IMAGE_SIDE`]² pixels in [`CLASSES`] classes, the
/// input and output of every model of the experiment.
fn check_fits_the_models(part: &'static str, d: &Dataset, source: &str) -> Result<(), DataError> {
    if d.is_empty() {
        return Err(DataError::Empty {
            part,
            source_name: source.into(),
        });
    }
    if (d.rows(), d.cols()) != (IMAGE_SIDE, IMAGE_SIDE) {
        return Err(DataError::ImageSize {
            part,
            source_name: source.into(),
            rows: d.rows(),
            cols: d.cols(),
            expected_rows: IMAGE_SIDE,
            expected_cols: IMAGE_SIDE,
        });
    }
    if d.classes() != CLASSES {
        return Err(DataError::ClassCount {
            part,
            source_name: source.into(),
            found: d.classes(),
            expected: CLASSES,
        });
    }
    Ok(())
}

/// Mean and standard deviation of all pixels (`std` at least `1e-6`).
fn pixel_moments(pixels: &[f32]) -> (f32, f32) {
    let n = pixels.len().max(1) as f64;
    let mean = pixels.iter().map(|&p| p as f64).sum::<f64>() / n;
    let var = pixels
        .iter()
        .map(|&p| (p as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean as f32, (var.sqrt() as f32).max(1e-6))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// IDX files `{split}-{images-idx3,labels-idx1}-ubyte` of `count` images of `side`² pixels.
    fn write_idx(dir: &Path, split: &str, count: u32, side: u32) {
        let mut images = Vec::new();
        for word in [0x0803, count, side, side] {
            images.extend(word.to_be_bytes());
        }
        images.extend((0..count * side * side).map(|p| (p % 251) as u8));
        let mut labels = Vec::new();
        for word in [0x0801, count] {
            labels.extend(word.to_be_bytes());
        }
        labels.extend((0..count).map(|n| (n % 10) as u8));
        std::fs::write(dir.join(format!("{split}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), labels).unwrap();
    }

    fn config(dir: &Path) -> DataConfig {
        DataConfig {
            dataset: DatasetName::FashionMnist,
            data_dir: Some(dir.to_path_buf()),
            train_examples: None,
            test_examples: None,
            label_noise: 0.0,
            noise_seed: 0,
        }
    }

    #[test]
    fn images_of_another_size_than_the_models_take_are_refused_at_load() {
        let dir = tempfile::TempDir::new().unwrap();
        write_idx(dir.path(), "train", 4, 28);
        write_idx(dir.path(), "t10k", 3, 28);
        let data = ExperimentData::load(&config(dir.path())).unwrap();
        assert_eq!((data.train.len(), data.test.len()), (4, 3));

        // 32×32 test images (CIFAR-sized), then images of no pixels at all.
        for (split, side) in [("t10k", 32), ("train", 0)] {
            write_idx(dir.path(), split, 3, side);
            match ExperimentData::load(&config(dir.path())) {
                Err(DataError::ImageSize {
                    rows,
                    cols,
                    expected_rows: 28,
                    expected_cols: 28,
                    part,
                    ..
                }) => {
                    assert_eq!((rows, cols), (side as usize, side as usize));
                    assert_eq!(part, if split == "train" { "training" } else { "test" });
                }
                other => panic!("expected an image-size error, got {other:?}"),
            }
            write_idx(dir.path(), split, 3, 28);
        }
    }

    #[test]
    fn an_empty_part_is_refused_at_load() {
        let dir = tempfile::TempDir::new().unwrap();
        write_idx(dir.path(), "train", 0, 28);
        write_idx(dir.path(), "t10k", 3, 28);
        let err = ExperimentData::load(&config(dir.path())).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::Empty {
                    part: "training",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn moments_standardise_to_zero_mean_unit_variance() {
        let pixels = [0.0, 0.5, 1.0, 0.5];
        let (m, s) = pixel_moments(&pixels);
        assert!((m - 0.5).abs() < 1e-7);
        let mut x = pixels;
        for p in &mut x {
            *p = (*p - m) / s;
        }
        let var: f32 = x.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!((var - 1.0).abs() < 1e-6);
        assert_eq!(pixel_moments(&[0.3, 0.3]).1, 1e-6);
    }
}
