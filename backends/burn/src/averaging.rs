//! SWA and EMA of an ordinary burn model (SPEC.md §7), through core's [`swa_update`] and
//! [`ema_update`] on the [`Burn`] backend, and the same parameter reading and writing as
//! [`Subspace::export`](crate::Subspace::export).
//!
//! Recalibrate BatchNorm statistics of the averaged model before evaluating it
//! ([`recalibrate_batch_norm`](crate::recalibrate_batch_norm)).

use burn::module::Module;
use subspace_core::{EmaState, SwaState, ema_init, ema_update, swa_init, swa_update};

use crate::backend::{Burn, BurnTensor};
use crate::error::Result;
use crate::layout::{Layout, conv_linear_weights};
use crate::params::{read_params, standalone_with};

/// A running average of a model's weights: the first model (for its type, mode and running
/// statistics), its parameters' layout, and core's state `S` of the average.
#[derive(Debug, Clone)]
struct Averaged<M: Module, S> {
    template: M,
    layout: Layout,
    state: S,
}

impl<M: Module, S> Averaged<M, S> {
    /// Starts from the weights of `model`.
    fn new(model: &M, init: impl FnOnce(Vec<BurnTensor>) -> Result<S>) -> Result<Self> {
        let layout = Layout::of(model, conv_linear_weights)?;
        let state = init(read_params(model, &layout))?;
        Ok(Self {
            template: model.clone(),
            layout,
            state,
        })
    }

    /// Averages in the weights of `model`, after checking they are those of the first one; on
    /// an error the average is as it was.
    fn update(
        &mut self,
        model: &M,
        update: impl FnOnce(&S, Vec<BurnTensor>) -> subspace_core::Result<S>,
    ) -> Result<()> {
        self.layout.check_same(
            &Layout::of(model, conv_linear_weights)?,
            "the averaged model".into(),
        )?;
        self.state = update(&self.state, read_params(model, &self.layout))?;
        Ok(())
    }

    /// `average` as a plain model of the user's type.
    fn model(&self, average: &[BurnTensor]) -> M {
        standalone_with(&self.template, &self.layout, average.to_vec())
    }
}

/// A uniform running average of a model's weights, `w̄_n = (1/n) Σ_k w_k` (SWA).
#[derive(Debug, Clone)]
pub struct ModelSwa<M: Module>(Averaged<M, SwaState<BurnTensor>>);

impl<M: Module> ModelSwa<M> {
    /// `w̄_1 = w_1`, the weights of `model`.
    pub fn new(model: &M) -> Result<Self> {
        Averaged::new(model, |params| Ok(swa_init::<Burn>(params))).map(Self)
    }

    /// `w̄_{n+1} = (n/(n+1)) w̄_n + (1/(n+1)) w_{n+1}` with the weights of `model`.
    ///
    /// Errors if `model` does not have the parameters of the first one, and leaves the average
    /// as it was.
    pub fn update(&mut self, model: &M) -> Result<()> {
        self.0.update(model, swa_update::<Burn>)
    }

    /// `n`, the number of weights averaged.
    pub fn count(&self) -> u64 {
        self.0.state.count
    }

    /// The average as a plain model of the user's type (fresh parameter ids, the first
    /// model's mode and running statistics).
    pub fn model(&self) -> M {
        self.0.model(&self.0.state.average)
    }
}

/// An exponential moving average of a model's weights, `w̄ ← d w̄ + (1 − d) w` (EMA).
#[derive(Debug, Clone)]
pub struct ModelEma<M: Module>(Averaged<M, EmaState<BurnTensor>>);

impl<M: Module> ModelEma<M> {
    /// `w̄ = w`, the weights of `model`, with decay `d ∈ [0, 1)`.
    ///
    /// Errors if `d` is outside `[0, 1)`.
    pub fn new(model: &M, decay: f64) -> Result<Self> {
        Averaged::new(model, |params| Ok(ema_init::<Burn>(params, decay)?)).map(Self)
    }

    /// `w̄ ← d w̄ + (1 − d) w` with the weights of `model`.
    ///
    /// Errors if `model` does not have the parameters of the first one, and leaves the average
    /// as it was.
    pub fn update(&mut self, model: &M) -> Result<()> {
        self.0.update(model, ema_update::<Burn>)
    }

    /// The number of updates applied.
    pub fn updates(&self) -> u64 {
        self.0.state.updates
    }

    /// The average as a plain model of the user's type (fresh parameter ids, the first
    /// model's mode and running statistics).
    pub fn model(&self) -> M {
        self.0.model(&self.0.state.average)
    }
}
