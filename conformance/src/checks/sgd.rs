//! Steps 4 and 5 fused: `sgd_step` (through the backend's `sgd_group`) against the update of
//! `subspace_core::sgd` computed in `f64` on the host.

use proptest::prelude::*;
use subspace_core::{
    Backend, Cos2Config, DEFAULT_EPS, Group, HostTensor, Momentum, Pair, SgdConfig, SgdState,
    cos2_regularizer, sgd_step,
};

use crate::checks::cos2::beta;
use crate::compare::Comparisons;
use crate::data::{RegionCase, TensorSpec, download, widen};
use crate::harness::{SuiteConfig, run_property};
use crate::outcome::{CaseError, Failure, Report};
use crate::strategies::{lambda, maybe_grad_seeds, maybe_pair, region_case, shape};
use crate::tolerance::Tolerance;

/// A region case, a gradient seed or none per group, maybe a pair, `β`, the SGD settings and a
/// learning rate.
type Input = (
    RegionCase,
    Vec<Option<u64>>,
    Option<Pair>,
    f64,
    SgdConfig,
    f64,
);

fn sgd_config() -> impl Strategy<Value = SgdConfig> {
    let momentum = proptest::option::of(
        (
            0.0..0.99f64,
            prop_oneof![Just(0.0), 0.0..=1.0f64],
            any::<bool>(),
        )
            .prop_map(|(momentum, dampening, nesterov)| Momentum {
                momentum,
                dampening,
                nesterov,
            }),
    );
    (momentum, lambda()).prop_map(|(momentum, weight_decay)| SgdConfig {
        momentum,
        weight_decay,
    })
}

fn input() -> impl Strategy<Value = Input> {
    region_case(shape().boxed()).prop_flat_map(|case| {
        let pairs = maybe_pair(case.region.shape.copies());
        (
            Just(case),
            maybe_grad_seeds(),
            pairs,
            beta(),
            sgd_config(),
            0.0..=1.0f64,
        )
    })
}

/// Values and magnitudes (the sums of the absolute terms behind each value, see
/// [`Tolerance`]) of a tensor.
type Sized = (Vec<f64>, Vec<f64>);

/// Two steps of `sgd_step` from no velocities (the first step sets them, the second uses
/// them) with the regularizer of the pair at the copies of each step, against the host's `f64`
/// update from the backend's copies and velocities before the step:
/// `G_k = c_k g + dR/dw_k + λ w_k`, `v_k = G_k` then `(1 − τ) G_k + μ v_k`,
/// `u_k = μ v_k + G_k` (Nesterov) or `v_k`, `w_k − η u_k`, within [`Tolerance::F32`] of the
/// magnitudes of these terms. Random shapes and points (shared and layerwise), so copies
/// outside the pair; groups the loss does not reach get no gradient (no `c_k g` term), and a
/// copy with no term at all keeps its weight and velocity.
pub fn check_sgd_step<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "sgd_step = G + λw, momentum, w − ηu",
        &B::name(device),
        config,
        input(),
        |(case, seeds, pair, beta, sgd, lr): &Input| {
            let spec = &case.region;
            let mut region = spec.region::<B>(&spec.host_nonzero(), device)?;
            let grads: Vec<Option<HostTensor>> = spec
                .groups
                .iter()
                .zip(seeds)
                .map(|(group, seed)| {
                    seed.map(|seed| {
                        TensorSpec {
                            dims: group.dims.clone(),
                            seed,
                        }
                        .host()
                    })
                })
                .collect();
            let cos2 = Cos2Config::new(*beta, DEFAULT_EPS)?;
            let mut state = SgdState::new();
            let mut cmp = Comparisons::new();
            for step in 0..2 {
                let copies = region.to_host()?;
                let velocities = download_velocities::<B>(&state)?;
                let reg = pair
                    .map(|p| cos2_regularizer(&region, p, cos2))
                    .transpose()?;
                let upload = grads
                    .iter()
                    .map(|g| g.as_ref().map(|g| B::from_host(g, device)));
                sgd_step(
                    &mut region,
                    upload.collect(),
                    &case.points,
                    reg.as_ref(),
                    &mut state,
                    sgd,
                    *lr,
                )?;
                let after = region.to_host()?;
                let after_v = download_velocities::<B>(&state)?;
                for (g, group) in copies.iter().enumerate() {
                    let c = spec
                        .shape
                        .coefficients(case.points.for_layer(group.layer)?)?;
                    for (k, &ck) in c.as_slice().iter().enumerate() {
                        let terms = reg
                            .filter(|_| group.regularized)
                            .and_then(|r| r.grad_terms(k));
                        let previous = velocities.get(g).and_then(|v| v[k].as_deref());
                        let grad = grads[g].as_ref().map(HostTensor::data);
                        let (w, v) = host_update(group, k, (ck, grad), terms, previous, sgd, *lr);
                        let what = format!("step {step}, group {g}, copy {k}");
                        cmp.tensor(
                            Tolerance::F32,
                            &format!("{what}: w"),
                            after[g].copies[k].data(),
                            &w.0,
                            &w.1,
                        );
                        match (v, after_v[g][k].as_deref()) {
                            (Some(v), Some(got)) => {
                                cmp.tensor(Tolerance::F32, &format!("{what}: v"), got, &v.0, &v.1)
                            }
                            (None, None) => {}
                            (v, got) => cmp.require(false, || {
                                format!(
                                    "{what}: velocity {}, expected {}",
                                    if got.is_some() { "kept" } else { "missing" },
                                    if v.is_some() { "one" } else { "none" }
                                )
                            }),
                        }
                    }
                }
            }
            cmp.finish()
        },
    )
}

/// The velocities of `state` on the host, `[group][copy]`.
fn download_velocities<B: Backend>(
    state: &SgdState<B::Tensor>,
) -> Result<Vec<Vec<Option<Vec<f32>>>>, CaseError> {
    state
        .velocities()
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|v| v.clone().map(download::<B>).transpose())
                .collect()
        })
        .collect()
}

/// The host's `f64` update of copy `k` of `group`: the new weights and velocity, with their
/// magnitudes. `chain` is `(c_k, g)`, `g` `None` if the loss does not reach the group; `reg`
/// is `(c_self, other, c_other)`. A copy with neither term keeps its weight and velocity.
fn host_update(
    group: &Group<HostTensor>,
    k: usize,
    (ck, g): (f64, Option<&[f32]>),
    reg: Option<(f64, usize, f64)>,
    velocity: Option<&[f32]>,
    sgd: &SgdConfig,
    lr: f64,
) -> (Sized, Option<Sized>) {
    let w = group.copies[k].data();
    let unchanged = |x: &[f32]| -> Sized {
        let x = widen(x);
        let magnitude = x.iter().map(|x| x.abs()).collect();
        (x, magnitude)
    };
    if g.is_none() && reg.is_none() {
        return (unchanged(w), velocity.map(unchanged));
    }
    let mut new_w = (Vec::new(), Vec::new());
    let mut new_v = sgd.momentum.map(|_| (Vec::new(), Vec::new()));
    for e in 0..w.len() {
        let we = f64::from(w[e]);
        let mut terms = vec![sgd.weight_decay * we];
        if let Some(g) = g {
            terms.push(ck * f64::from(g[e]));
        }
        if let Some((c_self, other, c_other)) = reg {
            terms.push(c_self * we);
            terms.push(c_other * f64::from(group.copies[other].data()[e]));
        }
        let grad: f64 = terms.iter().sum();
        let grad_mag: f64 = terms.iter().map(|t| t.abs()).sum();
        let (u, u_mag) = match (sgd.momentum, &mut new_v) {
            (Some(m), Some((values, mags))) => {
                let (v, v_mag) = match velocity {
                    None => (grad, grad_mag),
                    Some(old) => {
                        let old = f64::from(old[e]);
                        let damped = 1.0 - m.dampening;
                        (
                            damped * grad + m.momentum * old,
                            damped * grad_mag + (m.momentum * old).abs(),
                        )
                    }
                };
                values.push(v);
                mags.push(v_mag);
                if m.nesterov {
                    (m.momentum * v + grad, m.momentum * v_mag + grad_mag)
                } else {
                    (v, v_mag)
                }
            }
            _ => (grad, grad_mag),
        };
        new_w.0.push(we - lr * u);
        new_w.1.push(we.abs() + lr * u_mag);
    }
    (new_w, new_v)
}
