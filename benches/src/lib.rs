//! Backend comparison benchmarks and the plugin's per-step cost.
//!
//! Everything measured here is shared by the criterion benches (`cargo bench -p
//! subspace-benches`) and the report binary (`cargo run --release -p subspace-benches --bin
//! bench-report`), which prints the Markdown tables of `BENCHMARKS.md`:
//!
//! - [`stream`]: the machine's memory bandwidth, STREAM copy and triad, on one thread and on all,
//!   and the triad at each kernel's size (from the cache its tensors fit in);
//!   [`burn_stream`]: what burn's own elementwise operations reach on a device (a GPU's
//!   bandwidth);
//! - [`workload`]: the subspace kernels of `subspace-core` (mix, scatter, cos² value and
//!   gradient, per-copy gradients, SWA and EMA updates, the SGD step), one generic workload per
//!   kernel, instantiated for every [compiled backend](backends), with its useful bytes (the
//!   roofline's count, the same for every backend) and the bytes each backend moves as it runs
//!   it; [`sweep`] times them all;
//! - [`step`]: the time of a training step through the burn plugin (line, simplex-3) against
//!   standard training of the same model, interleaved;
//! - [`timing`]: how a closure is timed (warm-up, batched samples, median and spread);
//!   [`threads`]: the rayon pool that sets how many threads burn's `flex` uses.
//!
//! # Synchronisation
//!
//! A timed iteration ends with [`BenchBackend::synchronize`] on the workload's device, so a
//! backend that queues work (a GPU) is timed until its results exist. Eager CPU backends return
//! finished results and synchronise for free. A host readback of the result was rejected: for a
//! `10⁷`-element output it would time the transfer, not the kernel, and reading back a scalar
//! that depends on the result (a dot product) would add a reduction pass of its own.

#![deny(missing_docs)]

pub mod backends;
pub mod burn_stream;
mod error;
pub mod machine;
pub mod mlp;
pub mod report;
pub mod step;
pub mod stream;
pub mod sweep;
pub mod threads;
pub mod timing;
pub mod workload;

pub use backends::{BackendVisitor, BenchBackend, visit_backends};
pub use error::{Error, Result};
