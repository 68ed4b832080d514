//! burn adapter for subspace: train lines, curves and simplices of unchanged burn models.

#![deny(missing_docs)]
