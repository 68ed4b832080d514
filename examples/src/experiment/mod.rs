//! The protocol: methods, learning-rate schedule, training runs and their evaluation.

mod average;
mod batch;
mod data;
mod device;
mod error;
mod evaluate;
mod method;
mod outputs;
mod progress;
mod run;
mod schedule;
mod score;
mod train;

pub use average::Average;
pub use batch::{images_tensor, labels_tensor, training_batch};
pub use data::ExperimentData;
pub use device::compute_device;
pub use error::ExperimentError;
pub use evaluate::{Evaluator, Measured, ensemble_members, vertices};
pub use method::{ALL_METHODS, Method, RegionSpec, Run, runs_for};
pub use outputs::Outputs;
pub use progress::Progress;
pub use run::{SECOND_MODEL_SEED_OFFSET, jobs_per_seed, run_experiment, run_protocol, total_jobs};
pub use schedule::LrSchedule;
pub use score::{Scored, endpoint_metrics, ensemble_of, grid_metrics, no_recalibration_metrics};
pub use train::{Averaging, TrainJob, Trained, train};
