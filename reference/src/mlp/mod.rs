//! A small MLP with a hand-written backward pass and the subspace training loop: the
//! oracle trajectory other backends replay.
//!
//! - [`Mlp`]: `fc1` (input → hidden), ReLU, `fc2` (hidden → classes), parameters in the order
//!   of [`PARAMS`] with burn's `Linear` layout (`y = x W + b`, `W` of dims `[in, out]`);
//! - [`Mlp::loss_and_grads`]: mean softmax cross-entropy and its gradient;
//! - [`Mlp::logits_at`]: evaluation at any point of a region, as core
//!   [`Logits`](subspace_core::metrics::Logits);
//! - [`train`] / [`train_step`]: the plugin contract of core, step by step, for any
//!   [`Network`] (this MLP, or an adapter's on its own backend). Every random
//!   choice is a pure function of `(seed, step)`, so replaying the same initial copies
//!   ([`Mlp::init_copies`]), [`TrainConfig`] and batches gives the same trajectory, and a run
//!   resumed from a saved [`TrainState`] continues exactly.

mod batch;
mod gemm;
mod model;
mod network;
mod train;

pub use batch::Batch;
pub use model::{Mlp, PARAMS, ParamSpec};
pub use network::LossAndGrads;
pub use train::{Network, StepRecord, TrainConfig, TrainState, train, train_step};
