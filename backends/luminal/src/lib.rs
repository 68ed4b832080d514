//! # subspace-luminal
//!
//! The [luminal](https://crates.io/crates/luminal) adapter of `subspace`: the only crate that
//! names luminal types. [`Luminal`] implements core's [`Backend`](subspace_core::Backend) as
//! luminal graphs, so mix, scatter, the cos² regularizer and its gradient, weight decay and
//! SWA/EMA all run through luminal.
//!
//! # Design
//!
//! luminal `0.2.0` builds a static graph of a dozen primitive ops with typed shapes, compiles it
//! for a device and executes it; it has no autograd. Core's `Backend` is a set of by-value
//! functions without `&self`, so each function is one graph:
//!
//! - **One graph per operation, compiled once.** `lincomb` with `k` terms, `dot` and `gram` are
//!   each built once per thread with *dynamic dimensions* (`Dyn<'n'>`), compiled by the
//!   [`Target`], and cached; every later call sets the dimensions and inputs and executes the
//!   compiled graph, whatever the sizes. Coefficients are graph inputs, so a new point of the
//!   region never recompiles.
//! - **Tensors live on the host between operations.** A [`Tensor`] is a cheap handle
//!   (`Arc`) on `f32` data; a graph's inputs are copied in and its outputs read back. Scalars
//!   (`dot`, `gram`) come back as `f64` when their graph runs, so `to_host` never fails.
//! - **Blocked reductions.** Dot products sum blocks of [`BLOCK`] elements, then the block
//!   sums, in `f32`.

#![deny(missing_docs)]

mod backend;
mod graph;
pub mod mlp;
mod target;
mod tensor;

pub use backend::{BLOCK, Luminal};
pub use target::{Cpu, Target};
pub use tensor::Tensor;
