//! One training run through the burn plugin, exactly as a user's loop would do it.
//!
//! Every run, standard training included, is a [`Subspace`] of the user's model (standard
//! training is the one-point region), trained with burn's SGD (momentum, weight decay on every
//! copy) under the same [`LrSchedule`]:
//!
//! ```text
//! points = subspace.points(step)          sample (pure function of seed, step, layer)
//! model  = subspace.at(&points)           the user's model at w(p), in the autodiff graph
//! loss   = cross_entropy(model.forward(x), y);  grads = loss.backward()
//! g      = subspace.gradients(grads, step)      c_i(p) g + dR/dw_i for every copy
//! subspace = sgd.step(lr, subspace, g.params)
//! ```

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::SgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::tensor::Device;
use indicatif::ProgressBar;
use subspace_burn::{Subspace, SubspaceConfig};
use subspace_core::{Cos2Config, DEFAULT_EPS, Shape, Sharing};

use super::batch::training_batch;
use super::data::ExperimentData;
use super::error::ExperimentError;
use super::method::RegionSpec;
use super::schedule::LrSchedule;
use crate::config::TrainConfig;
use crate::data::epoch_batches;
use crate::models::Init;

/// What to train, on which data, for how long.
#[derive(Debug, Clone, Copy)]
pub struct TrainJob<'a> {
    /// Optimisation settings.
    pub train: &'a TrainConfig,
    /// The data.
    pub data: &'a ExperimentData,
    /// Label-noise level of the training labels.
    pub label_noise: f64,
    /// The budget in epochs.
    pub epochs: usize,
    /// Seed of initialisation, batch order, augmentation and points.
    pub seed: u64,
    /// Random crops and flips.
    pub augment: bool,
    /// The training device (with autodiff).
    pub device: &'a Device,
}

/// Which weight average a run keeps besides its copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Averaging {
    /// None.
    None,
    /// An EMA of the weights, every step.
    Ema,
    /// SWA: from `swa_start` of training on, constant `swa_lr`, uniform average every step.
    Swa,
}

/// A trained region (and its average, if kept).
#[derive(Debug)]
pub struct Trained<M: crate::models::Classifier> {
    /// The trained copies.
    pub subspace: Subspace<M>,
    /// The EMA or SWA model, BatchNorm not yet recalibrated.
    pub average: Option<M>,
    /// Training wall time in seconds.
    pub seconds: f64,
}

impl TrainJob<'_> {
    /// Steps per epoch: `ceil(n / batch)`.
    pub fn steps_per_epoch(&self) -> u64 {
        self.data
            .train_at(self.label_noise)
            .len()
            .div_ceil(self.train.batch_size) as u64
    }

    /// The learning-rate schedule of this job's `T` steps; SWA holds `swa_lr` from its start
    /// step on ([`TrainJob::swa_start`]).
    pub fn schedule(&self, averaging: Averaging) -> LrSchedule {
        let spe = self.steps_per_epoch();
        let total = spe * self.epochs as u64;
        LrSchedule {
            base: self.train.lr,
            warmup: (self.train.warmup_epochs * spe as f64).round() as u64,
            total,
            constant_from: (averaging == Averaging::Swa)
                .then(|| (self.swa_start(total), self.train.swa_lr)),
        }
    }

    /// The first step of SWA among `total` steps `0..T`: `round(swa_start · T)`, clamped to the
    /// last step `T − 1`, so that at least the final weights are averaged even when a short run
    /// would round the start past the end.
    pub fn swa_start(&self, total: u64) -> u64 {
        ((self.train.swa_start * total as f64).round() as u64).min(total.saturating_sub(1))
    }
}

/// Trains `region` (standard training when `None`) and returns the copies.
///
/// Errors with [`ExperimentError::NoTrainingData`] before training when the training set is
/// empty (a run of no steps), and when training fails or diverges.
pub fn train<M: Init>(
    job: &TrainJob<'_>,
    region: Option<RegionSpec>,
    averaging: Averaging,
    label: &str,
    bar: &ProgressBar,
) -> Result<Trained<M>, ExperimentError> {
    let start = Instant::now();
    if job.data.train_at(job.label_noise).is_empty() {
        return Err(ExperimentError::NoTrainingData { run: label.into() });
    }
    let t = job.train;
    let (shape, sharing, beta) = match region {
        Some(r) => (r.shape, r.sharing, if r.beta_zero { 0.0 } else { t.beta }),
        None => (Shape::Point, Sharing::Shared, t.beta),
    };
    let config = SubspaceConfig::new(shape, job.seed)
        .with_sharing(sharing)
        .with_cos2(Cos2Config::new(beta, DEFAULT_EPS)?);
    job.device.seed(job.seed);
    let mut subspace = Subspace::new(config, || M::init(job.device))?;
    let mut optim = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(t.momentum)
                .with_dampening(0.0),
        ))
        .with_weight_decay(Some(WeightDecayConfig::new(t.weight_decay as f32)))
        .init();
    let loss_fn = CrossEntropyLossConfig::new().init(job.device);
    let schedule = job.schedule(averaging);
    let train_data = job.data.train_at(job.label_noise);
    bar.set_length(schedule.total);
    let mut average = super::average::Average::new(averaging, t, schedule);
    let mut step = 0u64;
    for epoch in 0..job.epochs as u64 {
        for batch in epoch_batches(train_data, t.batch_size, job.seed, epoch)? {
            let (x, y) = training_batch(job.data, batch, job.augment, job.seed, step, job.device);
            let points = subspace.points(step);
            let model = subspace.at(&points)?;
            let loss = loss_fn.forward(model.forward(x), y);
            let show = step.is_multiple_of(25);
            let shown = show.then(|| loss.clone());
            let grads = loss.backward();
            let g = subspace.gradients(grads, step)?;
            subspace = optim.step(schedule.at(step), subspace, g.params);
            average.update(&subspace, step)?;
            if let Some(loss) = shown {
                let value = loss
                    .try_into_scalar::<f32>()
                    .map_err(|e| ExperimentError::Device(format!("{e:?}")))?;
                if !value.is_finite() {
                    return Err(ExperimentError::Diverged {
                        run: label.into(),
                        step,
                        loss: value,
                    });
                }
                bar.set_message(format!("loss {value:.3}"));
            }
            step += 1;
            bar.inc(1);
        }
    }
    Ok(Trained {
        average: average.finish(),
        subspace,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::config::{ExperimentConfig, QUICK_PRESET};
    use crate::data::Dataset;
    use crate::models::{CLASSES, IMAGE_SIDE, Mlp};

    /// `n` images of the models' size whose pixels encode the label.
    fn data(n: usize) -> ExperimentData {
        let f = IMAGE_SIDE * IMAGE_SIDE;
        let labels: Vec<usize> = (0..n).map(|i| i % CLASSES).collect();
        let images = (0..n * f)
            .map(|p| (labels[p / f] as f32 + (p % 5) as f32) / 15.0)
            .collect();
        let train = Dataset::new(images, labels, IMAGE_SIDE, IMAGE_SIDE, CLASSES).unwrap();
        ExperimentData {
            test: train.head(10),
            train,
            train_noisy: None,
            source: "memory".into(),
            mean: 0.3,
            std: 0.2,
        }
    }

    fn job<'a>(
        train: &'a TrainConfig,
        data: &'a ExperimentData,
        device: &'a Device,
    ) -> TrainJob<'a> {
        TrainJob {
            train,
            data,
            label_noise: 0.0,
            epochs: 1,
            seed: 0,
            augment: false,
            device,
        }
    }

    fn quick_train() -> TrainConfig {
        ExperimentConfig::from_toml(QUICK_PRESET, None)
            .unwrap()
            .train
    }

    #[test]
    fn swa_starts_at_the_rounded_fraction_but_never_after_the_last_step() {
        let config = quick_train();
        let (data, device) = (data(1), Device::flex());
        let job = job(&config, &data, &device);
        assert_eq!(config.swa_start, 0.75);
        assert_eq!(job.swa_start(100), 75);
        assert_eq!(job.swa_start(4), 3);
        // round(0.75 · 1) = 1 is past the only step 0.
        assert_eq!(job.swa_start(1), 0);
        assert_eq!(job.swa_start(0), 0);
    }

    #[test]
    fn a_one_step_swa_run_still_averages_its_final_weights() {
        // 100 examples in batches of 128: one step, where round(0.75 · 1) = 1 would start SWA
        // after the end of training.
        let config = quick_train();
        let data = data(100);
        let device = Device::flex().autodiff();
        let job = job(&config, &data, &device);
        assert_eq!(job.steps_per_epoch(), 1);
        let schedule = job.schedule(Averaging::Swa);
        assert_eq!(schedule.constant_from, Some((0, config.swa_lr)));
        let bar = ProgressBar::hidden();
        let trained = train::<Mlp>(&job, None, Averaging::Swa, "swa", &bar).unwrap();
        assert!(trained.average.is_some(), "SWA averaged no weights");
    }

    #[test]
    fn an_empty_training_set_is_an_error_before_training() {
        let config = quick_train();
        let data = ExperimentData {
            train: data(1).train.head(0),
            ..data(1)
        };
        let device = Device::flex().autodiff();
        let bar = ProgressBar::hidden();
        for averaging in [Averaging::None, Averaging::Swa] {
            match train::<Mlp>(
                &job(&config, &data, &device),
                None,
                averaging,
                "empty",
                &bar,
            ) {
                Err(ExperimentError::NoTrainingData { run }) => assert_eq!(run, "empty"),
                other => panic!("expected NoTrainingData, got {other:?}"),
            }
        }
    }
}
