//! Properties of the cos² regularizer that hold whatever the data (SPEC.md §4): symmetric,
//! scale-invariant, within `[0, 1]`; 0 for orthogonal copies and 1 for parallel ones; no NaN
//! for a zero-norm copy.

use proptest::prelude::*;
use subspace_core::{Backend, Cos2Config, DEFAULT_EPS, HostTensor, Pair};

use crate::checks::cos2::{Measured, host_cos2};
use crate::compare::Comparisons;
use crate::data::{RegionSpec, host_tensor, widen};
use crate::harness::{SuiteConfig, run_property};
use crate::oracle::HostCos2;
use crate::outcome::{Failure, Report};
use crate::strategies::region_and_pair;
use crate::tolerance::Tolerance;

/// `ε = 0`: the exact cos², whose invariances the default `ε` blurs for tiny norms.
fn exact_cos2() -> Cos2Config {
    Cos2Config {
        beta: 1.0,
        eps: 0.0,
    }
}

/// Applies `f(concatenated index, value)` to copy `copy` of every regularized group.
fn map_copy(
    spec: &RegionSpec,
    copies: &mut [Vec<HostTensor>],
    copy: usize,
    f: impl Fn(usize, f32) -> f32,
) {
    let mut offset = 0;
    for (group, host) in spec.groups.iter().zip(copies.iter_mut()) {
        if !group.regularized {
            continue;
        }
        let data = host[copy]
            .data()
            .iter()
            .enumerate()
            .map(|(k, &x)| f(offset + k, x))
            .collect();
        offset += group.elements();
        host[copy] = host_tensor(group.dims.clone(), data);
    }
}

/// The magnitudes (`HostCos2::grad_magnitude`, `β = 1`) of `len` gradient elements from
/// `offset` of the concatenation, for `dR/dw_i` (`first`) or `dR/dw_j`.
fn magnitudes(host: &HostCos2, offset: usize, len: usize, first: bool) -> Vec<f64> {
    let (x, y, sq_x) = if first {
        (&host.a, &host.b, host.sq_a)
    } else {
        (&host.b, &host.a, host.sq_b)
    };
    (offset..offset + len)
        .map(|k| host.grad_magnitude(1.0, x[k], y[k], sq_x))
        .collect()
}

/// Compares gradient tensors of two runs, `actual · scale` against `expected`.
fn compare_grads(
    cmp: &mut Comparisons,
    what: &str,
    actual: &[f32],
    scale: f32,
    expected: &[f32],
    magnitude: &[f64],
) {
    let scaled: Vec<f32> = actual.iter().map(|g| g * scale).collect();
    cmp.tensor(
        Tolerance::F32_REDUCTION,
        what,
        &scaled,
        &widen(expected),
        magnitude,
    );
}

/// With `ε = 0` and `β = 1`: `0 <= R <= 1` (up to [`Tolerance::F32_REDUCTION`]); swapping
/// the pair swaps the gradients and keeps the value; scaling copy `i` by `2^k` (exact in
/// `f32`) keeps the value and scales `dR/dw_i` by `2^-k`.
pub fn check_cos2_invariants<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "cos² symmetric, scale-invariant, in [0,1]",
        &B::name(device),
        config,
        (region_and_pair(), -6..=6i32),
        |((spec, pair), k): &((RegionSpec, Pair), i32)| {
            let copies = spec.host_nonzero();
            let (i, j) = (pair.i(), pair.j());
            let swapped = Pair::new(j, i, spec.shape.copies())?;
            let base = Measured::new::<B>(spec, &copies, *pair, exact_cos2(), device)?;
            let swap = Measured::new::<B>(spec, &copies, swapped, exact_cos2(), device)?;
            let factor = 2f32.powi(*k);
            let mut scaled_copies = copies.clone();
            map_copy(spec, &mut scaled_copies, i, |_, x| x * factor);
            let scaled = Measured::new::<B>(spec, &scaled_copies, *pair, exact_cos2(), device)?;
            let host = host_cos2(spec, &copies, *pair, 1.0, 0.0);
            let t = Tolerance::F32_REDUCTION;
            let r = base.reg.value;
            let mut cmp = Comparisons::new();
            cmp.require((0.0..=1.0 + t.relative).contains(&r), || {
                format!("R = {r} is outside [0, 1]")
            });
            cmp.value(t, || "R of the swapped pair".into(), swap.reg.value, r, 1.0);
            cmp.value(
                t,
                || format!("R with w_i scaled by 2^{k}"),
                scaled.reg.value,
                r,
                1.0,
            );
            let mut offset = 0;
            for (g, group) in spec.groups.iter().enumerate() {
                let (Some((gi, gj)), Some((si, sj)), Some((ci, cj))) =
                    (&base.grads[g], &swap.grads[g], &scaled.grads[g])
                else {
                    continue;
                };
                let (mi, mj) = (
                    magnitudes(&host, offset, gi.len(), true),
                    magnitudes(&host, offset, gj.len(), false),
                );
                let swap_what = format!("swapped-pair gradient of group {g}");
                compare_grads(&mut cmp, &swap_what, sj, 1.0, gi, &mi);
                compare_grads(&mut cmp, &swap_what, si, 1.0, gj, &mj);
                let scale_what = format!("gradient of group {g} with w_i scaled by 2^{k}");
                compare_grads(&mut cmp, &scale_what, ci, factor, gi, &mi);
                compare_grads(&mut cmp, &scale_what, cj, 1.0, gj, &mj);
                offset += group.elements();
            }
            cmp.finish()
        },
    )
}

/// Orthogonal copies (disjoint supports, so `<w_i, w_j> = 0` exactly) give `R = 0` and zero
/// gradients bit for bit, with the default `ε`; parallel copies (`w_j = 2^k w_i`) give `R = 1`
/// and gradients 0 within [`Tolerance::F32_REDUCTION`], with `ε = 0`.
pub fn check_cos2_orthogonal_parallel<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "cos² orthogonal = 0, parallel = 1",
        &B::name(device),
        config,
        (region_and_pair(), -6..=6i32),
        |((spec, pair), k): &((RegionSpec, Pair), i32)| {
            let (i, j) = (pair.i(), pair.j());
            let mut cmp = Comparisons::new();

            let mut orthogonal = spec.host_nonzero();
            map_copy(
                spec,
                &mut orthogonal,
                i,
                |n, x| if n % 2 == 0 { x } else { 0.0 },
            );
            map_copy(
                spec,
                &mut orthogonal,
                j,
                |n, x| if n % 2 == 1 { x } else { 0.0 },
            );
            let default = Cos2Config::new(1.0, DEFAULT_EPS)?;
            let o = Measured::new::<B>(spec, &orthogonal, *pair, default, device)?;
            cmp.value(
                Tolerance::EXACT,
                || "<w_i, w_j> of orthogonal copies".into(),
                o.reg.dot,
                0.0,
                0.0,
            );
            cmp.value(
                Tolerance::EXACT,
                || "R of orthogonal copies".into(),
                o.reg.value,
                0.0,
                0.0,
            );
            for (g, (ga, gb)) in o.grads.iter().flatten().enumerate() {
                let zero = vec![0.0; ga.len()];
                cmp.tensor(
                    Tolerance::EXACT,
                    &format!("orthogonal dR/dw_i of group {g}"),
                    ga,
                    &zero,
                    &zero,
                );
                cmp.tensor(
                    Tolerance::EXACT,
                    &format!("orthogonal dR/dw_j of group {g}"),
                    gb,
                    &zero,
                    &zero,
                );
            }

            let mut parallel = spec.host_nonzero();
            let factor = 2f32.powi(*k);
            for (group, host) in spec.groups.iter().zip(parallel.iter_mut()) {
                if group.regularized {
                    let data = host[i].data().iter().map(|x| x * factor).collect();
                    host[j] = host_tensor(group.dims.clone(), data);
                }
            }
            let p = Measured::new::<B>(spec, &parallel, *pair, exact_cos2(), device)?;
            let host = host_cos2(spec, &parallel, *pair, 1.0, 0.0);
            cmp.value(
                Tolerance::F32_REDUCTION,
                || "R of parallel copies".into(),
                p.reg.value,
                1.0,
                1.0,
            );
            let mut offset = 0;
            for (g, (ga, gb)) in p.grads.iter().flatten().enumerate() {
                let zero = vec![0.0; ga.len()];
                let (mi, mj) = (
                    magnitudes(&host, offset, ga.len(), true),
                    magnitudes(&host, offset, gb.len(), false),
                );
                compare_grads(
                    &mut cmp,
                    &format!("parallel dR/dw_i of group {g}"),
                    ga,
                    1.0,
                    &zero,
                    &mi,
                );
                compare_grads(
                    &mut cmp,
                    &format!("parallel dR/dw_j of group {g}"),
                    gb,
                    1.0,
                    &zero,
                    &mj,
                );
                offset += ga.len();
            }
            cmp.finish()
        },
    )
}

/// A zero-norm copy (`w_i`, `w_j` or both all zero over the regularized groups) gives
/// `R = 0`, finite sums and exactly zero gradients, with the default `ε` and with `ε = 0`.
pub fn check_cos2_zero_norm<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "cos² zero-norm copy: 0, no NaN",
        &B::name(device),
        config,
        (region_and_pair(), 0..3usize, any::<bool>()),
        |((spec, pair), which, default_eps): &((RegionSpec, Pair), usize, bool)| {
            let mut copies = spec.host();
            if *which != 1 {
                map_copy(spec, &mut copies, pair.i(), |_, _| 0.0);
            }
            if *which != 0 {
                map_copy(spec, &mut copies, pair.j(), |_, _| 0.0);
            }
            let eps = if *default_eps { DEFAULT_EPS } else { 0.0 };
            let m = Measured::new::<B>(spec, &copies, *pair, Cos2Config::new(1.0, eps)?, device)?;
            let mut cmp = Comparisons::new();
            let r = &m.reg;
            cmp.value(Tolerance::EXACT, || "R".into(), r.value, 0.0, 0.0);
            cmp.value(Tolerance::EXACT, || "cos²".into(), r.cos2, 0.0, 0.0);
            cmp.require(
                [r.dot, r.sq_norm_i, r.sq_norm_j]
                    .iter()
                    .all(|x| x.is_finite()),
                || format!("non-finite sums {r:?}"),
            );
            for (g, (ga, gb)) in m.grads.iter().flatten().enumerate() {
                let zero = vec![0.0; ga.len()];
                cmp.tensor(
                    Tolerance::EXACT,
                    &format!("dR/dw_i of group {g}"),
                    ga,
                    &zero,
                    &zero,
                );
                cmp.tensor(
                    Tolerance::EXACT,
                    &format!("dR/dw_j of group {g}"),
                    gb,
                    &zero,
                    &zero,
                );
            }
            cmp.finish()
        },
    )
}
