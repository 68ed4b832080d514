//! Conformance suite that holds every subspace backend to the CPU reference.

#![deny(missing_docs)]
