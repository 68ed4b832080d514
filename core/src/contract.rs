//! Step 4 of the plugin contract: the gradient of every copy from the gradient at `w(p)`.
//!
//! ```text
//! G_i = c_i(p) · dL/dw(p)  +  dR/dw_i  +  λ · w_i
//! ```
//!
//! (chain rule, cos² regularizer of [`crate::regularizer`], and weight decay applied to every
//! copy separately, SPEC.md §4). Each `G_i` is one fused [`Backend::lincomb`] of at most three
//! tensors.

use crate::backend::Backend;
use crate::error::{Result, non_negative};
use crate::mix::per_copy;
use crate::region::{Region, check_len};
use crate::regularizer::{Cos2, Pair};
use crate::sampler::StepPoints;

/// The gradient of every copy: `result[g][i]` is `G_i` of group `g`.
///
/// `grads[g]` is `dL/dw(p)` of group `g` (from the host's backward at the mixed weights);
/// `reg` is this step's regularizer, if any; `weight_decay` is `λ ≥ 0` (0 to leave decay to the
/// optimizer). Errors on a wrong number of gradients, mismatched dims, a negative or non-finite
/// `λ` (as [`SgdConfig`](crate::SgdConfig) does), or a `reg` whose pair is not two copies of
/// this region.
pub fn copy_gradients<B: Backend>(
    region: &Region<B>,
    grads: Vec<B::Tensor>,
    points: &StepPoints,
    reg: Option<&Cos2>,
    weight_decay: f64,
) -> Result<Vec<Vec<B::Tensor>>> {
    non_negative("weight_decay", weight_decay)?;
    if let Some(r) = reg {
        // A regularizer computed for another region may name copies this one lacks.
        Pair::new(r.pair.i(), r.pair.j(), region.shape().copies())?;
    }
    check_len(
        "copy_gradients",
        "gradients",
        region.groups().len(),
        grads.len(),
    )?;
    region
        .groups()
        .iter()
        .zip(grads)
        .map(|(g, grad)| {
            region.check_grad_dims("copy_gradients", g, &grad)?;
            let c = region.shape().coefficients(points.for_layer(g.layer)?)?;
            Ok(per_copy(grad, &c, |i, ci, grad| {
                let mut terms = vec![(ci, grad)];
                match reg.and_then(|r| r.grad_lincomb_terms(g, i)) {
                    Some([(c_self, w_i), other]) => {
                        terms.push((c_self + weight_decay, w_i));
                        terms.push(other);
                    }
                    None if weight_decay != 0.0 => {
                        terms.push((weight_decay, g.copies[i].clone()));
                    }
                    None => {}
                }
                B::lincomb(terms)
            }))
        })
        .collect()
}

/// `g + λ w`: L2 weight decay on one copy.
pub fn weight_decay<B: Backend>(grad: B::Tensor, weight: B::Tensor, lambda: f64) -> B::Tensor {
    B::scaled_add(grad, weight, lambda)
}
