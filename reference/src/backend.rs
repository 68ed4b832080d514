//! [`Backend`] on `ndarray`: `f32` storage, `f64` arithmetic, one plain loop per operation.

use std::sync::Arc;

use ndarray::{ArrayD, CowArray, IxDyn};
use subspace_core::{Backend, BackendError, Gram, HostTensor};

/// The CPU reference backend: the oracle every other backend is compared with.
///
/// Every element of a linear combination and every reduction is computed in `f64` and rounded
/// to `f32` once, so results are within one `f32` rounding of the exact value. Each operation
/// is a single pass over its inputs.
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

    /// `Σ_k c_k x_k`: one pass over the elements, each summed in `f64` in term order.
    fn lincomb(terms: Vec<(f64, Tensor)>) -> Tensor {
        let dims = terms[0].1.raw_dim();
        let standard: Vec<_> = terms.iter().map(|(_, x)| x.as_standard_layout()).collect();
        let columns: Vec<(f64, &[f32])> = terms
            .iter()
            .zip(&standard)
            .map(|((c, _), x)| (*c, elements(x)))
            .collect();
        let out = (0..columns[0].1.len())
            .map(|e| columns.iter().map(|(c, x)| c * x[e] as f64).sum::<f64>() as f32)
            .collect();
        Arc::new(
            ArrayD::from_shape_vec(dims, out)
                .unwrap_or_else(|_| unreachable!("one output per input element")),
        )
    }

    /// `Σ_k a_k b_k` summed in `f64`.
    fn dot(a: Tensor, b: Tensor) -> f64 {
        let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
        elements(&a)
            .iter()
            .zip(elements(&b))
            .map(|(&x, &y)| x as f64 * y as f64)
            .sum()
    }

    /// `<a, b>`, `|a|²`, `|b|²` in one pass, summed in `f64`.
    fn gram(a: Tensor, b: Tensor) -> Gram<f64> {
        let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
        let [ab, aa, bb] =
            elements(&a)
                .iter()
                .zip(elements(&b))
                .fold([0.0; 3], |[ab, aa, bb], (&x, &y)| {
                    let (x, y) = (x as f64, y as f64);
                    [ab + x * y, aa + x * x, bb + y * y]
                });
        Gram { ab, aa, bb }
    }
}

/// The elements of a standard-layout array in row-major order.
fn elements<'a>(x: &'a CowArray<'_, f32, IxDyn>) -> &'a [f32] {
    x.as_slice()
        .unwrap_or_else(|| unreachable!("as_standard_layout gives a contiguous array"))
}
