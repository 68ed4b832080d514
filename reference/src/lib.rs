//! # subspace-reference
//!
//! The CPU reference for `subspace`: a [`Backend`](subspace_core::Backend) on `ndarray` whose
//! arithmetic is `f64` and obviously correct, the oracle of the conformance suite.

#![deny(missing_docs)]

mod backend;

pub use backend::{Cpu, Reference, Tensor};
