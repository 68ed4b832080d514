//! Independent `f64` host computations the suite compares backends with, written from the
//! formulas of SPEC.md rather than from core's code.

use subspace_core::HostTensor;

use crate::data::GroupSpec;

/// Copy `copy` of the groups `include` selects, concatenated and widened to `f64`.
pub(crate) fn concat(
    copies: &[Vec<HostTensor>],
    groups: &[GroupSpec],
    copy: usize,
    include: impl Fn(&GroupSpec) -> bool,
) -> Vec<f64> {
    groups
        .iter()
        .zip(copies)
        .filter(|(g, _)| include(g))
        .flat_map(|(_, c)| c[copy].data().iter().map(|&x| f64::from(x)))
        .collect()
}

/// The ε-regularized squared cosine of SPEC.md §4 and its gradient, in `f64`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HostCos2 {
    /// The first copy `a = w_i`.
    pub a: Vec<f64>,
    /// The second copy `b = w_j`.
    pub b: Vec<f64>,
    /// `s = <a, b>`.
    pub s: f64,
    /// `A = |a|²`.
    pub sq_a: f64,
    /// `B = |b|²`.
    pub sq_b: f64,
    /// `Σ |a_k b_k|`, the size of the terms of `s`.
    pub abs_dot: f64,
    /// `R = β s² / (A B + ε)` (0 when the denominator is 0).
    pub value: f64,
    /// `dR/da = β (2s/D) (b − (s B / D) a)`.
    pub grad_a: Vec<f64>,
    /// `dR/db = β (2s/D) (a − (s A / D) b)`.
    pub grad_b: Vec<f64>,
}

impl HostCos2 {
    pub(crate) fn new(a: Vec<f64>, b: Vec<f64>, beta: f64, eps: f64) -> Self {
        let s: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let sq_a: f64 = a.iter().map(|x| x * x).sum();
        let sq_b: f64 = b.iter().map(|x| x * x).sum();
        let abs_dot = a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum();
        let d = sq_a * sq_b + eps;
        if d == 0.0 {
            return Self {
                grad_a: vec![0.0; a.len()],
                grad_b: vec![0.0; b.len()],
                a,
                b,
                s,
                sq_a,
                sq_b,
                abs_dot,
                value: 0.0,
            };
        }
        let k = beta * 2.0 * s / d;
        let grad = |x: &[f64], y: &[f64], sq_y: f64| -> Vec<f64> {
            x.iter()
                .zip(y)
                .map(|(xk, yk)| k * (yk - s * sq_y / d * xk))
                .collect()
        };
        Self {
            grad_a: grad(&a, &b, sq_b),
            grad_b: grad(&b, &a, sq_a),
            a,
            b,
            s,
            sq_a,
            sq_b,
            abs_dot,
            value: beta * s * s / d,
        }
    }

    /// The size of the terms behind `dR/da_k` (`x = a`) or `dR/db_k` (`x = b`):
    /// `β (|x_k| / |x|² + |y_k| / (|a| |b|))`, or 0 when a copy is zero.
    ///
    /// Reduction errors of relative size `r` in `s`, `A`, `B` move `dR/da_k` by at most about
    /// `14 r` times this (`4 r` through `2βs/D`, `10 r` through `s²B/D²`), which is what
    /// [`crate::Tolerance::F32_REDUCTION`] allows for.
    pub(crate) fn grad_magnitude(&self, beta: f64, xk: f64, yk: f64, sq_x: f64) -> f64 {
        let ab = (self.sq_a * self.sq_b).sqrt();
        if ab == 0.0 {
            0.0
        } else {
            beta * (xk.abs() / sq_x + yk.abs() / ab)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_parallel_and_zero() {
        let o = HostCos2::new(vec![1.0, 0.0], vec![0.0, 2.0], 1.0, 0.0);
        assert_eq!(o.value, 0.0);
        let p = HostCos2::new(vec![1.0, 2.0], vec![2.0, 4.0], 1.0, 0.0);
        assert!((p.value - 1.0).abs() < 1e-15);
        assert!(p.grad_a.iter().all(|g| g.abs() < 1e-15));
        let z = HostCos2::new(vec![0.0, 0.0], vec![1.0, 1.0], 1.0, 0.0);
        assert_eq!(z.value, 0.0);
        assert!(z.grad_a.iter().chain(&z.grad_b).all(|&g| g == 0.0));
    }

    #[test]
    fn gradient_matches_a_hand_derivation() {
        // a = (1, 0), b = (1, 1): s = 1, A = 1, B = 2, R = 1/2,
        // dR/da = (2/2)((1,1) − (2/2)(1,0)) = (0, 1); dR/db = (2/2)((1,0) − (1/2)(1,1)) = (½, −½).
        let h = HostCos2::new(vec![1.0, 0.0], vec![1.0, 1.0], 1.0, 0.0);
        assert_eq!(h.value, 0.5);
        assert_eq!(h.grad_a, vec![0.0, 1.0]);
        assert_eq!(h.grad_b, vec![0.5, -0.5]);
    }
}
