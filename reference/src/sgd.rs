//! SGD with momentum as an optax-style pair of pure functions over explicit state.
//!
//! PyTorch semantics (dampening 0, no Nesterov), for every tensor separately:
//!
//! ```text
//! v_1 = g_1                v_t = μ v_{t-1} + g_t   (t > 1)
//! w  ← w − η v_t
//! ```
//!
//! Weight decay is not applied here: in the subspace loop it is part of each copy's gradient
//! (`g + λ w_i`, [`copy_gradients`](subspace_core::copy_gradients)), which is exactly PyTorch's
//! `weight_decay`. The state holds one velocity per tensor, so every copy of every parameter
//! group has its own.

use subspace_core::{Backend, Error, Result};

/// The momentum `μ` of SGD, validated finite and `≥ 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    momentum: f64,
}

impl Sgd {
    /// SGD with momentum `μ`; `0` is plain SGD.
    pub fn new(momentum: f64) -> Result<Self> {
        if momentum.is_finite() && momentum >= 0.0 {
            Ok(Self { momentum })
        } else {
            Err(Error::InvalidNumber {
                what: "momentum",
                value: momentum,
                expected: "a finite number >= 0",
            })
        }
    }

    /// `μ`.
    pub fn momentum(&self) -> f64 {
        self.momentum
    }
}

/// Tensors laid out as `[group][copy]`, like a region's copies and
/// [`copy_gradients`](subspace_core::copy_gradients)' output.
pub type PerCopy<T> = Vec<Vec<T>>;

/// The velocities `v[group][copy]`; `None` before the first step.
#[derive(Debug, Clone, PartialEq)]
pub struct SgdState<T> {
    /// One velocity per tensor, in the layout of the parameters.
    pub velocity: Option<PerCopy<T>>,
}

/// The state before the first step.
pub fn sgd_init<T>() -> SgdState<T> {
    SgdState { velocity: None }
}

/// What [`sgd_update`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct SgdStep<T> {
    /// The parameters after the step, `w − η v`.
    pub params: PerCopy<T>,
    /// The state after the step.
    pub state: SgdState<T>,
}

/// One step at learning rate `lr`: returns the new parameters and state.
///
/// `params[g][i]`, `grads[g][i]` (and the velocities) are tensor `i` of group `g`, e.g. copy `i`
/// of a region's group `g`. Errors if `lr` is not finite and `≥ 0`, or the layouts or dims of
/// parameters, gradients and velocities differ.
pub fn sgd_update<B: Backend>(
    sgd: &Sgd,
    lr: f64,
    grads: PerCopy<B::Tensor>,
    state: SgdState<B::Tensor>,
    params: PerCopy<B::Tensor>,
) -> Result<SgdStep<B::Tensor>> {
    if !(lr.is_finite() && lr >= 0.0) {
        return Err(Error::InvalidNumber {
            what: "learning rate",
            value: lr,
            expected: "a finite number >= 0",
        });
    }
    check_layout::<B>("gradients", &params, &grads)?;
    let velocity = match state.velocity {
        None => grads,
        Some(v) => {
            check_layout::<B>("velocities", &params, &v)?;
            zip_map(v, grads, |v, g| {
                B::lincomb(vec![(sgd.momentum, v), (1.0, g)])
            })
        }
    };
    let params = zip_map(params, velocity.clone(), |w, v| B::scaled_add(w, v, -lr));
    Ok(SgdStep {
        params,
        state: SgdState {
            velocity: Some(velocity),
        },
    })
}

fn zip_map<T>(a: PerCopy<T>, b: PerCopy<T>, f: impl Fn(T, T) -> T) -> PerCopy<T> {
    a.into_iter()
        .zip(b)
        .map(|(a, b)| a.into_iter().zip(b).map(|(a, b)| f(a, b)).collect())
        .collect()
}

/// Checks that `other` has the groups, counts and dims of `params`.
fn check_layout<B: Backend>(
    what: &'static str,
    params: &[Vec<B::Tensor>],
    other: &[Vec<B::Tensor>],
) -> Result<()> {
    let mismatch = |expected, found| Error::LengthMismatch {
        operation: "sgd_update",
        what,
        expected,
        found,
    };
    if params.len() != other.len() {
        return Err(mismatch(params.len(), other.len()));
    }
    for (g, (p, o)) in params.iter().zip(other).enumerate() {
        if p.len() != o.len() {
            return Err(mismatch(p.len(), o.len()));
        }
        for (i, (p, o)) in p.iter().zip(o).enumerate() {
            if B::dims(p) != B::dims(o) {
                return Err(Error::DimsMismatch {
                    operation: "sgd_update",
                    what: format!("{what} of group {g} tensor {i}"),
                    expected: B::dims(p),
                    found: B::dims(o),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use subspace_core::HostTensor;

    use super::*;
    use crate::{Cpu, Reference, Tensor};

    fn t(x: &[f32]) -> Tensor {
        Reference::from_host(&HostTensor::new(vec![x.len()], x.to_vec()).unwrap(), &Cpu)
    }

    fn host(x: &Tensor) -> Vec<f32> {
        x.iter().copied().collect()
    }

    #[test]
    fn matches_pytorch_momentum_recursion() {
        // g = 1 every step, μ = 0.5, η = 0.1: v = 1, 1.5, 1.75; w = 1 − 0.1 Σ v.
        let sgd = Sgd::new(0.5).unwrap();
        let mut params = vec![vec![t(&[1.0, -2.0])]];
        let mut state = sgd_init();
        let mut expected_w = [1.0f64, -2.0];
        for v in [1.0, 1.5, 1.75] {
            let grads = vec![vec![t(&[1.0, 1.0])]];
            let out = sgd_update::<Reference>(&sgd, 0.1, grads, state, params).unwrap();
            (params, state) = (out.params, out.state);
            for w in &mut expected_w {
                *w -= 0.1 * v;
            }
            let velocity = state.velocity.as_ref().unwrap();
            assert_eq!(host(&velocity[0][0]), vec![v as f32; 2]);
            let got = host(&params[0][0]);
            for (g, e) in got.iter().zip(expected_w) {
                assert!((*g as f64 - e).abs() < 1e-6, "{g} vs {e}");
            }
        }
    }

    #[test]
    fn every_copy_has_its_own_velocity() {
        let sgd = Sgd::new(0.9).unwrap();
        let params = vec![vec![t(&[0.0]), t(&[0.0])]];
        let grads = vec![vec![t(&[1.0]), t(&[-3.0])]];
        let SgdStep { params, state } =
            sgd_update::<Reference>(&sgd, 1.0, grads, sgd_init(), params).unwrap();
        assert_eq!(host(&params[0][0]), vec![-1.0]);
        assert_eq!(host(&params[0][1]), vec![3.0]);
        let grads = vec![vec![t(&[0.0]), t(&[0.0])]];
        let params = sgd_update::<Reference>(&sgd, 1.0, grads, state, params)
            .unwrap()
            .params;
        assert_eq!(host(&params[0][0]), vec![-1.9]);
        assert_eq!(host(&params[0][1]), vec![5.7]);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Sgd::new(-0.1).is_err());
        assert!(Sgd::new(f64::NAN).is_err());
        let sgd = Sgd::new(0.9).unwrap();
        let params = || vec![vec![t(&[0.0, 1.0])]];
        let bad_lr = sgd_update::<Reference>(&sgd, f64::INFINITY, params(), sgd_init(), params());
        assert!(bad_lr.is_err());
        let short = sgd_update::<Reference>(&sgd, 0.1, vec![vec![t(&[0.0])]], sgd_init(), params());
        assert!(matches!(short, Err(Error::DimsMismatch { .. })));
        let missing = sgd_update::<Reference>(&sgd, 0.1, vec![], sgd_init(), params());
        assert!(matches!(missing, Err(Error::LengthMismatch { .. })));
    }
}
