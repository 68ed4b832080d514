//! Where a compiled luminal graph runs: a [`Target`] is the compiler stack that lowers luminal's
//! primitive graph to one device.

use std::fmt::Debug;

use luminal::prelude::{CPUCompiler, GenericCompiler, Graph, GraphTensor};

use crate::cpu_matmul::MatMul2DAxis2;

/// A luminal compiler stack for one device, used as the [`Backend::Device`] of
/// [`Luminal`](crate::Luminal).
///
/// [`Target::compile`] runs once per graph (see [`crate`] docs, "Compile once"); the graph's
/// input nodes must keep their ids (luminal's compilers leave `Function` nodes in place) and the
/// `outputs` are remapped to the nodes that hold the results after compilation, on the host.
///
/// [`Backend::Device`]: subspace_core::Backend::Device
pub trait Target: Clone + Copy + Debug + Default + PartialEq + Eq + Send + Sync + 'static {
    /// The backend's name in tables and error messages, e.g. `"luminal-cpu"`.
    const NAME: &'static str;

    /// Lowers `graph` for this device; `outputs` are remapped in place.
    fn compile(graph: &mut Graph, outputs: &mut Vec<GraphTensor<()>>);
}

/// luminal's CPU compilers: [`GenericCompiler`] (CSE, arithmetic elimination), [`MatMul2DAxis2`]
/// (2-D matmuls to `matrixmultiply::sgemm`; it fixes a bug of luminal `0.2.0`, see its docs),
/// then [`CPUCompiler`] (batched matmuls, fused unary chains).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Cpu;

impl Target for Cpu {
    const NAME: &'static str = "luminal-cpu";

    fn compile(graph: &mut Graph, outputs: &mut Vec<GraphTensor<()>>) {
        graph.compile(
            <(GenericCompiler, MatMul2DAxis2, CPUCompiler)>::default(),
            outputs,
        );
    }
}

/// luminal's CUDA compilers: [`GenericCompiler`] then `luminal_cuda::CudaCompiler<f32>` (one
/// NVRTC kernel per primitive op, cuBLAS for matmuls, host copies at the graph's inputs and
/// outputs). Device 0; kernels include `cuda_fp16.h` from `/usr/local/cuda/include`.
#[cfg(feature = "cuda")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Cuda;

#[cfg(feature = "cuda")]
impl Target for Cuda {
    const NAME: &'static str = "luminal-cuda";

    fn compile(graph: &mut Graph, outputs: &mut Vec<GraphTensor<()>>) {
        graph.compile(
            <(GenericCompiler, luminal_cuda::CudaCompiler<f32>)>::default(),
            outputs,
        );
    }
}
