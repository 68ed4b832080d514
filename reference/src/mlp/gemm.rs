//! Matrix products in `f32` through `matrixmultiply::sgemm`.
//!
//! ndarray's `general_mat_mul` hands `f32` views (transposed ones included, by strides) to
//! `matrixmultiply::sgemm` when ndarray's `blas` feature is off, as in this workspace; calling
//! it through ndarray keeps this crate free of `unsafe`.

use ndarray::{Array2, ArrayView2, linalg::general_mat_mul};

/// `A · B` for `A` of dims `[m, k]` and `B` of dims `[k, n]`.
pub(crate) fn matmul(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
    debug_assert_eq!(
        a.ncols(),
        b.nrows(),
        "inner dims are validated by the caller"
    );
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    general_mat_mul(1.0, &a, &b, 0.0, &mut c);
    c
}
