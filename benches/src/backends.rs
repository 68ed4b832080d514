//! The backends compiled into the benches, where each runs, and how a timed region waits for it.

use burn::tensor::Device;
use subspace_burn::Burn;
use subspace_core::{Backend, BackendError};
use subspace_luminal::{Luminal, Target};
use subspace_reference::{Cpu, Reference};

use crate::error::Result;

/// Where a backend's kernels run, which decides the bandwidth they are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placement {
    /// On the calling thread only: timed once, with the single-thread STREAM.
    CallingThread,
    /// On the CPU threads of the rayon pool the call is made in: timed for every thread count,
    /// with the STREAM of as many threads.
    CpuPool,
    /// On an accelerator: timed once, with the device's own bandwidth.
    Accelerator,
}

/// Which of a backend's operations are one pass over their tensors: what the elements a kernel
/// moves *as the backend runs it* are counted from
/// ([`Kernel::elements_as_run`](crate::workload::Kernel::elements_as_run)).
///
/// The report's shares use the kernels' useful bytes, the same for every backend
/// ([`Kernel::useful_elements`](crate::workload::Kernel::useful_elements)); this says how much
/// more each backend moves, e.g. why the reference's `sgd_step` reaches a third of the
/// bandwidth its `lincomb` reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Passes {
    /// `lincomb` and `dot` each read every input once and write their result once (the
    /// reference; burn on flex). Otherwise the count from the calls is a lower bound: burn on a
    /// GPU runs `Σ c_k x_k` as a product per term and a sum per pair, luminal copies shared
    /// inputs into its graph and runs one operator per product and sum.
    pub primitives: bool,
    /// `gram` reads both tensors once; otherwise it is core's default, three `dot`s.
    pub gram: bool,
    /// `sgd_group` reads the gradient, every copy and every velocity once and writes the copies
    /// and velocities once (burn's flex kernel); otherwise it is core's
    /// `sgd_group_by_lincomb`, one `lincomb` per operation and copy.
    pub sgd_group: bool,
}

/// A [`Backend`] that the benches can time.
pub trait BenchBackend: Backend {
    /// Where the backend's kernels run on `device`.
    fn placement(device: &Self::Device) -> Placement;

    /// Which operations are one pass on `device`.
    fn passes(device: &Self::Device) -> Passes;

    /// Blocks until every operation queued on `device` has finished.
    fn synchronize(device: &Self::Device) -> Result<(), BackendError>;
}

/// The reference computes every operation eagerly on the calling thread.
impl BenchBackend for Reference {
    fn placement(_device: &Cpu) -> Placement {
        Placement::CallingThread
    }

    /// `lincomb`, `dot` and `gram` are one loop each (`reference/src/backend.rs`); `sgd_group`
    /// is core's default.
    fn passes(_device: &Cpu) -> Passes {
        Passes {
            primitives: true,
            gram: true,
            sgd_group: false,
        }
    }

    /// Nothing is ever pending: results are complete when an operation returns.
    fn synchronize(_device: &Cpu) -> Result<(), BackendError> {
        Ok(())
    }
}

/// luminal runs each operation's compiled graph to completion and reads its outputs back to the
/// host before returning, on the CPU and on CUDA alike.
impl<T: Target> BenchBackend for Luminal<T> {
    fn placement(_device: &T) -> Placement {
        if T::NAME.ends_with("cpu") {
            Placement::CallingThread
        } else {
            Placement::Accelerator
        }
    }

    /// `gram` is one graph over both tensors; every graph copies its shared inputs in and runs
    /// one operator per product and sum; `sgd_group` is core's default.
    fn passes(_device: &T) -> Passes {
        Passes {
            primitives: false,
            gram: true,
            sgd_group: false,
        }
    }

    /// Nothing is ever pending: every graph has run when its operation returns.
    fn synchronize(_device: &T) -> Result<(), BackendError> {
        Ok(())
    }
}

/// burn's `flex` runs on the CPU with rayon; every other burn device here is a GPU.
impl BenchBackend for Burn {
    fn placement(device: &Device) -> Placement {
        if is_flex(device) {
            Placement::CpuPool
        } else {
            Placement::Accelerator
        }
    }

    /// On flex, `lincomb`, `dot`, `gram` and `sgd_group` are the one-pass kernels of
    /// `backends/burn/src/flex_kernels.rs`; elsewhere they are burn operations and core's
    /// defaults.
    fn passes(device: &Device) -> Passes {
        let flex = is_flex(device);
        Passes {
            primitives: flex,
            gram: flex,
            sgd_group: flex,
        }
    }

    /// burn's `Device::sync`: waits for every queued operation (eager `flex`: none).
    fn synchronize(device: &Device) -> Result<(), BackendError> {
        device
            .sync()
            .map_err(|e| BackendError(format!("burn: synchronising {device:?} failed: {e:?}")))
    }
}

/// Whether `device` is burn's flex CPU device (with or without autodiff).
fn is_flex(device: &Device) -> bool {
    device.clone().without_autodiff() == Device::flex()
}

/// The GPU of the `vulkan` feature, the first discrete GPU through Vulkan, initialised once;
/// `Ok(None)` without the feature. Errors (instead of panicking in burn) when no Vulkan GPU
/// can be initialised.
pub fn gpu_device() -> Result<Option<Device>> {
    #[cfg(feature = "vulkan")]
    {
        static GPU: std::sync::OnceLock<std::result::Result<Device, String>> =
            std::sync::OnceLock::new();
        GPU.get_or_init(|| {
            Device::wgpu_options()
                .device_kind(burn::tensor::DeviceKind::DiscreteGpu(0))
                .graphics_api(burn::tensor::wgpu::WgpuBackend::Vulkan)
                .init()
                .map_err(|e| format!("{e:?}"))
        })
        .clone()
        .map(Some)
        .map_err(|message| crate::error::Error::Gpu { message })
    }
    #[cfg(not(feature = "vulkan"))]
    {
        Ok(None)
    }
}

/// Something done once per compiled backend, e.g. timing it.
pub trait BackendVisitor {
    /// Called with each compiled backend and its device.
    fn visit<B: BenchBackend>(&mut self, device: &B::Device);
}

/// Calls `visitor` for every compiled backend, in the order of the report's columns; errors
/// if the GPU of the `vulkan` feature cannot be initialised.
pub fn visit_backends(visitor: &mut impl BackendVisitor) -> Result<()> {
    visitor.visit::<Reference>(&Cpu);
    visitor.visit::<Burn>(&Device::flex());
    visitor.visit::<Luminal>(&subspace_luminal::Cpu);
    if let Some(gpu) = gpu_device()? {
        visitor.visit::<Burn>(&gpu);
    }
    #[cfg(feature = "luminal-cuda")]
    visitor.visit::<Luminal<subspace_luminal::Cuda>>(&subspace_luminal::Cuda);
    Ok(())
}
