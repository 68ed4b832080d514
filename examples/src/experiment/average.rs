//! SWA and EMA of a run's weights, through the plugin's [`ModelSwa`] and [`ModelEma`] (core's
//! `swa_update` and `ema_update`, SPEC.md §7): `w̄_{n+1} = (n w̄_n + w)/(n+1)` from `swa_start`
//! on, and `w̄ ← d w̄ + (1 − d) w` every step. BatchNorm statistics of the average are
//! recalibrated at evaluation.

use subspace_burn::{ModelEma, ModelSwa, Subspace};

use super::error::ExperimentError;
use super::schedule::LrSchedule;
use super::train::Averaging;
use crate::config::TrainConfig;
use crate::models::Classifier;

/// The running average of one run, once it has started.
#[derive(Debug)]
enum State<M: Classifier> {
    Swa(ModelSwa<M>),
    Ema(ModelEma<M>),
}

/// The running average of one run.
#[derive(Debug)]
pub struct Average<M: Classifier> {
    kind: Averaging,
    decay: f64,
    start: u64,
    state: Option<State<M>>,
}

impl<M: Classifier> Average<M> {
    /// An average of kind `kind`; SWA starts at the step where `schedule` turns constant.
    pub fn new(kind: Averaging, train: &TrainConfig, schedule: LrSchedule) -> Self {
        Self {
            kind,
            decay: train.ema_decay,
            start: schedule.constant_from.map_or(0, |(s, _)| s),
            state: None,
        }
    }

    /// Folds the weights of the one-point region `subspace` after step `step` into the average.
    pub fn update(&mut self, subspace: &Subspace<M>, step: u64) -> Result<(), ExperimentError> {
        let model = &subspace.copies()[0];
        match (self.kind, &mut self.state) {
            (Averaging::None, _) => {}
            (Averaging::Swa, None) if step < self.start => {}
            (Averaging::Swa, None) => self.state = Some(State::Swa(ModelSwa::new(model)?)),
            (Averaging::Ema, None) => {
                self.state = Some(State::Ema(ModelEma::new(model, self.decay)?));
            }
            (_, Some(State::Swa(swa))) => swa.update(model)?,
            (_, Some(State::Ema(ema))) => ema.update(model)?,
        }
        Ok(())
    }

    /// The average as a plain model, if any weights were averaged.
    pub fn finish(self) -> Option<M> {
        self.state.map(|state| match state {
            State::Swa(swa) => swa.model(),
            State::Ema(ema) => ema.model(),
        })
    }
}
