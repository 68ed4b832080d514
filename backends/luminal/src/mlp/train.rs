//! Training the MLP through luminal, step by step along core's plugin contract.

use std::borrow::Borrow;

use subspace_core::{Region, Result, copy_gradients, cos2_regularizer};
use subspace_reference::mlp::{Batch, StepRecord, TrainConfig};
use subspace_reference::{SgdState, sgd_init, sgd_update};

use super::LuminalMlp;
use crate::backend::Luminal;
use crate::target::Target;
use crate::tensor::Tensor;

/// What a luminal run carries from step to step.
#[derive(Debug, Clone)]
pub struct TrainState<T: Target> {
    /// The copies of every parameter.
    pub region: Region<Luminal<T>>,
    /// One velocity per copy of every parameter.
    pub optimizer: SgdState<Tensor>,
    /// The next step's index `t`.
    pub step: u64,
}

impl<T: Target> TrainState<T> {
    /// The state before step 0: fresh optimizer state.
    pub fn new(region: Region<Luminal<T>>) -> Self {
        Self {
            region,
            optimizer: sgd_init(),
            step: 0,
        }
    }
}

/// One training step on `batch`.
///
/// Step `t`, exactly as the reference's `train_step` (so both trace the same trajectory):
///
/// 1. `points = schedule.points(t, layers)`;
/// 2. `w = region.mix(&points)` — luminal lincomb graphs;
/// 3. [`LuminalMlp::loss_and_grads`] at `w` — the compiled forward + analytic backward graph;
/// 4. if `β > 0` and the shape has a pair: `R = cos2_regularizer(region, schedule.pair(t))`;
///    `G_i = copy_gradients(region, g, points, R, λ)` — luminal gram and lincomb graphs;
/// 5. the reference's [`sgd_update`] (momentum, PyTorch semantics) on every copy, itself
///    written on `Backend` and so run by luminal lincomb graphs.
///
/// Errors if the batch does not fit the MLP, the region's groups are not the MLP's parameters,
/// the learning rate or weight decay is invalid, or the regularizer finds non-finite copies.
pub fn train_step<T: Target>(
    mlp: &LuminalMlp<T>,
    config: &TrainConfig,
    state: TrainState<T>,
    batch: &Batch,
) -> Result<(TrainState<T>, StepRecord)> {
    let TrainState {
        mut region,
        optimizer,
        step,
    } = state;
    let points = config.schedule.points(step, region.layers());
    let w = region.mix(&points)?;
    let out = mlp.loss_and_grads(&w, batch)?;
    let regularizer = match config.schedule.pair(step) {
        Some(pair) if config.cos2.beta > 0.0 => Some(cos2_regularizer(&region, pair, config.cos2)?),
        _ => None,
    };
    let grads = copy_gradients(
        &region,
        out.grads,
        &points,
        regularizer.as_ref(),
        config.weight_decay,
    )?;
    let lr = config.lr.lr(step);
    let copies = region.groups().iter().map(|g| g.copies.clone()).collect();
    let updated = sgd_update::<Luminal<T>>(&config.sgd, lr, grads, optimizer, copies)?;
    region.set_copies(updated.params)?;
    let record = StepRecord {
        step,
        points,
        lr,
        loss: out.loss,
        regularizer,
    };
    let state = TrainState {
        region,
        optimizer: updated.state,
        step: step + 1,
    };
    Ok((state, record))
}

/// [`train_step`] on every batch in order, from `state`; returns the final state and one
/// record per step.
pub fn train<T: Target, I>(
    mlp: &LuminalMlp<T>,
    config: &TrainConfig,
    mut state: TrainState<T>,
    batches: I,
) -> Result<(TrainState<T>, Vec<StepRecord>)>
where
    I: IntoIterator,
    I::Item: Borrow<Batch>,
{
    let mut records = Vec::new();
    for batch in batches {
        let (next, record) = train_step(mlp, config, state, batch.borrow())?;
        state = next;
        records.push(record);
    }
    Ok((state, records))
}
