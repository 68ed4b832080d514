//! Backend comparison benchmarks and the plugin's per-step cost.

#![deny(missing_docs)]
