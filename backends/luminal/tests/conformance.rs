//! The whole conformance suite on luminal's CPU compiler and, with the `cuda` feature, on its
//! CUDA compiler.

subspace_conformance::backend_tests!(
    luminal_cpu,
    subspace_luminal::Luminal<subspace_luminal::Cpu>,
    subspace_luminal::Cpu
);

#[cfg(feature = "cuda")]
subspace_conformance::backend_tests!(
    luminal_cuda,
    subspace_luminal::Luminal<subspace_luminal::Cuda>,
    subspace_luminal::Cuda
);
