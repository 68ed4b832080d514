//! The whole-network cos² regularizer (SPEC.md §4): value and gradient of core's
//! `cos2_regularizer` + `cos2_grads` on a backend against an independent `f64` host
//! computation and against central finite differences.

use proptest::prelude::*;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use subspace_core::{
    Backend, Cos2, Cos2Config, DEFAULT_EPS, HostTensor, Pair, cos2_grads, cos2_regularizer,
};
use subspace_reference::{Cpu, Reference};

use crate::checks::mix::mix_magnitude;
use crate::compare::Comparisons;
use crate::data::{RegionCase, RegionSpec, download, widen};
use crate::harness::{SuiteConfig, run_property};
use crate::oracle::{HostCos2, concat};
use crate::outcome::{CaseError, Failure, Report};
use crate::strategies::{region_and_pair, region_case_and_pair};
use crate::tolerance::Tolerance;

/// `β`: the default 1, off (0), or uniform in `[0, 4]`.
pub(crate) fn beta() -> impl Strategy<Value = f64> {
    prop_oneof![Just(1.0), Just(0.0), 0.0..=4.0f64]
}

/// The backend's regularizer for a pair and its gradient tensors, downloaded.
pub(crate) struct Measured {
    /// What `cos2_regularizer` returned.
    pub reg: Cos2,
    /// `cos2_grads`, per group: `(dR/dw_i, dR/dw_j)` or `None`.
    pub grads: Vec<Option<(Vec<f32>, Vec<f32>)>>,
}

impl Measured {
    pub(crate) fn new<B: Backend>(
        spec: &RegionSpec,
        copies: &[Vec<HostTensor>],
        pair: Pair,
        config: Cos2Config,
        device: &B::Device,
    ) -> Result<Self, CaseError> {
        let region = spec.region::<B>(copies, device)?;
        let reg = cos2_regularizer(&region, pair, config)?;
        let grads = cos2_grads(&region, &reg)?
            .into_iter()
            .map(|g| {
                g.map(|(a, b)| Ok::<_, CaseError>((download::<B>(a)?, download::<B>(b)?)))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { reg, grads })
    }
}

/// Compares `measured` with the host computation `host` of the same pair: the sums and value
/// within [`Tolerance::F32_REDUCTION`] (magnitudes `Σ|a_k b_k|`, `A`, `B`, `β`), the gradient
/// of every regularized group element by element (magnitude from
/// `HostCos2::grad_magnitude`), and `None` for the others.
pub(crate) fn compare_with_host(
    cmp: &mut Comparisons,
    spec: &RegionSpec,
    measured: &Measured,
    host: &HostCos2,
    beta: f64,
) {
    let t = Tolerance::F32_REDUCTION;
    let reg = &measured.reg;
    cmp.value(t, || "<w_i, w_j>".into(), reg.dot, host.s, host.abs_dot);
    cmp.value(t, || "|w_i|²".into(), reg.sq_norm_i, host.sq_a, host.sq_a);
    cmp.value(t, || "|w_j|²".into(), reg.sq_norm_j, host.sq_b, host.sq_b);
    cmp.value(t, || "R".into(), reg.value, host.value, beta);
    let (a, b) = (&host.a, &host.b);
    let mut offset = 0;
    for (g, (group, grads)) in spec.groups.iter().zip(&measured.grads).enumerate() {
        match (group.regularized, grads) {
            (true, Some((ga, gb))) => {
                let range = offset..offset + group.elements();
                let mag = |x: &[f64], y: &[f64], sq_x: f64| -> Vec<f64> {
                    range
                        .clone()
                        .map(|k| host.grad_magnitude(beta, x[k], y[k], sq_x))
                        .collect()
                };
                cmp.tensor(
                    t,
                    &format!("dR/dw_i of group {g}"),
                    ga,
                    &host.grad_a[range.clone()],
                    &mag(a, b, host.sq_a),
                );
                cmp.tensor(
                    t,
                    &format!("dR/dw_j of group {g}"),
                    gb,
                    &host.grad_b[range.clone()],
                    &mag(b, a, host.sq_b),
                );
                offset = range.end;
            }
            (false, None) => {}
            (regularized, _) => cmp.fail(format!(
                "group {g} (regularized: {regularized}) got {} regularizer gradient",
                if grads.is_some() { "a" } else { "no" }
            )),
        }
    }
}

/// `cos2_regularizer` and `cos2_grads` on `B` match the `f64` host computation of SPEC.md §4
/// for random regions, pairs and `β`, with the default `ε`: `<w_i, w_j>`, `|w_i|²`, `|w_j|²`
/// and `R` within [`Tolerance::F32_REDUCTION`] (magnitudes `Σ|a_k b_k|`, `A`, `B`, `β`), and
/// both gradients of every regularized group element by element with magnitude
/// `β (|x_k|/|x|² + |y_k|/(|a||b|))`; groups outside the regularizer get no gradient.
pub fn check_cos2<B: Backend>(device: &B::Device, config: &SuiteConfig) -> Result<Report, Failure> {
    run_property(
        "cos² value and gradient",
        &B::name(device),
        config,
        (region_and_pair(), beta()),
        |((spec, pair), beta): &((RegionSpec, Pair), f64)| {
            let copies = spec.host_nonzero();
            let measured = Measured::new::<B>(
                spec,
                &copies,
                *pair,
                Cos2Config::new(*beta, DEFAULT_EPS)?,
                device,
            )?;
            let host = host_cos2(spec, &copies, *pair, *beta, DEFAULT_EPS);
            let mut cmp = Comparisons::new();
            compare_with_host(&mut cmp, spec, &measured, &host, *beta);
            cmp.finish()
        },
    )
}

/// The host computation for `pair` over the regularized groups of `copies`.
pub(crate) fn host_cos2(
    spec: &RegionSpec,
    copies: &[Vec<HostTensor>],
    pair: Pair,
    beta: f64,
    eps: f64,
) -> HostCos2 {
    let a = concat(copies, &spec.groups, pair.i(), |g| g.regularized);
    let b = concat(copies, &spec.groups, pair.j(), |g| g.regularized);
    HostCos2::new(a, b, beta, eps)
}

/// Relative step of the finite differences: `h = 1e-4 |x| / |v|`.
const RELATIVE_STEP: f64 = 1e-4;

/// The regularizer's gradient is the derivative of its value: along a random direction `v`
/// for each of the two copies, the central difference of the `f64` host value
/// `R = β s² / (A B + ε)` with step `h = 1e-4 |x| / |v|` equals `<dR/dx, v>` from
/// `cos2_grads` on `B` (within [`Tolerance::F32_REDUCTION`]) and from the host gradient
/// formula (within [`Tolerance::FINITE_DIFFERENCE`]); magnitude `Σ_k |v_k| m_k` with `m_k` of
/// `HostCos2::grad_magnitude`.
pub fn check_cos2_finite_differences<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "cos² gradient = finite differences",
        &B::name(device),
        config,
        (region_and_pair(), beta(), any::<u64>()),
        |((spec, pair), beta, seed): &((RegionSpec, Pair), f64, u64)| {
            let copies = spec.host_nonzero();
            let cos2 = Cos2Config::new(*beta, DEFAULT_EPS)?;
            let measured = Measured::new::<B>(spec, &copies, *pair, cos2, device)?;
            let host = host_cos2(spec, &copies, *pair, *beta, DEFAULT_EPS);
            let (mut backend_a, mut backend_b) = (Vec::new(), Vec::new());
            for (ga, gb) in measured.grads.iter().flatten() {
                backend_a.extend(ga.iter().map(|&x| f64::from(x)));
                backend_b.extend(gb.iter().map(|&x| f64::from(x)));
            }
            let mut rng = ChaCha8Rng::seed_from_u64(*seed);
            let mut cmp = Comparisons::new();
            for (name, first) in [("w_i", true), ("w_j", false)] {
                let v: Vec<f64> = (0..host.a.len())
                    .map(|_| rng.random_range(-1.0..=1.0))
                    .collect();
                let (x, sq_x, y) = if first {
                    (&host.a, host.sq_a, &host.b)
                } else {
                    (&host.b, host.sq_b, &host.a)
                };
                let norm_v = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                if norm_v == 0.0 {
                    continue;
                }
                let h = RELATIVE_STEP * sq_x.sqrt() / norm_v;
                let value_at = |sign: f64| {
                    let moved: Vec<f64> = x.iter().zip(&v).map(|(x, v)| x + sign * h * v).collect();
                    let (a, b) = if first {
                        (moved, y.clone())
                    } else {
                        (y.clone(), moved)
                    };
                    HostCos2::new(a, b, *beta, DEFAULT_EPS).value
                };
                let fd = (value_at(1.0) - value_at(-1.0)) / (2.0 * h);
                let magnitude: f64 = (0..v.len())
                    .map(|k| v[k].abs() * host.grad_magnitude(*beta, x[k], y[k], sq_x))
                    .sum();
                let (backend, formula) = if first {
                    (&backend_a, &host.grad_a)
                } else {
                    (&backend_b, &host.grad_b)
                };
                let along = |g: &[f64]| g.iter().zip(&v).map(|(g, v)| g * v).sum::<f64>();
                cmp.require(backend.len() == v.len(), || {
                    format!(
                        "dR/d{name} has {} elements, expected {}",
                        backend.len(),
                        v.len()
                    )
                });
                cmp.value(
                    Tolerance::F32_REDUCTION,
                    || format!("<dR/d{name}, v> of {}", B::name(device)),
                    along(backend),
                    fd,
                    magnitude,
                );
                cmp.value(
                    Tolerance::FINITE_DIFFERENCE,
                    || format!("<dR/d{name}, v> of the host formula"),
                    along(formula),
                    fd,
                    magnitude,
                );
            }
            cmp.finish()
        },
    )
}

/// `Region::mix_with_cos2` (one `lincomb_gram` per group, which a backend may fuse) gives the
/// reference's `Region::mix` within [`Tolerance::F32`] (magnitude `Σ_i |c_i w_ik|`) and the
/// regularizer of `cos2_regularizer` within [`Tolerance::F32_REDUCTION`] (magnitudes
/// `sqrt(A B)`, `A`, `B` and `β`), for random regions, points (shared and layerwise, so
/// coefficients that are not symmetric under reversal) and pairs.
pub fn check_mix_with_cos2<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "mix_with_cos2 = mix + cos²",
        &B::name(device),
        config,
        (region_case_and_pair(), beta()),
        |((case, pair), beta): &((RegionCase, Pair), f64)| {
            let spec = &case.region;
            let copies = spec.host_nonzero();
            let region = spec.region::<B>(&copies, device)?;
            let cos2 = Cos2Config::new(*beta, DEFAULT_EPS)?;
            let (mixed, reg) = region.mix_with_cos2(&case.points, *pair, cos2)?;
            let want_mixed = spec.region::<Reference>(&copies, &Cpu)?.mix(&case.points)?;
            let want_reg = cos2_regularizer(&region, *pair, cos2)?;
            let mut cmp = Comparisons::new();
            cmp.require(mixed.len() == spec.groups.len(), || {
                format!(
                    "{} mixed tensors for {} groups",
                    mixed.len(),
                    spec.groups.len()
                )
            });
            for (g, ((group, got), want)) in
                spec.groups.iter().zip(mixed).zip(want_mixed).enumerate()
            {
                let c = spec
                    .shape
                    .coefficients(case.points.for_layer(group.layer)?)?;
                let magnitude = mix_magnitude(&c, &copies[g]);
                cmp.tensor(
                    Tolerance::F32,
                    &format!("mix of group {g}"),
                    &download::<B>(got)?,
                    &widen(&download::<Reference>(want)?),
                    &magnitude,
                );
            }
            let (a, b) = (want_reg.sq_norm_i, want_reg.sq_norm_j);
            for (what, got, want, magnitude) in [
                ("<w_i, w_j>", reg.dot, want_reg.dot, (a * b).sqrt()),
                ("|w_i|²", reg.sq_norm_i, a, a),
                ("|w_j|²", reg.sq_norm_j, b, b),
                ("R", reg.value, want_reg.value, *beta),
            ] {
                cmp.value(
                    Tolerance::F32_REDUCTION,
                    || what.to_owned(),
                    got,
                    want,
                    magnitude,
                );
            }
            cmp.require(reg.pair == want_reg.pair, || format!("pair {:?}", reg.pair));
            cmp.finish()
        },
    )
}
