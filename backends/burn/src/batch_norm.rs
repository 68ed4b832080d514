//! BatchNorm recalibration at a point (SPEC.md §5; PyTorch's `update_bn`).

use std::collections::HashMap;

use burn::module::{Module, Param};
use burn::tensor::Tensor;
use subspace_core::Backend;

use crate::backend::{Burn, BurnTensor};
use crate::error::{Error, Result};
use crate::params::in_mode_of;
use crate::walk::{MapFloat, MapWalker, ParamSite, VisitFloat, Walker};

/// The value running statistics are set to for measuring the momentum: a power of two, so
/// `(1 − μ) · PROBE` is exact, large enough that adding `μ b` (`|b| < 2^35`) cannot change it.
const PROBE: f64 = (1u64 << 60) as f64;

/// `model` with its running statistics recomputed as the cumulative average over `batches`;
/// `forward` runs the model's forward pass on one batch.
///
/// BatchNorm running statistics are shared by the whole region and mean nothing for any one
/// point after training. [`recalibrate_batch_norm`] resets them and recomputes them as the
/// **cumulative average** of the batch statistics over one pass of the given batches:
///
/// ```text
/// running_mean = (1/K) Σ_k mean_k        running_var = (1/K) Σ_k var_k
/// ```
///
/// where `mean_k` and `var_k` are the statistics burn's `BatchNorm` computes on batch `k` in
/// training mode (per channel; the variance is the biased, population one).
///
/// burn's `BatchNorm` updates a statistic as `r ← (1 − μ) r + μ b` with a momentum `μ` that
/// is a plain field of the layer, out of reach of a generic module traversal. So the
/// recalibration runs every batch from `r = 0`, which leaves exactly `μ b_k`, divides the sum
/// by `K μ`, and measures `μ` once per statistic with one extra forward of the first batch from
/// `r = 2^60`: that makes the new value exactly `(1 − μ) 2^60` for `μ < 1`, and the batch's own
/// statistics, the same as from `r = 0`, for `μ = 1`. The layers' momentum, epsilon and every
/// other setting are never changed.
///
/// The input model is borrowed and left as it is (also on an error); the result has its own
/// running statistics and the input's
/// mode (a model on an autodiff device comes back on it with the same gradient and
/// training-flag settings, a plain one comes back plain). The forward passes run on a private
/// copy in training mode on an autodiff device, recording no gradients. Give the batches on an
/// autodiff device (`device.autodiff()`): burn's `BatchNorm` takes batch statistics only from
/// autodiff inputs, and a layer that sees the raw batch would otherwise not update. A model
/// without running statistics is returned unchanged.
///
/// Errors if `batches` is empty, or a statistic was not updated by the forward pass (its layer
/// is frozen, has momentum 0, or is not reached), or its update is not `(1 − μ) r + μ b`.
pub fn recalibrate_batch_norm<M: Module, I>(
    model: &M,
    batches: impl IntoIterator<Item = I>,
    mut forward: impl FnMut(&M, &I),
) -> Result<M> {
    if !Walker::run(model, HasStatistics(false)).0 {
        return Ok(model.clone());
    }
    let mut batches = batches.into_iter();
    let first = batches.next().ok_or(Error::NoBatches)?;
    let work = model.valid().train().no_grad();

    let mut sums = run(&work, 0.0, &first, &mut forward);
    let probed = run(&work, PROBE, &first, &mut forward);
    let momenta = momenta(probed, &sums)?;

    let mut count = 1usize;
    for batch in batches {
        let stats = run(&work, 0.0, &batch, &mut forward);
        for (path, value) in stats {
            let sum = match sums.remove(&path) {
                Some(sum) => sum.map_flat(|s| s + value.flat().clone()),
                None => value,
            };
            sums.insert(path, sum);
        }
        count += 1;
    }
    let averages = sums
        .into_iter()
        .map(|(path, sum)| {
            let scale = 1.0 / (count as f64 * momenta[&path]);
            (path, sum.map_flat(|s| s.mul_scalar(scale)))
        })
        .collect();

    let out = in_mode_of(model, model.valid());
    Ok(MapWalker::run(out, SetStatistics::Values(averages)).0)
}

/// Sets every running statistic of `work` to `fill`, runs `forward` on `batch` and reads the
/// statistics back (synchronised).
fn run<M: Module, I>(
    work: &M,
    fill: f64,
    batch: &I,
    forward: &mut impl FnMut(&M, &I),
) -> HashMap<String, BurnTensor> {
    let work = MapWalker::run(work.clone(), SetStatistics::Fill(fill)).0;
    forward(&work, batch);
    // `valid` merges the pending per-thread updates of every running statistic.
    Walker::run(&work.valid(), ReadStatistics::default()).values
}

/// `μ` of every statistic, from its values `r` after one forward of the same batch from
/// `PROBE` (`probed`) and from 0 (`from_zero`, `μ b`): `μ = 1` where the two are equal (the
/// batch's statistics replace the running ones, whatever they were), else `μ = 1 − r/PROBE`
/// (`r = (1 − μ) PROBE` exactly, the same for every channel).
fn momenta(
    probed: HashMap<String, BurnTensor>,
    from_zero: &HashMap<String, BurnTensor>,
) -> Result<HashMap<String, f64>> {
    probed
        .into_iter()
        .map(|(path, value)| {
            let host = Burn::tensor_to_host(value)?;
            let values = host.data();
            let first = values.first().copied().unwrap_or(PROBE as f32);
            if first as f64 == PROBE {
                return Err(Error::NotUpdated { path });
            }
            if let Some(zero) = from_zero.get(&path) {
                // For μ < 1, r ≥ 2^-24 PROBE = 2^36 > |μ b|: equal only for μ = 1.
                if Burn::tensor_to_host(zero.clone())?.data() == values {
                    return Ok((path, 1.0));
                }
            }
            let momentum = 1.0 - first as f64 / PROBE;
            if values.iter().any(|&v| v != first) || !(momentum > 0.0 && momentum <= 1.0) {
                return Err(Error::UnrecognizedUpdate { path, momentum });
            }
            Ok((path, momentum))
        })
        .collect()
}

/// Whether a model has running statistics.
struct HasStatistics(bool);

impl VisitFloat for HasStatistics {
    fn visit<const D: usize>(&mut self, site: &ParamSite, _param: &Param<Tensor<D>>) {
        self.0 |= site.is_running_statistic();
    }
}

/// The value of every running statistic.
#[derive(Default)]
struct ReadStatistics {
    values: HashMap<String, BurnTensor>,
}

impl VisitFloat for ReadStatistics {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        if site.is_running_statistic() {
            self.values
                .insert(site.path.clone(), BurnTensor::from_tensor(param.val()));
        }
    }
}

/// Writes running statistics: one fill value for all, or a value per path.
enum SetStatistics {
    Fill(f64),
    Values(HashMap<String, BurnTensor>),
}

impl MapFloat for SetStatistics {
    fn map<const D: usize>(
        &mut self,
        site: &ParamSite,
        param: Param<Tensor<D>>,
    ) -> Param<Tensor<D>> {
        if !site.is_running_statistic() {
            return param;
        }
        match self {
            Self::Fill(fill) => {
                let fill = *fill;
                param.map(|r| r.full_like(fill))
            }
            Self::Values(values) => match values.remove(&site.path) {
                Some(value) => {
                    let value = value
                        .into_tensor::<D>()
                        .unwrap_or_else(|| unreachable!("statistics keep their rank"));
                    param.map(|r| {
                        let value = value.to_device(&r.device());
                        if r.is_autodiff() {
                            value.autodiff()
                        } else {
                            value
                        }
                    })
                }
                None => param,
            },
        }
    }
}
