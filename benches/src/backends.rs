//! The backends compiled into the benches, and how a timed region waits for each.

use subspace_core::{Backend, BackendError};
use subspace_reference::{Cpu, Reference};

/// A [`Backend`] that the benches can time.
pub trait BenchBackend: Backend {
    /// Whether the backend's kernels run on more than one CPU thread, so that its single-thread
    /// and all-threads numbers differ.
    const MULTI_THREADED: bool;

    /// Blocks until every operation queued on `device` has finished.
    fn synchronize(device: &Self::Device) -> Result<(), BackendError>;
}

/// The reference computes every operation eagerly on the calling thread.
impl BenchBackend for Reference {
    const MULTI_THREADED: bool = false;

    /// Nothing is ever pending: results are complete when an operation returns.
    fn synchronize(_device: &Cpu) -> Result<(), BackendError> {
        Ok(())
    }
}

/// Something done once per compiled backend, e.g. timing it.
pub trait BackendVisitor {
    /// Called with each compiled backend and its device.
    fn visit<B: BenchBackend>(&mut self, device: &B::Device);
}

/// Calls `visitor` for every compiled backend, in the order of the report's columns.
pub fn visit_backends(visitor: &mut impl BackendVisitor) {
    visitor.visit::<Reference>(&Cpu);
}
