//! # subspace-luminal
//!
//! The [luminal](https://crates.io/crates/luminal) adapter of `subspace`, the only crate that
//! names luminal types:
//!
//! - [`Luminal`] implements core's [`Backend`](subspace_core::Backend) as luminal graphs, so
//!   mix, scatter, the cos² regularizer and its gradient, weight decay and SWA/EMA all run
//!   through luminal (on its CPU compiler, or on CUDA with the `cuda` feature);
//! - [`mlp::LuminalMlp`] runs the reference MLP as luminal graphs: logits at any point of a
//!   region read from a framework-neutral [region file](subspace_core::REGION_FORMAT) (written by
//!   the burn adapter or the reference), sweeps and ensembles, and training with the backward
//!   pass written as graph ops.
//!
//! # Design
//!
//! luminal `0.2.0` builds a static graph of a dozen primitive ops (`exp2`, `log2`, `sin`,
//! `sqrt`, `recip`, `+`, `*`, `%`, `<`, sum and max reductions, `contiguous`) with typed shapes,
//! compiles it for a device and executes it. It has no autograd.
//!
//! - **One graph per operation, compiled once.** Core's `Backend` is a set of by-value
//!   functions without `&self`, so each function is one graph: `lincomb` with `k` terms, `dot`,
//!   `gram`, the MLP's logits and its loss-and-gradient. Each is built with *dynamic
//!   dimensions* (`Dyn<'n'>`), compiled by the [`Target`] the first time it is used on a
//!   thread, and cached in a thread-local map; every later call sets the dimensions and inputs
//!   and executes the compiled graph, whatever the sizes (so shapes that stay fixed reuse it a
//!   fortiori). Coefficients are graph inputs, never constants: a new point of the region does
//!   not recompile. luminal graphs hold raw pointers into themselves, so they are boxed, never
//!   moved and never sent to another thread.
//! - **Tensors live on the host between operations.** A [`Tensor`] is a cheap `Arc` handle on
//!   `f32` data; a graph's inputs are copied in and its outputs read back (on CUDA: copied to
//!   the device and back at each graph's boundary). Scalars (`dot`, `gram`) come back as `f64`
//!   when their graph runs, so `to_host` only hands them over and never fails. An
//!   operation on tensors with no elements returns without running a graph (luminal counts an
//!   empty shape as one element).
//! - **Precision.** `f32` throughout; coefficients are rounded to `f32`. Sums of a linear
//!   combination run in term order, so `lincomb` at a vertex returns the copy exactly. Dot
//!   products are blocked: a sequential sum inside each block of [`BLOCK`] elements (the data
//!   zero-padded on the host to whole blocks), then a sequential sum of the block sums.
//! - **Matmuls on the CPU.** luminal `0.2.0`'s own pass that lowers 2-D matmuls to `sgemm`
//!   never fires (it checks the wrong reduce axis); [`MatMul2DAxis2`] does the rewrite, so the
//!   MLP's products run in `matrixmultiply` as in the reference.
//! - **No autograd needed.** The plugin contract only needs `dL/dw` at the mixed point; the
//!   MLP's backward pass is the chain rule written out as luminal ops (see [`mlp`]), and the
//!   cos² gradient is core's closed form on top of `gram` and `lincomb`.
//!
//! # CUDA
//!
//! With the `cuda` feature, the target `Cuda` compiles the same graphs with
//! `luminal_cuda 0.2.0` (NVRTC kernels, cuBLAS). Building it needs CUDA headers and libraries;
//! `scripts/build-luminal-cuda.sh` builds it on a machine without CUDA (headers from a PyPI
//! wheel, stub libraries with the GPU machine's sonames) and `scripts/run-luminal-cuda.sh` runs
//! the checks on the GPU machine (`docs/luminal-cuda.md`).

#![deny(missing_docs)]

mod backend;
mod cpu_matmul;
mod graph;
pub mod mlp;
mod target;
mod tensor;

pub use backend::{BLOCK, Luminal};
pub use cpu_matmul::MatMul2DAxis2;
#[cfg(feature = "cuda")]
pub use target::Cuda;
pub use target::{Cpu, Target};
pub use tensor::Tensor;
