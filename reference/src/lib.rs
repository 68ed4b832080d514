//! CPU reference backend for subspace on ndarray with f64 accumulation, and a small MLP trained through the plugin contract.

#![deny(missing_docs)]
