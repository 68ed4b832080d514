//! The gradient scatter `dL/dw_i = c_i(p) dL/dw(p)` (SPEC.md §2): against the chain rule, and
//! against central finite differences of a scalar loss of the mixed weights.

use subspace_core::{Backend, HostTensor};

use crate::compare::Comparisons;
use crate::data::{RegionCase, download, download_all, host_tensor};
use crate::harness::{SuiteConfig, run_property};
use crate::outcome::{CaseError, Failure, Report};
use crate::strategies::region_case_and_grad_seeds;
use crate::tolerance::Tolerance;

/// `Region::scatter` gives `G_i = c_i g` for every group and copy, within [`Tolerance::F32`]
/// with magnitude `|c_i g_k|`, and one gradient per copy.
pub fn check_scatter<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "scatter = chain rule",
        &B::name(device),
        config,
        region_case_and_grad_seeds(),
        |(case, seeds): &(RegionCase, Vec<u64>)| {
            let spec = &case.region;
            let region = spec.region::<B>(&spec.host(), device)?;
            let grads: Vec<HostTensor> = spec.per_group(seeds);
            let uploaded = grads.iter().map(|g| B::from_host(g, device)).collect();
            let scattered = region.scatter(uploaded, &case.points)?;
            let mut cmp = Comparisons::new();
            for (g, ((group, grad), per_copy)) in
                spec.groups.iter().zip(&grads).zip(scattered).enumerate()
            {
                let c = spec
                    .shape
                    .coefficients(case.points.for_layer(group.layer)?)?;
                cmp.require(per_copy.len() == c.len(), || {
                    format!(
                        "group {g}: {} gradients for {} copies",
                        per_copy.len(),
                        c.len()
                    )
                });
                for (i, (ci, gi)) in c.as_slice().iter().zip(per_copy).enumerate() {
                    let expected: Vec<f64> =
                        grad.data().iter().map(|&x| ci * f64::from(x)).collect();
                    let magnitude: Vec<f64> = expected.iter().map(|x| x.abs()).collect();
                    let actual = download::<B>(gi)?;
                    let what = format!("group {g} gradient of copy {i}");
                    cmp.tensor(Tolerance::F32, &what, &actual, &expected, &magnitude);
                }
            }
            cmp.finish()
        },
    )
}

/// Step of the finite differences (exact in `f32` for the drawn data's exponents).
const STEP: f64 = 0.25;

/// `L(w) = ½ Σ_k (w_k − u_k)²` summed over the groups, in `f64`.
fn loss(mixed: &[Vec<f32>], targets: &[HostTensor]) -> f64 {
    mixed
        .iter()
        .zip(targets)
        .map(|(w, u)| {
            w.iter()
                .zip(u.data())
                .map(|(&w, &u)| 0.5 * (f64::from(w) - f64::from(u)).powi(2))
                .sum::<f64>()
        })
        .sum()
}

/// Scatter is the adjoint of the mix: for the loss `L(w) = ½ |w − u|²` of the mixed weights
/// and each copy `i`, the central difference `(L(w(p; w_i + h v)) − L(w(p; w_i − h v))) / 2h`
/// equals `Σ_g <G_i, v>` with `G_i` from `Region::scatter` and `g = w(p) − u`.
///
/// The direction is `v = sign(g)` per element (rounded to what `f32` can hold at `w_i ± h v`).
/// `L` is quadratic and the mix linear, so the difference is exact up to rounding; the
/// comparison uses [`Tolerance::F32`] with magnitude `Σ_k |g_k| m_k / h + |v_k| (m_k + |g_k|)`,
/// `m_k = Σ_i |c_i w_ik|`, which bounds how far `f32` rounding of the mixes moves it.
pub fn check_scatter_finite_differences<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "scatter = finite differences",
        &B::name(device),
        config,
        region_case_and_grad_seeds(),
        |(case, seeds): &(RegionCase, Vec<u64>)| {
            let spec = &case.region;
            let copies = spec.host();
            let targets: Vec<HostTensor> = spec.per_group(seeds);
            let mix_at = |copies: &[Vec<HostTensor>]| -> Result<Vec<Vec<f32>>, CaseError> {
                download_all::<B>(spec.region::<B>(copies, device)?.mix(&case.points)?)
            };
            let mixed = mix_at(&copies)?;
            let grads: Vec<Vec<f32>> = mixed
                .iter()
                .zip(&targets)
                .map(|(w, u)| w.iter().zip(u.data()).map(|(w, u)| w - u).collect())
                .collect();
            let uploaded = spec
                .groups
                .iter()
                .zip(&grads)
                .map(|(g, d)| B::from_host(&host_tensor(g.dims.clone(), d.clone()), device))
                .collect();
            let scattered = spec
                .region::<B>(&copies, device)?
                .scatter(uploaded, &case.points)?;
            let mut cmp = Comparisons::new();
            for i in 0..spec.shape.copies() {
                let (mut plus, mut minus) = (copies.clone(), copies.clone());
                let mut expected = 0.0;
                let mut magnitude = 0.0;
                for (g, group) in spec.groups.iter().enumerate() {
                    let w = copies[g][i].data();
                    let step = |sign: f64| -> Vec<f32> {
                        w.iter()
                            .zip(&grads[g])
                            .map(|(&w, &d)| (f64::from(w) + sign * STEP * sign_of(d)) as f32)
                            .collect()
                    };
                    let (p, m) = (step(1.0), step(-1.0));
                    let c = spec
                        .shape
                        .coefficients(case.points.for_layer(group.layer)?)?;
                    let gi = download::<B>(scattered[g][i].clone())?;
                    for k in 0..group.elements() {
                        let v = (f64::from(p[k]) - f64::from(m[k])) / (2.0 * STEP);
                        let size: f64 = c
                            .as_slice()
                            .iter()
                            .zip(&copies[g])
                            .map(|(cj, wj)| (cj * f64::from(wj.data()[k])).abs())
                            .sum();
                        let d = f64::from(grads[g][k]).abs();
                        expected += f64::from(gi[k]) * v;
                        magnitude += d * size / STEP + v.abs() * (size + d);
                    }
                    plus[g][i] = host_tensor(group.dims.clone(), p);
                    minus[g][i] = host_tensor(group.dims.clone(), m);
                }
                let fd = (loss(&mix_at(&plus)?, &targets) - loss(&mix_at(&minus)?, &targets))
                    / (2.0 * STEP);
                cmp.value(
                    Tolerance::F32,
                    || format!("directional derivative along copy {i}"),
                    fd,
                    expected,
                    magnitude,
                );
            }
            cmp.finish()
        },
    )
}

/// `sign(x)` with `sign(0) = 0`.
fn sign_of(x: f32) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_half_the_squared_distance() {
        let u = host_tensor(vec![2], vec![1.0, -1.0]);
        assert_eq!(loss(&[vec![3.0, 1.0]], &[u]), 4.0);
    }
}
