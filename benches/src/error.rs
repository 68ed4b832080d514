//! Errors of the benchmark harness.

use thiserror::Error;

/// A benchmark that could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The subspace math or a backend failed.
    #[error(transparent)]
    Subspace(#[from] subspace_core::Error),
    /// The burn plugin failed.
    #[error(transparent)]
    Burn(#[from] subspace_burn::Error),
    /// The GPU of the `vulkan` feature could not be initialised.
    #[error("the Vulkan GPU DiscreteGpu(0) could not be initialised: {message}")]
    Gpu {
        /// wgpu's message.
        message: String,
    },
    /// A rayon thread pool could not be built.
    #[error("could not start a pool of {threads} threads: {message}")]
    ThreadPool {
        /// The threads asked for.
        threads: usize,
        /// rayon's message.
        message: String,
    },
    /// A command-line setting that the harness cannot use.
    #[error("invalid setting {setting} = {value}: expected {expected}")]
    InvalidSetting {
        /// The setting's name.
        setting: &'static str,
        /// The rejected value.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The report could not be written.
    #[error("could not write the report: {0}")]
    Write(#[from] std::io::Error),
}

impl From<subspace_core::BackendError> for Error {
    fn from(e: subspace_core::BackendError) -> Self {
        Self::Subspace(e.into())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
