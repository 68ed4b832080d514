//! # subspace-burn
//!
//! Train a line, curve or simplex of networks (Wortsman et al., "Learning Neural Network
//! Subspaces", ICML 2021) with an unchanged burn model and an ordinary burn training loop.
//! This is the only crate of the workspace that names burn types (burn `=0.22.1`).
//!
//! - [`Subspace`]: `m` independently initialised copies of your `#[derive(Module)]` model. It
//!   is itself a burn module, so any burn optimizer steps it and keeps separate state (and
//!   weight decay) for every copy.
//! - Both forms of the plugin contract: **in the graph** ([`Subspace::at`] +
//!   [`Subspace::gradients`]: the mix `Σ c_i w_i` is a burn
//!   [reparameterization](burn::module::Reparameterization) and burn's backward gives every
//!   copy its gradient) and **mix outside, scatter after backward** ([`Subspace::mixed`] +
//!   [`Subspace::scatter`], through core's `Region::mix` and `copy_gradients`). Both give the
//!   same gradients, also for a layer the loss does not reach (tested).
//! - The whole-network cos² regularizer on a random pair per step, over linear and
//!   convolution weights by default ([`conv_linear_weights`], configurable).
//! - Frozen parameters (burn's `freeze`, `no_grad`) stay frozen: a frozen copy gets no
//!   gradient and no step in either form or in [`SubspaceSgd`], and a parameter frozen in
//!   every copy is left out of the cos² sums ([`Subspace::region`]).
//! - [`SubspaceSgd`]: SGD with momentum and weight decay fused with the plugin's gradient, for
//!   the mix-outside form ([`Subspace::mixed_step`]): every copy of a parameter stepped in one
//!   pass over its memory on the CPU, with the bits of `scatter` followed by burn's `Sgd`.
//! - [`recalibrate_batch_norm`] at any point; [`Subspace::export`] of any point as a plain
//!   model of your type; SWA and EMA of any burn model ([`ModelSwa`], [`ModelEma`]).
//! - [Checkpoints](save_checkpoint) of copies, optimizer state (any burn optimizer, or
//!   [`SubspaceSgd`]), schedule and step in burn's record format, written atomically.
//! - Regions across frameworks: [`Subspace::region`] gives the copies to core's
//!   `save_region`; [`Subspace::from_region`] loads a region file written by any backend (the
//!   reference MLP, luminal) into copies of your model.
//! - [`Burn`]: the subspace [`Backend`](subspace_core::Backend) on burn tensors (flex on the
//!   CPU; Vulkan on a GPU with the `vulkan` feature), held to the reference by the conformance
//!   suite.
//!
//! # A line of MLPs in a burn loop
//!
//! ```
//! use burn::nn::loss::CrossEntropyLossConfig;
//! use burn::nn::{Linear, LinearConfig};
//! use burn::optim::SgdConfig;
//! use burn::optim::momentum::MomentumConfig;
//! use burn::prelude::*;
//! use burn::tensor::activation::relu;
//! use subspace_burn::{Subspace, SubspaceConfig};
//! use subspace_core::Shape;
//!
//! // Your model, unchanged.
//! #[derive(Module, Debug)]
//! struct Mlp {
//!     fc1: Linear,
//!     fc2: Linear,
//! }
//!
//! impl Mlp {
//!     fn new(device: &Device) -> Self {
//!         Self {
//!             fc1: LinearConfig::new(4, 16).init(device),
//!             fc2: LinearConfig::new(16, 3).init(device),
//!         }
//!     }
//!
//!     fn forward(&self, x: Tensor<2>) -> Tensor<2> {
//!         self.fc2.forward(relu(self.fc1.forward(x)))
//!     }
//! }
//!
//! # fn main() -> Result<(), subspace_burn::Error> {
//! let device = Device::flex().autodiff();
//! // A line: two copies, each initialised by its own call of `Mlp::new`.
//! let mut line = Subspace::new(SubspaceConfig::new(Shape::Line, 42), || Mlp::new(&device))?;
//! let mut optim = SgdConfig::new()
//!     .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
//!     .init();
//! let loss_fn = CrossEntropyLossConfig::new().init(&device);
//!
//! for step in 0..20u64 {
//!     let x = Tensor::<2>::random([32, 4], burn::tensor::Distribution::Default, &device);
//!     let y = x.clone().argmax(1).squeeze_dim::<1>(1).remainder_scalar(3);
//!
//!     let model = line.at(&line.points(step))?;          // your Mlp at a sampled point
//!     let loss = loss_fn.forward(model.forward(x), y);
//!     let grads = line.gradients(loss.backward(), step)?; // c_i g + cos² term, per copy
//!     line = optim.step(0.05, line, grads.params);        // any burn optimizer
//! }
//!
//! // The midpoint as a plain `Mlp`, usable without this crate.
//! let midpoint: Mlp = line.export(&Shape::Line.midpoint()?)?;
//! let logits = midpoint.forward(Tensor::zeros([1, 4], &device));
//! assert_eq!(logits.dims(), [1, 3]);
//! # Ok(())
//! # }
//! ```
//!
//! Models with BatchNorm: evaluate a point after
//! `recalibrate_batch_norm(&model, batches, |m, x| { m.forward(x.clone()); })`.

#![deny(missing_docs)]

mod averaging;
mod backend;
mod batch_norm;
mod checkpoint;
mod error;
mod flex_kernels;
mod layout;
mod mix_param;
mod params;
mod sgd;
mod subspace;
mod walk;

pub use averaging::{ModelEma, ModelSwa};
pub use backend::{Burn, BurnScalar, BurnTensor, REDUCTION_BLOCK, flex};
pub use batch_norm::recalibrate_batch_norm;
pub use checkpoint::{
    CHECKPOINT_VERSION, Checkpoint, CheckpointError, CheckpointOptimizer, save_checkpoint,
};
pub use error::{Error, Result};
pub use layout::{GroupLayout, Layout, MAX_RANK, conv_linear_weights};
pub use mix_param::MixedCopies;
pub use sgd::SubspaceSgd;
pub use subspace::{CopyGradients, MixedStep, Subspace, SubspaceConfig};
pub use walk::ParamSite;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExample;
