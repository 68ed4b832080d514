//! SWA and EMA of a run's weights, through the plugin.
//!
//! Both updates are a point on the line between the running average `w̄` and the current
//! weights `w`: `(1 − a) w̄ + a w`, with `a = 1/(n+1)` for SWA (`w̄_{n+1} = (n w̄_n + w)/(n+1)`,
//! SPEC.md §7) and `a = 1 − d` for an EMA with decay `d`. So each update builds the two-copy
//! line `[w̄, w]` with [`Subspace::from_copies`] and exports its point `a` — the same mix a user
//! evaluates a line with. BatchNorm statistics of the average are recalibrated at evaluation.

use subspace_burn::{Subspace, SubspaceConfig};
use subspace_core::{Point, Shape};

use super::error::ExperimentError;
use super::schedule::LrSchedule;
use super::train::Averaging;
use crate::config::TrainConfig;
use crate::models::Classifier;

/// The running average of one run.
#[derive(Debug)]
pub struct Average<M> {
    kind: Averaging,
    decay: f64,
    start: u64,
    /// `(w̄, n)`: the average and the number of weights averaged.
    state: Option<(M, u64)>,
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
        match self.kind {
            Averaging::None => return Ok(()),
            Averaging::Swa if step < self.start => return Ok(()),
            Averaging::Swa | Averaging::Ema => {}
        }
        self.state = Some(match self.state.take() {
            // A standalone copy (fresh parameter ids) of the current weights.
            None => (subspace.export(&Point::Origin)?, 1),
            Some((average, n)) => {
                let a = match self.kind {
                    Averaging::Ema => 1.0 - self.decay,
                    _ => 1.0 / (n + 1) as f64,
                };
                let current = subspace.copies()[0].clone();
                let line = Subspace::from_copies(
                    SubspaceConfig::new(Shape::Line, 0),
                    vec![average, current],
                )?;
                (line.export(&Point::curve(a)?)?, n + 1)
            }
        });
        Ok(())
    }

    /// The average, if any weights were averaged.
    pub fn finish(self) -> Option<M> {
        self.state.map(|(m, _)| m)
    }
}
