//! The whole conformance suite on burn's flex CPU backend (and, with the `vulkan` feature, on
//! the first discrete GPU through Vulkan).

subspace_conformance::backend_tests!(burn_flex, subspace_burn::Burn, burn::tensor::Device::flex());

#[cfg(feature = "vulkan")]
subspace_conformance::backend_tests!(
    burn_vulkan,
    subspace_burn::Burn,
    burn::tensor::Device::vulkan(burn::tensor::DeviceKind::DiscreteGpu(0))
);
