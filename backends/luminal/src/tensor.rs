//! The tensor handle of the luminal backend.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use subspace_core::HostTensor;

/// An immutable `f32` tensor in host memory, shared by reference counting (cloning is cheap).
///
/// Between operations a tensor lives on the host; each operation is one compiled luminal graph
/// that takes its inputs from here and returns its outputs here (see the [crate] docs). It
/// dereferences to the shared [`HostTensor`] for its dims and elements.
#[derive(Clone, PartialEq)]
pub struct Tensor(Arc<HostTensor>);

impl Tensor {
    /// A tensor of `dims` holding `data`; the caller guarantees `data.len()` is the product.
    pub(crate) fn from_parts(dims: Vec<usize>, data: Vec<f32>) -> Self {
        Self(Arc::new(HostTensor::new(dims, data).unwrap_or_else(|_| {
            unreachable!("luminal's outputs have the product of their dims")
        })))
    }

    /// A copy of a host tensor.
    pub fn from_host(tensor: &HostTensor) -> Self {
        Self(Arc::new(tensor.clone()))
    }

    /// The elements, moved out when this is the only handle, else copied.
    pub(crate) fn into_data(self) -> Vec<f32> {
        Arc::unwrap_or_clone(self.0).into_data()
    }

    /// The host tensor with these dims and elements.
    pub fn to_host(&self) -> HostTensor {
        HostTensor::clone(&self.0)
    }
}

impl Deref for Tensor {
    type Target = HostTensor;

    fn deref(&self) -> &HostTensor {
        &self.0
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("dims", &self.dims())
            .field("elements", &self.len())
            .finish()
    }
}
