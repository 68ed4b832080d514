//! [`Backend`] over burn float tensors on any burn device (flex on the CPU, Vulkan on a GPU).

use burn::tensor::{Device, Tensor, TensorData};
use subspace_core::{
    Backend, BackendError, Gram, HostTensor, SgdConfig, SgdGroup, SgdGroupUpdate,
    sgd_group_by_lincomb,
};

use crate::flex_kernels;

/// The number of elements summed sequentially by one pass of a blocked reduction.
pub const REDUCTION_BLOCK: usize = 256;

/// The subspace [`Backend`] on burn: any burn device, `f32` tensors.
///
/// Tensors of any rank are held flattened ([`BurnTensor`]). The subspace math runs outside any
/// autodiff graph: [`BurnTensor::from_tensor`] drops the autodiff association.
///
/// On burn's flex CPU device, `lincomb`, `dot` and `gram` are one-pass kernels reading the
/// tensors where flex stores them (`lincomb` with burn's own `f32` operations in burn's order,
/// so it gives the bits of the unfused form; sums in `f64`); their scalars are host numbers. On
/// any other device they are burn operations: `lincomb` is `Σ c_k x_k` as products and sums,
/// `gram` is core's default of three dots, and scalars are one-element tensors that stay on the
/// device until [`Backend::to_host`] reads them all in one transfer (stacking the three products
/// into one `[3, n]` tensor was about 4× slower on flex: the stack is a copy).
///
/// Precision: elementwise work is `f32`. On flex, sums are `f64`. Elsewhere reductions are
/// blocked: each pass sums blocks of [`REDUCTION_BLOCK`] elements and the partial sums are
/// reduced the same way, so the rounding error grows with `BLOCK · log_BLOCK(n)` instead of `n`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Burn;

/// burn's flex CPU device, for crates that run [`Burn`] without naming burn types (the
/// conformance CLI).
pub fn flex() -> Device {
    Device::flex()
}

/// A burn float tensor of any rank, flattened, with its dims.
#[derive(Debug, Clone)]
pub struct BurnTensor {
    flat: Tensor<1>,
    dims: Vec<usize>,
}

impl BurnTensor {
    /// Flattens `tensor` (a view, no copy) and drops its autodiff association.
    pub fn from_tensor<const D: usize>(tensor: Tensor<D>) -> Self {
        let dims = tensor.dims().to_vec();
        let flat = tensor
            .without_autodiff()
            .reshape([dims.iter().product::<usize>()]);
        Self { flat, dims }
    }

    /// The tensor with its dims, or `None` if it does not have rank `D`.
    pub fn into_tensor<const D: usize>(self) -> Option<Tensor<D>> {
        let dims: [usize; D] = self.dims.try_into().ok()?;
        Some(self.flat.reshape(dims))
    }

    /// The same dims with `f` applied to the flattened elements (`f` keeps their number).
    pub(crate) fn map_flat(self, f: impl FnOnce(Tensor<1>) -> Tensor<1>) -> Self {
        Self {
            flat: f(self.flat),
            dims: self.dims,
        }
    }

    /// Zeros with the dims and device of `other`.
    pub(crate) fn zeros_like(other: &Self) -> Self {
        Self {
            flat: Tensor::zeros(other.flat.dims(), &other.flat.device()),
            dims: other.dims.clone(),
        }
    }

    /// The elements, row-major.
    pub fn flat(&self) -> &Tensor<1> {
        &self.flat
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }
}

/// `Σ_k c_k x_k` over non-empty `terms`, in term order, with `f32` products and sums.
///
/// At a vertex (`c = e_k`, finite inputs) the result is `x_k`: `1·x_k` is exact and adding the
/// zero products changes nothing. Used by [`Burn::lincomb`] and by the in-graph mix, so both
/// forms of the plugin compute `w(p)` with the same operations.
pub(crate) fn lincomb<const D: usize>(
    terms: impl IntoIterator<Item = (f64, Tensor<D>)>,
) -> Tensor<D> {
    terms
        .into_iter()
        .map(|(c, x)| x.mul_scalar(c))
        .reduce(|acc, term| acc + term)
        .unwrap_or_else(|| unreachable!("callers pass at least one term"))
}

/// `Σ_k x_k` as a one-element tensor, blocked by [`REDUCTION_BLOCK`]: each pass sums blocks
/// (the last one padded with zeros, which changes no sum) until one block is left.
fn blocked_sum(mut x: Tensor<1>) -> Tensor<1> {
    loop {
        let [n] = x.dims();
        if n <= REDUCTION_BLOCK {
            return x.sum();
        }
        let blocks = n.div_ceil(REDUCTION_BLOCK);
        let pad = blocks * REDUCTION_BLOCK - n;
        if pad > 0 {
            let zeros = Tensor::zeros([pad], &x.device());
            x = Tensor::cat(vec![x, zeros], 0);
        }
        x = x
            .reshape([blocks, REDUCTION_BLOCK])
            .sum_dim(1)
            .reshape([blocks]);
    }
}

/// `<a, b>` by burn operations, a blocked sum left on the device.
fn device_dot(a: Tensor<1>, b: Tensor<1>) -> BurnScalar {
    BurnScalar::Device(Box::new(blocked_sum(a * b)))
}

/// A scalar result of [`Burn`]: a host number (flex) or a one-element tensor still on the
/// device.
#[derive(Debug, Clone)]
pub enum BurnScalar {
    /// Computed on the host (flex's one-pass kernels), in `f64`.
    Host(f64),
    /// A one-element tensor on the device, read by [`Backend::to_host`].
    Device(Box<Tensor<1>>),
}

/// Gram entries computed on the host.
fn on_host(g: Gram<f64>) -> Gram<BurnScalar> {
    Gram {
        ab: BurnScalar::Host(g.ab),
        aa: BurnScalar::Host(g.aa),
        bb: BurnScalar::Host(g.bb),
    }
}

/// A readable name for a burn device: `"burn-flex"`, `"burn-vulkan"`, ...
fn device_name(device: &Device) -> String {
    let debug = format!("{:?}", device.clone().without_autodiff());
    let inner = debug.strip_prefix("Device<").unwrap_or(&debug);
    let kind: String = inner.chars().take_while(|c| c.is_alphanumeric()).collect();
    format!("burn-{}", kind.to_lowercase())
}

fn read_error(what: &str, e: impl std::fmt::Display) -> BackendError {
    BackendError(format!("burn: reading {what} from the device failed: {e}"))
}

impl Backend for Burn {
    type Device = Device;
    type Tensor = BurnTensor;
    type Scalar = BurnScalar;

    fn name(device: &Device) -> String {
        device_name(device)
    }

    fn from_host(tensor: &HostTensor, device: &Device) -> BurnTensor {
        let data = TensorData::new(tensor.data().to_vec(), [tensor.len()]);
        BurnTensor {
            flat: Tensor::from_data(data, device),
            dims: tensor.dims().to_vec(),
        }
    }

    fn tensor_to_host(tensor: BurnTensor) -> Result<HostTensor, BackendError> {
        let data = tensor
            .flat
            .try_into_data()
            .map_err(|e| read_error("a tensor", e))?
            .try_into_vec::<f32>()
            .map_err(|e| read_error("a tensor", e))?;
        HostTensor::new(tensor.dims, data).map_err(|e| read_error("a tensor", e))
    }

    fn to_host(scalars: Vec<BurnScalar>) -> Result<Vec<f64>, BackendError> {
        let on_device: Vec<Tensor<1>> = scalars
            .iter()
            .filter_map(|s| match s {
                BurnScalar::Device(t) => Some((**t).clone()),
                BurnScalar::Host(_) => None,
            })
            .collect();
        let mut read = if on_device.is_empty() {
            Vec::new()
        } else {
            Tensor::cat(on_device, 0)
                .try_into_data()
                .map_err(|e| read_error("scalars", e))?
                .try_into_vec::<f32>()
                .map_err(|e| read_error("scalars", e))?
        }
        .into_iter();
        scalars
            .into_iter()
            .map(|s| match s {
                BurnScalar::Host(v) => Some(v),
                BurnScalar::Device(_) => read.next().map(f64::from),
            })
            .collect::<Option<_>>()
            .ok_or_else(|| read_error("scalars", "fewer values than scalars came back"))
    }

    fn dims(tensor: &BurnTensor) -> Vec<usize> {
        tensor.dims.clone()
    }

    /// `Σ c_k x_k`; a single term with `c = 1` is the tensor itself.
    fn lincomb(mut terms: Vec<(f64, BurnTensor)>) -> BurnTensor {
        if terms.len() == 1 && terms[0].0 == 1.0 {
            return terms.remove(0).1;
        }
        let dims = terms[0].1.dims.clone();
        let flat = flex_kernels::lincomb(terms.into_iter().map(|(c, x)| (c, x.flat)).collect())
            .unwrap_or_else(lincomb);
        BurnTensor { flat, dims }
    }

    fn dot(a: BurnTensor, b: BurnTensor) -> BurnScalar {
        match flex_kernels::dot(&a.flat, &b.flat) {
            Some(v) => BurnScalar::Host(v),
            None => device_dot(a.flat, b.flat),
        }
    }

    fn lincomb_gram(
        terms: Vec<(f64, BurnTensor)>,
        pair: Option<(usize, usize)>,
    ) -> (BurnTensor, Option<Gram<BurnScalar>>) {
        let Some((i, j)) = pair else {
            return (Self::lincomb(terms), None);
        };
        let dims = terms[0].1.dims.clone();
        let flat = terms.into_iter().map(|(c, x)| (c, x.flat)).collect();
        match flex_kernels::lincomb_gram(flat, (i, j)) {
            Ok((flat, g)) => (BurnTensor { flat, dims }, Some(on_host(g))),
            Err(flat) => {
                let terms: Vec<(f64, BurnTensor)> = flat
                    .into_iter()
                    .map(|(c, flat)| {
                        let dims = dims.clone();
                        (c, BurnTensor { flat, dims })
                    })
                    .collect();
                let gram = Self::gram(terms[i].1.clone(), terms[j].1.clone());
                (Self::lincomb(terms), Some(gram))
            }
        }
    }

    fn sgd_group(
        group: SgdGroup<BurnTensor>,
        lr: f64,
        config: &SgdConfig,
    ) -> SgdGroupUpdate<BurnTensor> {
        let dims = group.weights[0].dims.clone();
        let flat = group.map(|x| x.flat);
        let with_dims = |flat| BurnTensor {
            flat,
            dims: dims.clone(),
        };
        match flex_kernels::sgd_covers(&flat) {
            Some(n) => flex_kernels::sgd_group(flat, n, lr, config).map(with_dims),
            None => sgd_group_by_lincomb::<Burn>(flat.map(with_dims), lr, config),
        }
    }

    fn gram(a: BurnTensor, b: BurnTensor) -> Gram<BurnScalar> {
        match flex_kernels::gram(&a.flat, &b.flat) {
            Some(g) => on_host(g),
            None => Gram {
                ab: device_dot(a.flat.clone(), b.flat.clone()),
                aa: device_dot(a.flat.clone(), a.flat),
                bb: device_dot(b.flat.clone(), b.flat),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocked sums (the reduction off flex) over several passes, with and without padding,
    /// against an `f64` sum.
    #[test]
    fn blocked_dot_of_long_vectors() {
        let device = Device::flex();
        for n in [
            1,
            REDUCTION_BLOCK,
            REDUCTION_BLOCK + 1,
            REDUCTION_BLOCK * REDUCTION_BLOCK,
            REDUCTION_BLOCK * REDUCTION_BLOCK * 3 + 77,
        ] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 1000) as f32 / 999.0 + 0.5)
                .collect();
            let b: Vec<f32> = (0..n)
                .map(|i| ((i * 104729) % 997) as f32 / 996.0 - 0.25)
                .collect();
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            let tensor = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [n]), &device);
            let got = Burn::to_host(vec![device_dot(tensor(a), tensor(b))]).unwrap()[0];
            assert!(
                (got - exact).abs() <= 1e-6 * exact.abs().max(1.0),
                "n = {n}: {got} vs {exact}"
            );
        }
    }
}
