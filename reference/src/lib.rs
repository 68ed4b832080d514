//! # subspace-reference
//!
//! The CPU reference for `subspace`: a [`Backend`](subspace_core::Backend) on `ndarray` whose
//! arithmetic is `f64` and obviously correct, the oracle of the conformance suite; and a small
//! [MLP](mlp) with a hand-written backward pass and a [learning-rate schedule](LrSchedule),
//! trained through core's plugin contract (with core's SGD step) so that whole training
//! trajectories can be replayed by other backends and compared.

#![deny(missing_docs)]

mod backend;
mod lr_schedule;
pub mod mlp;

pub use backend::{Cpu, Reference, Tensor};
pub use lr_schedule::{LrSchedule, warmup_cosine};
