//! luminal adapter for subspace: the subspace math and point evaluation as luminal graphs.

#![deny(missing_docs)]
