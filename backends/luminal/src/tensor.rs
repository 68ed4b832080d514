//! The tensor handle of the luminal backend.

use std::fmt;
use std::sync::Arc;

use subspace_core::HostTensor;

/// An immutable `f32` tensor in host memory, shared by reference counting (cloning is cheap).
///
/// Between operations a tensor lives on the host; each operation is one compiled luminal graph
/// that takes its inputs from here and returns its outputs here (see the [crate] docs).
#[derive(Clone, PartialEq)]
pub struct Tensor {
    dims: Vec<usize>,
    data: Arc<Vec<f32>>,
}

impl Tensor {
    /// A tensor of `dims` holding `data`; the caller guarantees `data.len()` is the product.
    pub(crate) fn from_parts(dims: Vec<usize>, data: Vec<f32>) -> Self {
        debug_assert_eq!(dims.iter().product::<usize>(), data.len());
        Self {
            dims,
            data: Arc::new(data),
        }
    }

    /// A copy of a host tensor.
    pub fn from_host(tensor: &HostTensor) -> Self {
        Self::from_parts(tensor.dims().to_vec(), tensor.data().to_vec())
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The elements, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements, moved out when this is the only handle, else copied.
    pub(crate) fn into_data(self) -> Vec<f32> {
        Arc::unwrap_or_clone(self.data)
    }

    /// The host tensor with these dims and elements.
    pub fn to_host(&self) -> HostTensor {
        HostTensor::new(self.dims.clone(), self.data.to_vec())
            .unwrap_or_else(|_| unreachable!("a Tensor's data has the product of its dims"))
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("dims", &self.dims)
            .field("elements", &self.data.len())
            .finish()
    }
}
