//! Step 4 of the plugin contract: `copy_gradients` = scatter + regularizer gradient + weight
//! decay (SPEC.md §2, §4).

use proptest::prelude::*;
use subspace_core::{
    Backend, Cos2Config, DEFAULT_EPS, HostTensor, Pair, copy_gradients, cos2_grads,
    cos2_regularizer, weight_decay,
};

use crate::checks::cos2::{beta, host_cos2};
use crate::compare::Comparisons;
use crate::data::{RegionCase, download, widen};
use crate::harness::{SuiteConfig, run_property};
use crate::outcome::{Failure, Report};
use crate::strategies::{grad_seeds, lambda, maybe_pair, region_case, shape};
use crate::tolerance::Tolerance;

/// A region case, gradient seeds, maybe a pair, `β` and a weight decay `λ`.
type Input = (RegionCase, Vec<u64>, Option<Pair>, f64, f64);

fn input() -> impl Strategy<Value = Input> {
    region_case(shape().boxed()).prop_flat_map(|case| {
        let pairs = maybe_pair(case.region.shape.copies());
        (Just(case), grad_seeds(), pairs, beta(), lambda())
    })
}

/// `copy_gradients(region, g, p, reg, λ)` equals, copy by copy, the composition of core's
/// pieces on the same backend — `weight_decay(scatter_i + dR/dw_i, w_i, λ)` — within
/// [`Tolerance::F32`], and the `f64` host value `c_i g + dR/dw_i + λ w_i` (host cos² gradient)
/// within [`Tolerance::F32_REDUCTION`]; magnitude `|c_i g_k| + m_k + |λ w_ik|` with `m_k` the
/// regularizer's (`HostCos2::grad_magnitude`).
pub fn check_copy_gradients<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "copy_gradients = scatter + dR + λw",
        &B::name(device),
        config,
        input(),
        |(case, seeds, pair, beta, decay): &Input| {
            let spec = &case.region;
            let copies = spec.host_nonzero();
            let region = spec.region::<B>(&copies, device)?;
            let grads: Vec<HostTensor> = spec.per_group(seeds);
            let upload = || {
                grads
                    .iter()
                    .map(|g| B::from_host(g, device))
                    .collect::<Vec<_>>()
            };
            let cos2 = Cos2Config::new(*beta, DEFAULT_EPS)?;
            let reg = pair
                .map(|p| cos2_regularizer(&region, p, cos2))
                .transpose()?;
            let actual = copy_gradients(&region, upload(), &case.points, reg.as_ref(), *decay)?;
            let scattered = region.scatter(upload(), &case.points)?;
            let reg_grads = reg.as_ref().map(|r| cos2_grads(&region, r)).transpose()?;
            let host = pair.map(|p| host_cos2(spec, &copies, p, *beta, DEFAULT_EPS));

            let mut cmp = Comparisons::new();
            let mut offset = 0;
            for (g, group) in spec.groups.iter().enumerate() {
                let c = spec
                    .shape
                    .coefficients(case.points.for_layer(group.layer)?)?;
                cmp.require(actual[g].len() == c.len(), || {
                    format!(
                        "group {g}: {} gradients for {} copies",
                        actual[g].len(),
                        c.len()
                    )
                });
                for (i, ci) in c.as_slice().iter().enumerate() {
                    let w = copies[g][i].data();
                    // The regularizer's part of copy i: (tensor on B, host values, magnitudes).
                    let reg_part = match (pair, &reg_grads, &host) {
                        (Some(p), Some(tensors), Some(h))
                            if group.regularized && (i == p.i() || i == p.j()) =>
                        {
                            let first = i == p.i();
                            let (ti, tj) = tensors[g].clone().unwrap_or_else(|| {
                                unreachable!("regularized groups get gradients")
                            });
                            let (x, y, sq_x, grad) = if first {
                                (&h.a, &h.b, h.sq_a, &h.grad_a)
                            } else {
                                (&h.b, &h.a, h.sq_b, &h.grad_b)
                            };
                            let range = offset..offset + group.elements();
                            let mags: Vec<f64> = range
                                .clone()
                                .map(|k| h.grad_magnitude(*beta, x[k], y[k], sq_x))
                                .collect();
                            Some((if first { ti } else { tj }, grad[range].to_vec(), mags))
                        }
                        _ => None,
                    };
                    let mut composed = scattered[g][i].clone();
                    let mut host_expected: Vec<f64> =
                        grads[g].data().iter().map(|&x| ci * f64::from(x)).collect();
                    let mut magnitude: Vec<f64> = host_expected.iter().map(|x| x.abs()).collect();
                    if let Some((tensor, values, mags)) = reg_part {
                        composed = B::scaled_add(composed, tensor, 1.0);
                        for (k, (v, m)) in values.iter().zip(mags.iter()).enumerate() {
                            host_expected[k] += v;
                            magnitude[k] += m;
                        }
                    }
                    composed =
                        weight_decay::<B>(composed, region.groups()[g].copies[i].clone(), *decay);
                    for (k, &wk) in w.iter().enumerate() {
                        host_expected[k] += decay * f64::from(wk);
                        magnitude[k] += (decay * f64::from(wk)).abs();
                    }
                    let got = download::<B>(actual[g][i].clone())?;
                    let composed = widen(&download::<B>(composed)?);
                    let what = format!("G_{i} of group {g}");
                    cmp.tensor(
                        Tolerance::F32,
                        &format!("{what} vs core's pieces"),
                        &got,
                        &composed,
                        &magnitude,
                    );
                    cmp.tensor(
                        Tolerance::F32_REDUCTION,
                        &format!("{what} vs host"),
                        &got,
                        &host_expected,
                        &magnitude,
                    );
                }
                if group.regularized {
                    offset += group.elements();
                }
            }
            cmp.finish()
        },
    )
}
