//! The subspace training loop of a [`Network`] (the [`Mlp`], or an adapter's) through core's
//! plugin contract (DESIGN.md, "The plugin contract"); the steps are listed on [`train_step`].
//!
//! Steps 4 and 5 are core's [`sgd_step`]: every copy's gradient (chain rule, cos² regularizer)
//! and SGD with momentum and weight decay on every copy separately, PyTorch's and burn's `SGD`.
//! The regularizer is evaluated at the copies before the step.
//! Every random choice is a pure function of `(schedule.seed, t)`, so a run resumed from a
//! saved [`TrainState`] continues exactly as an uninterrupted one.

use std::borrow::Borrow;

use subspace_core::{
    Backend, Cos2, Cos2Config, PointSchedule, Region, Result, SgdConfig, SgdState, StepPoints,
    cos2_regularizer, sgd_step,
};

use super::batch::Batch;
use super::model::Mlp;
use crate::backend::{Reference, Tensor};
use crate::lr_schedule::LrSchedule;

/// Everything that fixes a training trajectory besides the initial copies and the batches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Shape, sharing and seed of the points and regularizer pairs.
    pub schedule: PointSchedule,
    /// The learning rate per step.
    pub lr: LrSchedule,
    /// Momentum and `λ`, L2 weight decay on every copy separately (PyTorch's SGD
    /// `weight_decay`).
    pub sgd: SgdConfig,
    /// `β` and `ε` of the cos² regularizer; `β = 0` skips it.
    pub cos2: Cos2Config,
}

/// What a run carries from step to step; saving it and training on later resumes exactly.
///
/// The copies live on backend `B`: the reference by default; an adapter's [`Network`] trains
/// copies on its own backend.
#[derive(Debug, Clone)]
pub struct TrainState<B: Backend = Reference> {
    /// The copies of every parameter.
    pub region: Region<B>,
    /// One velocity per copy of every parameter (core's [`sgd_step`] state).
    pub optimizer: SgdState<B::Tensor>,
    /// The next step's index `t`.
    pub step: u64,
}

impl<B: Backend> TrainState<B> {
    /// The state before step 0: fresh optimizer state.
    pub fn new(region: Region<B>) -> Self {
        Self {
            region,
            optimizer: SgdState::new(),
            step: 0,
        }
    }
}

/// What happened at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// The step index `t`.
    pub step: u64,
    /// The point(s) the network was trained at.
    pub points: StepPoints,
    /// The learning rate used.
    pub lr: f64,
    /// The batch loss at `w(p)` (without the regularizer).
    pub loss: f64,
    /// The regularizer, if it was applied this step.
    pub regularizer: Option<Cos2>,
}

/// A network whose loss and gradient at given weights are computed on backend `B`: step 3 of
/// [`train_step`], the host's forward and backward pass. The reference [`Mlp`] is one (on
/// [`Reference`]); an adapter's network (luminal's MLP) is another, and trains through the
/// same loop, so two backends given the same batches trace the same trajectory.
pub trait Network<B: Backend> {
    /// The mean loss `L` of `batch` at the weights `w` (one tensor per parameter) and
    /// `dL/dw`.
    ///
    /// Errors if the weights or the batch do not fit the network.
    fn loss_and_grads_at(&self, w: &[B::Tensor], batch: &Batch) -> Result<(f64, Vec<B::Tensor>)>;
}

impl Network<Reference> for Mlp {
    /// [`Mlp::loss_and_grads`]: the hand-written forward and backward pass.
    fn loss_and_grads_at(&self, w: &[Tensor], batch: &Batch) -> Result<(f64, Vec<Tensor>)> {
        self.loss_and_grads(w, batch)
            .map(|out| (out.loss, out.grads))
    }
}

/// One training step of `net` on `batch`, at step index `state.step = t`:
///
/// 1. `points = schedule.points(t, layers)`;
/// 2. `w = region.mix(&points)` — the network at `w(p)`;
/// 3. [`Network::loss_and_grads_at`] `w` — the loss and `g = dL/dw(p)`;
/// 4. if `β > 0` and the shape has a pair: `R = cos2_regularizer(region, schedule.pair(t))`;
/// 5. [`sgd_step`] with `η = lr.lr(t)`: every copy's `G_i = c_i(p) g + dR/dw_i + λ w_i`, its
///    velocity and its update.
///
/// Errors if the batch does not fit the network, the region's groups are not its parameters,
/// the learning rate or weight decay is invalid, or the regularizer finds non-finite copies.
pub fn train_step<B: Backend>(
    net: &impl Network<B>,
    config: &TrainConfig,
    state: TrainState<B>,
    batch: &Batch,
) -> Result<(TrainState<B>, StepRecord)> {
    let TrainState {
        mut region,
        mut optimizer,
        step,
    } = state;
    let points = config.schedule.points(step, region.layers())?;
    let w = region.mix(&points)?;
    let (loss, grads) = net.loss_and_grads_at(&w, batch)?;
    let regularizer = match config.schedule.pair(step) {
        Some(pair) if config.cos2.beta > 0.0 => Some(cos2_regularizer(&region, pair, config.cos2)?),
        _ => None,
    };
    let lr = config.lr.lr(step);
    sgd_step(
        &mut region,
        grads.into_iter().map(Some).collect(),
        &points,
        regularizer.as_ref(),
        &mut optimizer,
        &config.sgd,
        lr,
    )?;
    let record = StepRecord {
        step,
        points,
        lr,
        loss,
        regularizer,
    };
    let state = TrainState {
        region,
        optimizer,
        step: step + 1,
    };
    Ok((state, record))
}

/// [`train_step`] on every batch in order, from `state`; returns the final state and one
/// record per step.
pub fn train<B: Backend, I>(
    net: &impl Network<B>,
    config: &TrainConfig,
    mut state: TrainState<B>,
    batches: I,
) -> Result<(TrainState<B>, Vec<StepRecord>)>
where
    I: IntoIterator,
    I::Item: Borrow<Batch>,
{
    let mut records = Vec::new();
    for batch in batches {
        let (next, record) = train_step(net, config, state, batch.borrow())?;
        state = next;
        records.push(record);
    }
    Ok((state, records))
}
