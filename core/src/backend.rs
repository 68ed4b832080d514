//! The small trait a tensor library implements to run the subspace math.

use std::fmt;

use crate::error::{Error, Result};
use crate::sgd::{SgdConfig, SgdGroup, SgdGroupUpdate, sgd_group_by_lincomb};

/// A dense `f32` tensor in host memory, row-major, with validated dims.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    dims: Vec<usize>,
    data: Vec<f32>,
}

impl HostTensor {
    /// A tensor of `dims` holding `data` in row-major order.
    ///
    /// Errors if the product of `dims` is not `data.len()`, or if the product of its non-zero
    /// dims exceeds `isize::MAX` (no array library can index such a shape, even empty). A
    /// tensor with no dims is a scalar.
    pub fn new(dims: Vec<usize>, data: Vec<f32>) -> Result<Self> {
        if dims
            .iter()
            .filter(|&&d| d != 0)
            .try_fold(1usize, |p, &d| p.checked_mul(d))
            .is_none_or(|p| p > isize::MAX as usize)
        {
            return Err(Error::DimsTooLarge { dims });
        }
        // Saturating: a product beyond `usize::MAX` is no vector's length (and 0 stays 0).
        let expected = dims.iter().fold(1usize, |p, &d| p.saturating_mul(d));
        if expected != data.len() {
            return Err(Error::LengthMismatch {
                operation: "HostTensor::new",
                what: "data for the given dims",
                expected,
                found: data.len(),
            });
        }
        Ok(Self { dims, data })
    }

    /// The dims.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The elements in row-major order.
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

    /// Takes the elements out.
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }
}

/// A failed transfer or device error reported by a backend; the message names the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError(pub String);

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

/// Dot product and both squared norms of a pair of tensors, as backend scalars.
#[derive(Debug, Clone)]
pub struct Gram<S> {
    /// `<a, b>`
    pub ab: S,
    /// `|a|²`
    pub aa: S,
    /// `|b|²`
    pub bb: S,
}

/// Tensor operations the subspace math needs.
///
/// # Implementing `Backend`
///
/// Required: [`Backend::from_host`], [`Backend::tensor_to_host`], [`Backend::dims`],
/// [`Backend::lincomb`], [`Backend::dot`] and [`Backend::to_host`]. Everything else in this crate
/// (mix, scatter, the cos² regularizer and its gradient, weight decay, the SGD step, SWA and
/// EMA) is written once on top of them. The provided methods [`Backend::scaled_add`],
/// [`Backend::scale`], [`Backend::sq_norm`], [`Backend::gram`], [`Backend::lincomb_gram`] (the
/// mix and the cos² sums together) and [`Backend::sgd_group`] (every copy's gradient and SGD
/// update together) may be overridden with fused kernels.
///
/// An implementation owes:
/// - **Precision.** Tensors hold `f32`; coefficients arrive as `f64`. Reductions (`dot`) should
///   accumulate in at least `f32` with a blocked or pairwise order; the reference accumulates in
///   `f64`. The conformance suite holds each backend to named tolerances (`Tolerance::F32` for
///   element-wise work, `Tolerance::F32_REDUCTION` for reductions).
/// - **Exactness at vertices.** `lincomb` with coefficients `(1, 0, .., 0)` returns the first
///   tensor bit for bit (finite inputs; a `-0.0` may come back as `+0.0`): compute `Σ c_k x_k`
///   without reassociating `0 · x` away into something inexact.
/// - **Determinism.** The same inputs give the same outputs on the same device.
/// - **Shared inputs are kept.** Operations take tensors by value, and core hands over tensors
///   it no longer needs (the gradient, for the last copy in [`scatter`](crate::scatter()) and
///   [`copy_gradients`](crate::copy_gradients)), so a backend may compute a result in an
///   input's buffer, but only in one no other handle shares: a clone the caller holds keeps
///   its values.
/// - **Preconditions are the caller's.** Core validates dims and lengths before calling: a
///   backend may assume `terms` is non-empty and that all tensors in one call share dims.
/// - **Only transfers fail.** [`Backend::to_host`] and [`Backend::tensor_to_host`] may
///   synchronise with a device and are the only fallible calls.
///
/// The `subspace-conformance` crate turns these obligations into tests with one macro line,
/// `subspace_conformance::backend_tests!(name, MyBackend, device)`.
pub trait Backend: Sized + 'static {
    /// Where tensors live (a CPU, a GPU).
    type Device: Clone + fmt::Debug;
    /// A tensor of `f32` elements. Cloning should be cheap (a handle).
    type Tensor: Clone + fmt::Debug;
    /// A scalar result that may still live on the device.
    type Scalar: Clone + fmt::Debug;

    /// A short name for tables and error messages, e.g. `"reference"` or `"burn-flex"`.
    fn name(device: &Self::Device) -> String;

    /// Uploads a host tensor.
    fn from_host(tensor: &HostTensor, device: &Self::Device) -> Self::Tensor;

    /// Downloads a tensor (may synchronise).
    fn tensor_to_host(tensor: Self::Tensor) -> Result<HostTensor, BackendError>;

    /// Downloads scalars in one transfer (may synchronise).
    fn to_host(scalars: Vec<Self::Scalar>) -> Result<Vec<f64>, BackendError>;

    /// The dims of a tensor.
    fn dims(tensor: &Self::Tensor) -> Vec<usize>;

    /// `Σ_k c_k x_k` over non-empty `terms` of equal dims.
    fn lincomb(terms: Vec<(f64, Self::Tensor)>) -> Self::Tensor;

    /// `<a, b> = Σ a_k b_k`.
    fn dot(a: Self::Tensor, b: Self::Tensor) -> Self::Scalar;

    /// `a + s · b`.
    fn scaled_add(a: Self::Tensor, b: Self::Tensor, s: f64) -> Self::Tensor {
        Self::lincomb(vec![(1.0, a), (s, b)])
    }

    /// `s · a`.
    fn scale(a: Self::Tensor, s: f64) -> Self::Tensor {
        Self::lincomb(vec![(s, a)])
    }

    /// `|a|² = <a, a>`.
    fn sq_norm(a: Self::Tensor) -> Self::Scalar {
        Self::dot(a.clone(), a)
    }

    /// `<a, b>`, `|a|²` and `|b|²`; override to read both tensors once.
    fn gram(a: Self::Tensor, b: Self::Tensor) -> Gram<Self::Scalar> {
        Gram {
            ab: Self::dot(a.clone(), b.clone()),
            aa: Self::sq_norm(a),
            bb: Self::sq_norm(b),
        }
    }

    /// `Σ_k c_k x_k` and, if `pair = Some((i, j))`, the [`Gram`] entries of terms `i` and
    /// `j`'s tensors; override to read the tensors once for both. Core passes indices of
    /// existing terms.
    fn lincomb_gram(
        terms: Vec<(f64, Self::Tensor)>,
        pair: Option<(usize, usize)>,
    ) -> (Self::Tensor, Option<Gram<Self::Scalar>>) {
        let gram = pair.map(|(i, j)| Self::gram(terms[i].1.clone(), terms[j].1.clone()));
        (Self::lincomb(terms), gram)
    }

    /// One SGD step of every copy of a parameter group ([`sgd_step`](crate::sgd_step)); override to read the
    /// gradient and every copy once. Core passes as many velocities and [`CopyGradient`]s as
    /// weights, tensors of one dims, and regularizer indices of existing copies. A copy with
    /// no [`CopyGradient::terms`] must come back unchanged, with its velocity.
    ///
    /// [`CopyGradient`]: crate::CopyGradient
    /// [`CopyGradient::terms`]: crate::CopyGradient::terms
    fn sgd_group(
        group: SgdGroup<Self::Tensor>,
        lr: f64,
        config: &SgdConfig,
    ) -> SgdGroupUpdate<Self::Tensor> {
        sgd_group_by_lincomb::<Self>(group, lr, config)
    }
}

impl From<BackendError> for Error {
    fn from(e: BackendError) -> Self {
        Error::Backend { message: e.0 }
    }
}

/// [`Backend::to_host`], checked to give one number per scalar.
pub(crate) fn scalars_to_host<B: Backend>(
    scalars: Vec<B::Scalar>,
    operation: &'static str,
) -> Result<Vec<f64>> {
    let expected = scalars.len();
    let host = B::to_host(scalars)?;
    if host.len() != expected {
        return Err(Error::Backend {
            message: format!(
                "{operation}: to_host returned {} numbers for {expected} scalars",
                host.len()
            ),
        });
    }
    Ok(host)
}

/// Checks that every tensor has the dims of the first; `names` labels them in errors.
pub(crate) fn check_same_dims<B: Backend>(
    operation: &'static str,
    tensors: &[B::Tensor],
    name: impl Fn(usize) -> String,
) -> Result<Vec<usize>> {
    let first = tensors.first().ok_or(Error::Empty {
        operation,
        what: "tensors",
    })?;
    let expected = B::dims(first);
    for (k, t) in tensors.iter().enumerate().skip(1) {
        let found = B::dims(t);
        if found != expected {
            return Err(Error::DimsMismatch {
                operation,
                what: name(k),
                expected,
                found,
            });
        }
    }
    Ok(expected)
}
