//! The compute device: burn's `flex` CPU backend, or the first discrete GPU through Vulkan when
//! the crate is built with `--features vulkan`.

use burn::tensor::Device;

/// The device every model is trained and evaluated on.
pub fn compute_device() -> Device {
    #[cfg(feature = "vulkan")]
    {
        Device::vulkan(burn::tensor::DeviceKind::DiscreteGpu(0))
    }
    #[cfg(not(feature = "vulkan"))]
    {
        Device::flex()
    }
}
