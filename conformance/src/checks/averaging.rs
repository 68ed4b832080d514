//! SWA and EMA through the backend against their closed forms (SPEC.md §7).

use proptest::collection::vec;
use proptest::prelude::*;
use subspace_core::{Backend, HostTensor, ema_init, ema_update, swa_init, swa_update};

use crate::compare::Comparisons;
use crate::data::{TensorSpec, download};
use crate::harness::{SuiteConfig, run_property};
use crate::outcome::{CaseError, Failure, Report};
use crate::strategies::{dims, small_dims};
use crate::tolerance::Tolerance;

/// A sequence of parameter lists: `seeds[step][param]` with `dims[param]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trajectory {
    /// The dims of each parameter (the first may be large).
    pub dims: Vec<Vec<usize>>,
    /// One seed per step and parameter.
    pub seeds: Vec<Vec<u64>>,
}

impl Trajectory {
    fn host(&self) -> Vec<Vec<HostTensor>> {
        self.seeds
            .iter()
            .map(|step| {
                step.iter()
                    .zip(&self.dims)
                    .map(|(&seed, dims)| {
                        TensorSpec {
                            dims: dims.clone(),
                            seed,
                        }
                        .host()
                    })
                    .collect()
            })
            .collect()
    }

    /// `Σ_s weights[s] · w_s` and `max_s |w_s|` per element of parameter `p`.
    fn closed_form(host: &[Vec<HostTensor>], p: usize, weights: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let len = host[0][p].len();
        let mut value = vec![0.0; len];
        let mut size = vec![0.0f64; len];
        for (step, &weight) in host.iter().zip(weights) {
            for (k, &x) in step[p].data().iter().enumerate() {
                value[k] += weight * f64::from(x);
                size[k] = size[k].max(f64::from(x).abs());
            }
        }
        (value, size)
    }
}

/// One to eight steps of one to three parameters.
fn trajectory() -> impl Strategy<Value = Trajectory> {
    (dims(), vec(small_dims(), 0..=2), 1..=8usize).prop_flat_map(|(first, rest, steps)| {
        let mut all = vec![first];
        all.extend(rest);
        let params = all.len();
        (Just(all), vec(vec(any::<u64>(), params), steps))
            .prop_map(|(dims, seeds)| Trajectory { dims, seeds })
    })
}

/// Compares averages on `B` with closed-form weights over the trajectory.
fn compare_average<B: Backend>(
    cmp: &mut Comparisons,
    average: Vec<B::Tensor>,
    host: &[Vec<HostTensor>],
    weights: &[f64],
) -> Result<(), CaseError> {
    for (p, tensor) in average.into_iter().enumerate() {
        let (expected, magnitude) = Trajectory::closed_form(host, p, weights);
        let actual = download::<B>(tensor)?;
        cmp.tensor(
            Tolerance::F32,
            &format!("average of parameter {p}"),
            &actual,
            &expected,
            &magnitude,
        );
    }
    Ok(())
}

/// `swa_init` then `k - 1` `swa_update`s on `B` give the mean of the `k` parameter lists
/// within [`Tolerance::F32`] (magnitude `max_s |w_s|`), with count `k`.
pub fn check_swa<B: Backend>(device: &B::Device, config: &SuiteConfig) -> Result<Report, Failure> {
    run_property(
        "SWA = mean",
        &B::name(device),
        config,
        trajectory(),
        |t: &Trajectory| {
            let host = t.host();
            let upload =
                |step: &[HostTensor]| step.iter().map(|x| B::from_host(x, device)).collect();
            let mut state = swa_init::<B>(upload(&host[0]));
            for step in &host[1..] {
                state = swa_update::<B>(&state, upload(step))?;
            }
            let k = host.len();
            let mut cmp = Comparisons::new();
            cmp.require(state.count == k as u64, || {
                format!("count {}, expected {k}", state.count)
            });
            compare_average::<B>(&mut cmp, state.average, &host, &vec![1.0 / k as f64; k])?;
            cmp.finish()
        },
    )
}

/// `ema_init(w_0, d)` then `k` `ema_update`s with `w_1 .. w_k` on `B` give
/// `d^k w_0 + Σ_{s=1..k} (1 − d) d^(k−s) w_s` within [`Tolerance::F32`] (magnitude
/// `max_s |w_s|`), with `k` updates counted and `d` kept.
pub fn check_ema<B: Backend>(device: &B::Device, config: &SuiteConfig) -> Result<Report, Failure> {
    let decay = prop_oneof![Just(0.0), Just(0.5), Just(0.999), 0.0..1.0f64];
    run_property(
        "EMA = closed form",
        &B::name(device),
        config,
        (trajectory(), decay),
        |(t, d): &(Trajectory, f64)| {
            let host = t.host();
            let upload =
                |step: &[HostTensor]| step.iter().map(|x| B::from_host(x, device)).collect();
            let mut state = ema_init::<B>(upload(&host[0]), *d)?;
            for step in &host[1..] {
                state = ema_update::<B>(&state, upload(step))?;
            }
            let k = host.len() - 1;
            let weights: Vec<f64> = (0..=k)
                .map(|s| {
                    let tail = d.powi((k - s) as i32);
                    if s == 0 { tail } else { (1.0 - d) * tail }
                })
                .collect();
            let mut cmp = Comparisons::new();
            cmp.require(state.updates == k as u64, || {
                format!("{} updates, expected {k}", state.updates)
            });
            cmp.require(state.decay == *d, || {
                format!("decay {}, expected {d}", state.decay)
            });
            compare_average::<B>(&mut cmp, state.average, &host, &weights)?;
            cmp.finish()
        },
    )
}
