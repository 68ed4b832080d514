//! Training the MLP through luminal, step by step along core's plugin contract.

use std::borrow::Borrow;

use subspace_core::Result;
use subspace_reference::mlp::{
    Batch, StepRecord, TrainConfig, TrainState, train_step_with, train_with,
};

use super::LuminalMlp;
use crate::backend::Luminal;
use crate::target::Target;

/// One training step on `batch` with the copies on luminal: the reference's
/// [`train_step_with`], so exactly the reference's step, with luminal doing every tensor
/// operation:
///
/// 1. `points = schedule.points(t, layers)`;
/// 2. `w = region.mix(&points)` — luminal lincomb graphs;
/// 3. [`LuminalMlp::loss_and_grads`] at `w` — the compiled forward + analytic backward graph;
/// 4. if `β > 0` and the shape has a pair: `R = cos2_regularizer(region, schedule.pair(t))`;
///    `G_i = copy_gradients(region, g, points, R, λ)` — luminal gram and lincomb graphs;
/// 5. SGD with momentum (PyTorch semantics) on every copy — luminal lincomb graphs.
///
/// Errors if the batch does not fit the MLP, the region's groups are not the MLP's parameters,
/// the learning rate or weight decay is invalid, or the regularizer finds non-finite copies.
pub fn train_step<T: Target>(
    mlp: &LuminalMlp<T>,
    config: &TrainConfig,
    state: TrainState<Luminal<T>>,
    batch: &Batch,
) -> Result<(TrainState<Luminal<T>>, StepRecord)> {
    train_step_with(config, state, |w| {
        mlp.loss_and_grads(w, batch)
            .map(|out| (out.loss, out.grads))
    })
}

/// [`train_step`] on every batch in order, from `state`; returns the final state and one
/// record per step.
pub fn train<T: Target, I>(
    mlp: &LuminalMlp<T>,
    config: &TrainConfig,
    state: TrainState<Luminal<T>>,
    batches: I,
) -> Result<(TrainState<Luminal<T>>, Vec<StepRecord>)>
where
    I: IntoIterator,
    I::Item: Borrow<Batch>,
{
    train_with(config, state, batches, |w, batch| {
        mlp.loss_and_grads(w, batch)
            .map(|out| (out.loss, out.grads))
    })
}
