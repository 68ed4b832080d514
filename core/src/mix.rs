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
///
/// The last copy's `G_i` takes `grad` by value, so a backend can compute it in `grad`'s
/// buffer.
pub fn scatter<B: Backend>(grad: B::Tensor, c: &Coefficients) -> Vec<B::Tensor> {
    per_copy(grad, c, |_, ci, g| B::scale(g, ci))
}

/// `f(i, c_i, grad)` for every copy `i`: a clone of `grad` for every copy but the last, which
/// gets `grad` itself (one buffer fewer where the backend writes into a tensor it owns alone).
pub(crate) fn per_copy<T: Clone, R>(
    grad: T,
    c: &Coefficients,
    mut f: impl FnMut(usize, f64, T) -> R,
) -> Vec<R> {
    let Some((&last, rest)) = c.as_slice().split_last() else {
        return Vec::new();
    };
    let mut out: Vec<R> = rest
        .iter()
        .enumerate()
        .map(|(i, &ci)| f(i, ci, grad.clone()))
        .collect();
    out.push(f(rest.len(), last, grad));
    out
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::shape::Shape;

    /// Counts its clones.
    struct Counted<'a>(&'a Cell<usize>);

    impl Clone for Counted<'_> {
        fn clone(&self) -> Self {
            self.0.set(self.0.get() + 1);
            Self(self.0)
        }
    }

    #[test]
    fn per_copy_visits_every_copy_and_moves_the_gradient_into_the_last() {
        let shape = Shape::simplex(3).unwrap();
        let c = shape.coefficients(&shape.midpoint().unwrap()).unwrap();
        let clones = Cell::new(0);
        let seen = per_copy(Counted(&clones), &c, |i, ci, _| (i, ci));
        let expected: Vec<(usize, f64)> = c.as_slice().iter().copied().enumerate().collect();
        assert_eq!(seen, expected);
        assert_eq!(clones.get(), 2, "one clone per copy but the last");
    }
}
