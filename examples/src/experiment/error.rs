//! Errors of the experiment.

use crate::config::ConfigError;
use crate::data::DataError;
use crate::report::ReportError;

/// Why an experiment stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The configuration was invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The burn plugin rejected an operation.
    #[error("burn plugin: {0}")]
    Plugin(#[from] subspace_burn::Error),
    /// A metric or region operation of core failed.
    #[error("subspace core: {0}")]
    Core(#[from] subspace_core::Error),
    /// A run was asked to train on no examples (no steps, nothing to average).
    #[error(
        "{run}: the training set is empty; expected at least one training example (check \
         data.train_examples and the data files)"
    )]
    NoTrainingData {
        /// The run.
        run: String,
    },
    /// Training diverged.
    #[error("{run} diverged at step {step}: loss {loss}; expected a finite loss (lower train.lr?)")]
    Diverged {
        /// The run.
        run: String,
        /// The step.
        step: u64,
        /// The loss seen.
        loss: f32,
    },
    /// The compute device failed (reading results back, running a kernel).
    #[error("device: {0}")]
    Device(String),
    /// The report could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A finished unit kept by an earlier run cannot be used.
    #[error(
        "finished-unit file {path:?} {reason}: delete it to train that unit again, or choose \
         another --out"
    )]
    FinishedUnit {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A trained region could not be saved.
    #[error(transparent)]
    RegionFile(#[from] subspace_core::RegionFileError),
    /// The output directory could not be created.
    #[error("cannot create output directory {path}: {source}")]
    OutputDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
