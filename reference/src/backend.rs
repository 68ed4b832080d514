//! [`Backend`] on `ndarray`: `f32` storage, `f64` arithmetic, one plain loop per operation.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn, Zip};
use subspace_core::{Backend, BackendError, HostTensor};

/// The CPU reference backend: the oracle every other backend is compared with.
///
/// Every element of a linear combination and every reduction is computed in `f64` and rounded
/// to `f32` once, so results are within one `f32` rounding of the exact value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reference;

/// The reference's only device: host memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cpu;

/// An immutable `f32` tensor shared by reference counting, so cloning is cheap.
pub type Tensor = Arc<ArrayD<f32>>;

impl Backend for Reference {
    type Device = Cpu;
    type Tensor = Tensor;
    type Scalar = f64;

    fn name(_device: &Cpu) -> String {
        "reference".into()
    }

    fn from_host(tensor: &HostTensor, _device: &Cpu) -> Tensor {
        let array = ArrayD::from_shape_vec(IxDyn(tensor.dims()), tensor.data().to_vec())
            .unwrap_or_else(|_| unreachable!("HostTensor validates dims against its data"));
        Arc::new(array)
    }

    fn tensor_to_host(tensor: Tensor) -> Result<HostTensor, BackendError> {
        let dims = tensor.shape().to_vec();
        let data = tensor.iter().copied().collect();
        HostTensor::new(dims, data).map_err(|e| BackendError(format!("reference: {e}")))
    }

    fn to_host(scalars: Vec<f64>) -> Result<Vec<f64>, BackendError> {
        Ok(scalars)
    }

    fn dims(tensor: &Tensor) -> Vec<usize> {
        tensor.shape().to_vec()
    }

    /// `Σ_k c_k x_k`, each element summed in `f64` in term order.
    fn lincomb(terms: Vec<(f64, Tensor)>) -> Tensor {
        let (_, first) = &terms[0];
        let mut acc = ArrayD::<f64>::zeros(first.raw_dim());
        for (c, x) in &terms {
            Zip::from(&mut acc).and(&**x).for_each(|a, &v| *a += c * v as f64);
        }
        Arc::new(acc.mapv(|v| v as f32))
    }

    /// `Σ_k a_k b_k` summed in `f64`.
    fn dot(a: Tensor, b: Tensor) -> f64 {
        Zip::from(&*a)
            .and(&*b)
            .fold(0.0, |acc, &x, &y| acc + x as f64 * y as f64)
    }
}
