//! The plugin's cost per training step: subspace training (a line, a 3-vertex simplex, each
//! with the cos² regularizer) against standard training of the same burn model, with the same
//! optimizer and batch, interleaved in one process.
//!
//! ```text
//! standard:  logits = model.forward(x); grads = loss.backward(); model = sgd.step(lr, model, grads)
//! subspace:  model = subspace.at(&subspace.points(t)); grads = loss.backward();
//!            g = subspace.gradients(grads, t); subspace = sgd.step(lr, subspace, g.params)
//! ```
//!
//! Both are exactly what a user writes (the subspace one is the experiments' loop); SGD has
//! momentum 0.9 and weight decay 1e-4 (on every copy). Each timed step ends with
//! `Device::sync`. Every round runs each variant once, starting with a different one each
//! round, so slow drifts of the machine hit all of them alike; the ratio of a round is a
//! variant's time over the standard step's time of the same round.

use std::time::{Duration, Instant};

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use subspace_burn::{Burn, Subspace, SubspaceConfig, SubspaceSgd};
use subspace_core::{Momentum, Shape};
use subspace_examples::models::{IMAGE_SIDE, Init, ResNet20, SmallCnn};

use crate::backends::{BenchBackend, Placement};
use crate::error::Result;
use crate::mlp::Mlp512;
use crate::timing::Stats;

/// The learning rate of every step.
const LR: f64 = 0.05;
/// Seed of the models' initialisation, the batch and the points.
const SEED: u64 = 2021;

/// A network timed per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum StepModel {
    /// [`Mlp512`]: `784 → 512 → 512 → 10`.
    Mlp,
    /// The experiments' [`SmallCnn`] (two conv layers with BatchNorm).
    SmallCnn,
    /// The experiments' [`ResNet20`].
    #[value(name = "resnet20")]
    ResNet20,
}

impl StepModel {
    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mlp => "mlp-784-512-512-10",
            Self::SmallCnn => "small-cnn",
            Self::ResNet20 => "resnet20",
        }
    }

    /// The target for `subspace / standard` step time: 1.25 (MLP) and 1.05 (small CNN) on a
    /// CPU, 1.15 (ResNet-20) on a GPU; `None` where the issue sets none.
    pub fn target(self, on_accelerator: bool) -> Option<f64> {
        match (self, on_accelerator) {
            (Self::Mlp, false) => Some(1.25),
            (Self::SmallCnn, false) => Some(1.05),
            (Self::ResNet20, true) => Some(1.15),
            _ => None,
        }
    }
}

/// How a step trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The plain model with burn's SGD.
    Standard,
    /// A line (2 copies) through the plugin, cos² regularizer on.
    Line,
    /// A 3-vertex simplex through the plugin, cos² regularizer on.
    Simplex3,
    /// A line through the plugin's other form: core's mix outside the autodiff graph
    /// (`subspace.mixed`), then core's scatter of the gradient (`subspace.scatter`).
    LineOutside,
    /// Standard training as a one-copy region stepped by [`SubspaceSgd`]: the baseline of the
    /// fused variants (burn's SGD arithmetic in one pass per parameter).
    StandardFused,
    /// A line, mix outside, every copy stepped by [`SubspaceSgd`].
    LineFused,
    /// A 3-vertex simplex, mix outside, every copy stepped by [`SubspaceSgd`].
    Simplex3Fused,
}

impl Variant {
    /// Every variant; standard first.
    pub const ALL: [Self; 7] = [
        Self::Standard,
        Self::Line,
        Self::Simplex3,
        Self::LineOutside,
        Self::StandardFused,
        Self::LineFused,
        Self::Simplex3Fused,
    ];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Line => "line",
            Self::Simplex3 => "simplex-3",
            Self::LineOutside => "line, mix outside",
            Self::StandardFused => "standard, fused SGD",
            Self::LineFused => "line, fused SGD",
            Self::Simplex3Fused => "simplex-3, fused SGD",
        }
    }

    /// The variant this one's ratio is taken against: standard training with the same
    /// optimizer (burn's SGD for the burn-optimizer variants and for the fused standard step
    /// itself, the fused standard step for the fused subspace variants).
    pub fn baseline(self) -> Self {
        match self {
            Self::LineFused | Self::Simplex3Fused => Self::StandardFused,
            _ => Self::Standard,
        }
    }

    /// Whether the step-time target applies: to the plugin's in-graph form with a burn
    /// optimizer (what the experiments run) and to the fused form, each against standard
    /// training with the same optimizer; not to the mix-outside form with burn's optimizer or
    /// to the fused standard step, shown for comparison.
    pub fn has_target(self) -> bool {
        matches!(
            self,
            Self::Line | Self::Simplex3 | Self::LineFused | Self::Simplex3Fused
        )
    }
}

/// The parts of a training step, timed one after the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The model at `w(p)`: `subspace.at(points)` (inside the autodiff graph) or
    /// `subspace.mixed(points)` (core's mix, outside it); nothing for standard training.
    Mix,
    /// The forward pass and the loss.
    Forward,
    /// `loss.backward()`.
    Backward,
    /// The gradients handed to the optimizer: `GradientsParams::from_grads` for standard
    /// training, `subspace.gradients` or `subspace.scatter` (with the cos² regularizer) for
    /// the plugin.
    Gradients,
    /// `sgd.step`: momentum, weight decay and the update of every copy.
    Optimizer,
}

impl Phase {
    /// Every phase, in step order.
    pub const ALL: [Self; 5] = [
        Self::Mix,
        Self::Forward,
        Self::Backward,
        Self::Gradients,
        Self::Optimizer,
    ];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mix => "mix",
            Self::Forward => "forward",
            Self::Backward => "backward",
            Self::Gradients => "gradients",
            Self::Optimizer => "optimizer",
        }
    }
}

/// Seconds spent in each [`Phase`] of one step, in [`Phase::ALL`] order.
pub type Laps = [f64; 5];

/// Times the phases of one step as laps. On a CPU each lap ends with a device sync (free for an
/// eager backend); on an accelerator only the step's end syncs, so the queue is not drained
/// between phases and only the step's total is a device time.
struct LapTimer<'a> {
    device: &'a Device,
    sync_each: bool,
    last: Instant,
    laps: Laps,
}

impl<'a> LapTimer<'a> {
    fn start(device: &'a Device) -> Self {
        Self {
            device,
            sync_each: Burn::placement(device) != Placement::Accelerator,
            last: Instant::now(),
            laps: [0.0; 5],
        }
    }

    fn lap(&mut self, phase: Phase) -> Result<()> {
        if self.sync_each || phase == Phase::Optimizer {
            Burn::synchronize(self.device)?;
        }
        let now = Instant::now();
        self.laps[phase as usize] += (now - self.last).as_secs_f64();
        self.last = now;
        Ok(())
    }
}

/// How long to interleave the variants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rounds {
    /// Untimed rounds first.
    pub warm_up: usize,
    /// Timed rounds: at least this many ...
    pub min: usize,
    /// ... and at most this many ...
    pub max: usize,
    /// ... stopping once this much time was spent in timed rounds.
    pub time: Duration,
}

impl Rounds {
    /// The report's rounds: 3 warm-up, then 15 to 200 timed rounds within 20 s.
    pub const REPORT: Self = Self {
        warm_up: 3,
        min: 15,
        max: 200,
        time: Duration::from_secs(20),
    };

    /// One warm-up round and one timed round: a smoke test.
    pub const SMOKE: Self = Self {
        warm_up: 1,
        min: 1,
        max: 1,
        time: Duration::ZERO,
    };
}

/// The step times of one model on one device, and the ratios to standard training.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOverhead {
    /// The model.
    pub model: StepModel,
    /// The backend name of the device.
    pub device: String,
    /// Whether the device is an accelerator.
    pub on_accelerator: bool,
    /// Examples per batch.
    pub batch: usize,
    /// Seconds per step, per variant, in [`Variant::ALL`] order.
    pub seconds: Vec<(Variant, Stats)>,
    /// Per-round `time / standard time`, for the variants other than standard.
    pub ratios: Vec<(Variant, Stats)>,
    /// Median seconds per [`Phase`] (in [`Phase::ALL`] order), per variant; on an accelerator
    /// only their sum is a device time (see [`Phase`]).
    pub phases: Vec<(Variant, Laps)>,
}

/// One training step of one variant; the argument is the step index.
type Step = Box<dyn FnMut(u64) -> Result<Laps>>;

/// Standard training and every subspace variant of one model, each with its own copies and
/// optimizer state, on one batch of random images.
pub struct Trainers {
    model: StepModel,
    device: Device,
    batch: usize,
    steps: Vec<(Variant, Step)>,
}

impl Trainers {
    /// Initialises every [`Variant`] of `model` on `device` (made an autodiff device) from
    /// a fixed seed, with a batch of `batch` images drawn from `N(0, 1)` and labels `i mod 10`.
    pub fn new(model: StepModel, device: &Device, batch: usize) -> Result<Self> {
        let device = device.clone().autodiff();
        device.seed(SEED);
        let inputs = Batch::new(&device, batch);
        let steps = match model {
            StepModel::Mlp => variants::<Mlp512>(&device, &inputs)?,
            StepModel::SmallCnn => variants::<SmallCnn>(&device, &inputs)?,
            StepModel::ResNet20 => variants::<ResNet20>(&device, &inputs)?,
        };
        Ok(Self {
            model,
            device,
            batch,
            steps,
        })
    }

    /// One step of `variant` (step index `t`), until the device is done; the seconds spent in
    /// each [`Phase`].
    pub fn step(&mut self, variant: Variant, t: u64) -> Result<Laps> {
        let k = Variant::ALL
            .iter()
            .position(|v| *v == variant)
            .unwrap_or_else(|| unreachable!("ALL holds every variant"));
        (self.steps[k].1)(t)
    }

    /// Interleaves the variants for `rounds` and returns their times and ratios.
    pub fn interleave(&mut self, rounds: &Rounds) -> Result<StepOverhead> {
        let n = self.steps.len();
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); n];
        let mut laps: Vec<Vec<Laps>> = vec![Vec::new(); n];
        let mut timed = Duration::ZERO;
        let mut round = 0;
        while round < rounds.warm_up + rounds.min
            || (round < rounds.warm_up + rounds.max && timed < rounds.time)
        {
            let start = Instant::now();
            for k in 0..n {
                let v = (k + round) % n;
                let t0 = Instant::now();
                let step_laps = (self.steps[v].1)(round as u64)?;
                if round >= rounds.warm_up {
                    times[v].push(t0.elapsed().as_secs_f64());
                    laps[v].push(step_laps);
                }
            }
            if round >= rounds.warm_up {
                timed += start.elapsed();
            }
            round += 1;
        }
        let stats = |values: Vec<f64>| {
            Stats::of(values).unwrap_or_else(|| unreachable!("at least one finite timed round"))
        };
        let position = |v: Variant| {
            Variant::ALL
                .iter()
                .position(|x| *x == v)
                .unwrap_or_else(|| unreachable!("ALL holds every variant"))
        };
        let ratios = Variant::ALL[1..]
            .iter()
            .zip(&times[1..])
            .map(|(v, t)| {
                let base = &times[position(v.baseline())];
                (*v, stats(t.iter().zip(base).map(|(a, s)| a / s).collect()))
            })
            .collect();
        let seconds = Variant::ALL
            .into_iter()
            .zip(times.into_iter().map(stats))
            .collect();
        let phases = Variant::ALL
            .into_iter()
            .zip(laps)
            .map(|(v, l)| {
                (
                    v,
                    Phase::ALL.map(|p| stats(l.iter().map(|x| x[p as usize]).collect()).median),
                )
            })
            .collect();
        Ok(StepOverhead {
            model: self.model,
            device: <Burn as subspace_core::Backend>::name(&self.device),
            on_accelerator: Burn::placement(&self.device) == Placement::Accelerator,
            batch: self.batch,
            seconds,
            ratios,
            phases,
        })
    }
}

/// Interleaves every [`Variant`] of `model` on `device` with batches of `batch` images.
pub fn step_overhead(
    model: StepModel,
    device: &Device,
    batch: usize,
    rounds: &Rounds,
) -> Result<StepOverhead> {
    Trainers::new(model, device, batch)?.interleave(rounds)
}

/// The inputs every variant trains on.
#[derive(Clone)]
struct Batch {
    images: Tensor<4>,
    labels: Tensor<1, Int>,
    loss: CrossEntropyLoss,
}

impl Batch {
    fn new(device: &Device, batch: usize) -> Self {
        let images = Tensor::random(
            [batch, 1, IMAGE_SIDE, IMAGE_SIDE],
            Distribution::Normal(0.0, 1.0),
            device,
        );
        let labels: Vec<i64> = (0..batch as i64).map(|i| i % 10).collect();
        Self {
            images,
            labels: Tensor::from_data(TensorData::new(labels, [batch]), device),
            loss: CrossEntropyLossConfig::new().init(device),
        }
    }

    fn loss(&self, logits: Tensor<2>) -> Tensor<1> {
        self.loss.forward(logits, self.labels.clone())
    }
}

/// The experiments' momentum and weight decay.
const MOMENTUM: f64 = 0.9;
const WEIGHT_DECAY: f64 = 1e-4;

/// burn's SGD with momentum 0.9 and weight decay 1e-4, as in the experiments.
fn sgd() -> SgdConfig {
    SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(MOMENTUM)
                .with_dampening(0.0),
        ))
        .with_weight_decay(Some(WeightDecayConfig::new(WEIGHT_DECAY as f32)))
}

/// The steps of [`Variant::ALL`], in order.
fn variants<M: Init + 'static>(device: &Device, batch: &Batch) -> Result<Vec<(Variant, Step)>> {
    Ok(vec![
        (Variant::Standard, standard::<M>(device, batch)),
        (
            Variant::Line,
            subspace::<M>(device, batch, Shape::Line, Form::InGraph)?,
        ),
        (
            Variant::Simplex3,
            subspace::<M>(device, batch, Shape::simplex(3)?, Form::InGraph)?,
        ),
        (
            Variant::LineOutside,
            subspace::<M>(device, batch, Shape::Line, Form::MixOutside)?,
        ),
        (
            Variant::StandardFused,
            fused::<M>(device, batch, Shape::Point)?,
        ),
        (Variant::LineFused, fused::<M>(device, batch, Shape::Line)?),
        (
            Variant::Simplex3Fused,
            fused::<M>(device, batch, Shape::simplex(3)?)?,
        ),
    ])
}

/// Why a step always finds its state: the previous step put the optimizer's result back.
const RESTORED: &str = "the optimizer's result is put back every step";

fn standard<M: Init + 'static>(device: &Device, batch: &Batch) -> Step {
    let (device, batch) = (device.clone(), batch.clone());
    let mut model = Some(M::init(&device));
    let mut optim = sgd().init();
    Box::new(move |_t| {
        let mut timer = LapTimer::start(&device);
        let current = model.as_ref().unwrap_or_else(|| unreachable!("{RESTORED}"));
        timer.lap(Phase::Mix)?;
        let loss = batch.loss(current.forward(batch.images.clone()));
        timer.lap(Phase::Forward)?;
        let grads = loss.backward();
        timer.lap(Phase::Backward)?;
        let grads = GradientsParams::from_grads(grads, current);
        timer.lap(Phase::Gradients)?;
        let current = model.take().unwrap_or_else(|| unreachable!("{RESTORED}"));
        model = Some(optim.step(LR, current, grads));
        timer.lap(Phase::Optimizer)?;
        Ok(timer.laps)
    })
}

/// The plugin's two forms of a training step (DESIGN.md, "The plugin contract").
#[derive(Debug, Clone, Copy)]
enum Form {
    /// `subspace.at` (the mix inside the autodiff graph), then `subspace.gradients`.
    InGraph,
    /// `subspace.mixed` (core's mix outside the graph), then `subspace.scatter`.
    MixOutside,
}

fn subspace<M: Init + 'static>(
    device: &Device,
    batch: &Batch,
    shape: Shape,
    form: Form,
) -> Result<Step> {
    let (device, batch) = (device.clone(), batch.clone());
    let mut region = Some(Subspace::new(SubspaceConfig::new(shape, SEED), || {
        M::init(&device)
    })?);
    let mut optim = sgd().init();
    Ok(Box::new(move |t| {
        let mut timer = LapTimer::start(&device);
        let current = region
            .as_ref()
            .unwrap_or_else(|| unreachable!("{RESTORED}"));
        let points = current.points(t);
        let model = match form {
            Form::InGraph => current.at(&points)?,
            Form::MixOutside => current.mixed(&points)?,
        };
        timer.lap(Phase::Mix)?;
        let loss = batch.loss(model.forward(batch.images.clone()));
        timer.lap(Phase::Forward)?;
        let grads = loss.backward();
        timer.lap(Phase::Backward)?;
        let g = match form {
            Form::InGraph => current.gradients(grads, t)?,
            Form::MixOutside => current.scatter(grads, &model, &points, t)?,
        };
        timer.lap(Phase::Gradients)?;
        let current = region.take().unwrap_or_else(|| unreachable!("{RESTORED}"));
        region = Some(optim.step(LR, current, g.params));
        timer.lap(Phase::Optimizer)?;
        Ok(timer.laps)
    }))
}

/// A region of `shape` through the mix-outside form, every copy stepped by [`SubspaceSgd`]
/// with the settings of [`sgd`].
fn fused<M: Init + 'static>(device: &Device, batch: &Batch, shape: Shape) -> Result<Step> {
    let (device, batch) = (device.clone(), batch.clone());
    let mut region = Subspace::new(SubspaceConfig::new(shape, SEED), || M::init(&device))?;
    let mut optim = SubspaceSgd::new(
        subspace_core::SgdConfig::new()
            .with_momentum(Momentum::new(MOMENTUM))
            .with_weight_decay(WEIGHT_DECAY),
    )?;
    Ok(Box::new(move |t| {
        let mut timer = LapTimer::start(&device);
        let mixed = region.mixed_step(t)?;
        timer.lap(Phase::Mix)?;
        let loss = batch.loss(mixed.model.forward(batch.images.clone()));
        timer.lap(Phase::Forward)?;
        let grads = loss.backward();
        timer.lap(Phase::Backward)?;
        timer.lap(Phase::Gradients)?;
        optim.step(LR, &mut region, grads, mixed)?;
        timer.lap(Phase::Optimizer)?;
        Ok(timer.laps)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_steps_and_ratios_are_positive() {
        let o = step_overhead(StepModel::Mlp, &Device::flex(), 4, &Rounds::SMOKE).unwrap();
        assert_eq!(o.device, "burn-flex");
        assert!(!o.on_accelerator);
        let variants: Vec<Variant> = o.seconds.iter().map(|(v, _)| *v).collect();
        assert_eq!(variants, Variant::ALL);
        assert_eq!(o.ratios.len(), Variant::ALL.len() - 1);
        assert!(
            o.ratios
                .iter()
                .all(|(_, r)| r.median > 0.0 && r.samples == 1)
        );
    }
}
