//! The mix `w(p) = Σ_i c_i(p) w_i` and its adjoint, the gradient scatter
//! `dL/dw_i = c_i(p) dL/dw(p)` (Wortsman et al. 2021, §3; SPEC.md §2).

use crate::backend::{Backend, check_same_dims};
use crate::error::Result;
use crate::region::check_len;
use crate::shape::Coefficients;

/// `w(p) = Σ_i c_i w_i` over the copies of one parameter.
///
/// Errors if the number of copies differs from the number of coefficients or the copies'
/// dims differ. At a vertex (`c = e_k`) the result is copy `k` exactly.
pub fn mix<B: Backend>(copies: &[B::Tensor], c: &Coefficients) -> Result<B::Tensor> {
    check_len("mix", "copies", c.len(), copies.len())?;
    check_same_dims::<B>("mix", copies, |k| format!("copy {k}"))?;
    Ok(B::lincomb(
        c.as_slice()
            .iter()
            .copied()
            .zip(copies.iter().cloned())
            .collect(),
    ))
}

/// `G_i = c_i g`: the gradient at `w(p)` pushed back to every copy by the chain rule.
pub fn scatter<B: Backend>(grad: &B::Tensor, c: &Coefficients) -> Vec<B::Tensor> {
    c.as_slice()
        .iter()
        .map(|&ci| B::scale(grad.clone(), ci))
        .collect()
}
