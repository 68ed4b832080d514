//! burn adapter for subspace: train lines, curves and simplices of unchanged burn models.

#![deny(missing_docs)]

mod averaging;
mod backend;
mod batch_norm;
mod checkpoint;
mod error;
mod layout;
mod mix_param;
mod params;
mod subspace;
mod walk;

pub use averaging::{ModelEma, ModelSwa};
pub use backend::{Burn, BurnTensor, REDUCTION_BLOCK};
pub use batch_norm::recalibrate_batch_norm;
pub use checkpoint::{CHECKPOINT_VERSION, Checkpoint, CheckpointError, save_checkpoint};
pub use error::{Error, Result};
pub use layout::{GroupLayout, Layout, MAX_RANK, conv_linear_weights};
pub use mix_param::MixedCopies;
pub use subspace::{CopyGradients, Subspace, SubspaceConfig};
pub use walk::ParamSite;
