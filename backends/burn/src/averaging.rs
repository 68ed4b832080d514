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

/// The parameters of `model` after checking they are those of `layout`.
fn checked_params<M: Module>(layout: &Layout, model: &M) -> Result<Vec<BurnTensor>> {
    layout.check_same(
        &Layout::of(model, conv_linear_weights)?,
        "the averaged model".into(),
    )?;
    Ok(read_params(model, layout))
}

/// A uniform running average of a model's weights, `w̄_n = (1/n) Σ_k w_k` (SWA).
#[derive(Debug, Clone)]
pub struct ModelSwa<M: Module> {
    template: M,
    layout: Layout,
    state: SwaState<BurnTensor>,
}

impl<M: Module> ModelSwa<M> {
    /// `w̄_1 = w_1`, the weights of `model`.
    pub fn new(model: &M) -> Result<Self> {
        let layout = Layout::of(model, conv_linear_weights)?;
        let state = swa_init::<Burn>(read_params(model, &layout));
        Ok(Self {
            template: model.clone(),
            layout,
            state,
        })
    }

    /// `w̄_{n+1} = (n/(n+1)) w̄_n + (1/(n+1)) w_{n+1}` with the weights of `model`.
    ///
    /// Errors if `model` does not have the parameters of the first one.
    pub fn update(self, model: &M) -> Result<Self> {
        let params = checked_params(&self.layout, model)?;
        let state = swa_update::<Burn>(self.state, params)?;
        Ok(Self { state, ..self })
    }

    /// `n`, the number of weights averaged.
    pub fn count(&self) -> u64 {
        self.state.count
    }

    /// The average as a plain model of the user's type (fresh parameter ids, the first
    /// model's mode and running statistics).
    pub fn model(&self) -> M {
        standalone_with(&self.template, &self.layout, self.state.average.clone())
    }
}

/// An exponential moving average of a model's weights, `w̄ ← d w̄ + (1 − d) w` (EMA).
#[derive(Debug, Clone)]
pub struct ModelEma<M: Module> {
    template: M,
    layout: Layout,
    state: EmaState<BurnTensor>,
}

impl<M: Module> ModelEma<M> {
    /// `w̄ = w`, the weights of `model`, with decay `d ∈ [0, 1)`.
    ///
    /// Errors if `d` is outside `[0, 1)`.
    pub fn new(model: &M, decay: f64) -> Result<Self> {
        let layout = Layout::of(model, conv_linear_weights)?;
        let state = ema_init::<Burn>(read_params(model, &layout), decay)?;
        Ok(Self {
            template: model.clone(),
            layout,
            state,
        })
    }

    /// `w̄ ← d w̄ + (1 − d) w` with the weights of `model`.
    ///
    /// Errors if `model` does not have the parameters of the first one.
    pub fn update(self, model: &M) -> Result<Self> {
        let params = checked_params(&self.layout, model)?;
        let state = ema_update::<Burn>(self.state, params)?;
        Ok(Self { state, ..self })
    }

    /// The number of updates applied.
    pub fn updates(&self) -> u64 {
        self.state.updates
    }

    /// The average as a plain model of the user's type (fresh parameter ids, the first
    /// model's mode and running statistics).
    pub fn model(&self) -> M {
        standalone_with(&self.template, &self.layout, self.state.average.clone())
    }
}
