//! The whole protocol: every condition (budget × label noise), seed and method, trained and
//! evaluated in turn.

use burn::tensor::Device;
use subspace_core::Point;

use super::data::ExperimentData;
use super::device::compute_device;
use super::error::ExperimentError;
use super::evaluate::{Evaluator, Measured};
use super::method::{Method, Run, runs_for};
use super::outputs::Outputs;
use super::progress::Progress;
use super::score::Scored;
use super::train::{Averaging, TrainJob, Trained, train};
use crate::config::ExperimentConfig;
use crate::models::{Init, Mlp, ModelKind, ResNet20, SmallCnn};
use crate::report::{
    Condition, DataInfo, Record, Report, ReportError, conditions, draw_figures, judge_claims,
    summarise_all,
};

/// Offset between a seed and the seed of the second independent standard model.
pub const SECOND_MODEL_SEED_OFFSET: u64 = 1_000_000;

/// Jobs (training runs and evaluations) per condition and seed, for the progress display.
///
/// Every training run is followed by its evaluation, and the two standard models by one more
/// (the ensemble and the straight line between them).
pub fn jobs_per_seed(config: &ExperimentConfig) -> u64 {
    let runs = runs_for(&config.methods);
    2 * runs.len() as u64 + u64::from(runs.contains(&Run::StandardB))
}

/// Total jobs of the experiment.
pub fn total_jobs(config: &ExperimentConfig) -> u64 {
    jobs_per_seed(config) * config.train.seeds.len() as u64 * conditions(config).len() as u64
}

struct Context<'a> {
    config: &'a ExperimentConfig,
    data: &'a ExperimentData,
    progress: &'a Progress,
    device: &'a Device,
    train_device: Device,
    augment: bool,
    outputs: &'a Outputs,
}

impl Context<'_> {
    fn job(&self, condition: Condition, seed: u64) -> TrainJob<'_> {
        TrainJob {
            train: &self.config.train,
            data: self.data,
            label_noise: condition.label_noise,
            epochs: condition.epochs,
            seed,
            augment: self.augment,
            device: &self.train_device,
        }
    }

    fn train<M: Init>(
        &self,
        condition: Condition,
        seed: u64,
        run: Run,
        averaging: Averaging,
    ) -> Result<Trained<M>, ExperimentError> {
        let (region, seed) = match run {
            Run::Region(m) => (m.region(), seed),
            Run::StandardB => (None, seed + SECOND_MODEL_SEED_OFFSET),
            Run::StandardA | Run::Swa => (None, seed),
        };
        let label = format!("train {run:?} seed {seed}, {condition}");
        let bar = self.progress.job(label.clone(), 0);
        let trained = train::<M>(&self.job(condition, seed), region, averaging, &label, &bar)?;
        self.progress.finish(bar);
        Ok(trained)
    }

    fn evaluator(&self, condition: Condition, label: String, len: u64) -> Evaluator<'_> {
        let train = self.data.train_at(condition.label_noise);
        let n = self
            .config
            .eval
            .recalibration_examples
            .unwrap_or(train.len());
        Evaluator {
            data: self.data,
            recalibration: train.head(n),
            eval: &self.config.eval,
            train_batch: self.config.train.batch_size,
            device: self.device.clone(),
            train_device: self.train_device.clone(),
            bar: self.progress.job(label, len),
        }
    }
}

/// Trains and evaluates every method of `config` with model `M` and returns one record per
/// method, seed and condition.
///
/// Each condition and seed is a unit: one that `outputs` holds from an earlier run is reused,
/// and every other is kept there as soon as it is done (with its trained regions, when
/// `outputs` saves them). A reused unit is not trained again, so when `outputs` saves regions
/// that the earlier run did not, a warning names the region files that stay missing.
pub fn run_protocol<M: Init>(
    config: &ExperimentConfig,
    data: &ExperimentData,
    device: &Device,
    augment: bool,
    progress: &Progress,
    outputs: &Outputs,
) -> Result<Vec<Record>, ExperimentError> {
    let cx = Context {
        config,
        data,
        progress,
        device,
        train_device: device.clone().autodiff(),
        augment,
        outputs,
    };
    let mut records = Vec::new();
    for condition in conditions(config) {
        for &seed in &config.train.seeds {
            let unit = match outputs.load_unit(condition, seed)? {
                Some(unit) => {
                    progress.reuse(&format!("{condition}, seed {seed}"), jobs_per_seed(config));
                    let missing = outputs.missing_regions(&config.methods, condition, seed);
                    if !missing.is_empty() {
                        let names: Vec<String> =
                            missing.iter().map(|p| p.display().to_string()).collect();
                        progress.warn(&format!(
                            "--save-regions: {condition}, seed {seed} was finished by an earlier \
                             run and is not trained again, so these regions are not saved: {}",
                            names.join(", ")
                        ));
                    }
                    unit
                }
                None => {
                    let unit = run_seed::<M>(&cx, condition, seed)?;
                    outputs.save_unit(condition, seed, &unit)?;
                    unit
                }
            };
            records.extend(unit);
        }
    }
    progress.done();
    Ok(records)
}

fn has(config: &ExperimentConfig, m: Method) -> bool {
    config.methods.contains(&m)
}

fn run_seed<M: Init>(
    cx: &Context<'_>,
    condition: Condition,
    seed: u64,
) -> Result<Vec<Record>, ExperimentError> {
    let config = cx.config;
    let mut out: Vec<(Method, Measured, f64)> = Vec::new();
    let mut standard: Vec<(M, Scored, f64)> = Vec::new();
    for run in runs_for(&config.methods) {
        match run {
            Run::StandardA | Run::StandardB => {
                let with_ema = run == Run::StandardA && has(config, Method::Ema);
                let averaging = if with_ema {
                    Averaging::Ema
                } else {
                    Averaging::None
                };
                let trained = cx.train::<M>(condition, seed, run, averaging)?;
                let ev = cx.evaluator(condition, format!("evaluate {run:?} seed {seed}"), 2);
                let scored = ev.score(trained.subspace.export(&Point::Origin)?, true)?;
                if run == Run::StandardA && has(config, Method::Standard) {
                    out.push((Method::Standard, ev.single(&scored), trained.seconds));
                }
                if let Some(ema) = trained.average {
                    out.push((
                        Method::Ema,
                        ev.single(&ev.score(ema, true)?),
                        trained.seconds,
                    ));
                }
                cx.progress.finish(ev.bar);
                let model = trained
                    .subspace
                    .into_copies()
                    .pop()
                    .unwrap_or_else(|| unreachable!("a one-point region has one copy"));
                standard.push((model, scored, trained.seconds));
            }
            Run::Swa => {
                let trained = cx.train::<M>(condition, seed, run, Averaging::Swa)?;
                let ev = cx.evaluator(condition, format!("evaluate swa seed {seed}"), 1);
                let average = trained
                    .average
                    .unwrap_or_else(|| unreachable!("an SWA run keeps its average"));
                out.push((
                    Method::Swa,
                    ev.single(&ev.score(average, true)?),
                    trained.seconds,
                ));
                cx.progress.finish(ev.bar);
            }
            Run::Region(method) => {
                let trained = cx.train::<M>(condition, seed, run, Averaging::None)?;
                let with_grid = method == Method::Line;
                let ev = cx.evaluator(condition, format!("evaluate {method} seed {seed}"), 0);
                ev.bar
                    .set_length(ev.region_evaluations(trained.subspace.shape(), with_grid));
                let measured = ev.region(&trained.subspace, seed, with_grid)?;
                cx.outputs
                    .save_region(method, condition, seed, &trained.subspace)?;
                out.push((method, measured, trained.seconds));
                cx.progress.finish(ev.bar);
            }
        }
    }
    if let [(a, sa, ta), (b, sb, tb)] = &standard[..] {
        let with_line = has(config, Method::IndependentLine);
        let grid = if with_line {
            config.eval.grid_points as u64 - 2
        } else {
            0
        };
        let ev = cx.evaluator(condition, format!("evaluate independent seed {seed}"), grid);
        let (ensemble, line) = ev.independent((a.clone(), sa), (b.clone(), sb), with_line)?;
        let seconds = *ta + *tb;
        if has(config, Method::Ensemble) {
            out.push((Method::Ensemble, ensemble, seconds));
        }
        if let Some(line) = line {
            out.push((Method::IndependentLine, line, seconds));
        }
        cx.progress.finish(ev.bar);
    }
    Ok(out
        .into_iter()
        .map(|(method, m, train_seconds)| Record {
            method,
            seed,
            condition,
            metrics: m.metrics,
            along: m.along,
            pairs: m.pairs,
            reliability: m.reliability,
            ensemble_reliability: m.ensemble_reliability,
            train_seconds,
        })
        .collect())
}

/// Runs the whole experiment: loads the data, trains and evaluates every method, judges the
/// claims, draws the figures and writes `report.json` and `report.md` into `out`.
///
/// Every finished condition and seed is kept in `out/units/` as soon as it is done; run again
/// with the same `out` and settings, the experiment reuses those and trains only the rest.
/// With `save_regions`, the trained copies of every region method go to `out/regions/`
/// ([`Outputs`]); those of reused units only if the earlier run saved them (a warning names the
/// missing ones).
pub fn run_experiment(
    config: ExperimentConfig,
    command: String,
    out: &std::path::Path,
    show_progress: bool,
    save_regions: bool,
) -> Result<Report, ExperimentError> {
    let start = std::time::Instant::now();
    let data = ExperimentData::load(&config.data)?;
    let outputs = Outputs::new(out, &config, save_regions)?;
    let device = compute_device();
    let progress = Progress::new(total_jobs(&config), show_progress);
    let model = config.train.model;
    let augment = model.augments();
    let records = match model {
        ModelKind::Resnet20 => {
            run_protocol::<ResNet20>(&config, &data, &device, augment, &progress, &outputs)?
        }
        ModelKind::SmallCnn => {
            run_protocol::<SmallCnn>(&config, &data, &device, augment, &progress, &outputs)?
        }
        ModelKind::Mlp => {
            run_protocol::<Mlp>(&config, &data, &device, augment, &progress, &outputs)?
        }
    };
    let summaries = summarise_all(&config, &records);
    let claims = judge_claims(&config, &records);
    let figures = draw_figures(out, &conditions(&config), &summaries).map_err(ReportError::from)?;
    let report = Report {
        data: DataInfo {
            source: data.source.clone(),
            train_examples: data.train.len(),
            test_examples: data.test.len(),
            labels_changed: data.labels_changed(),
        },
        config,
        command,
        device: format!("{device:?}"),
        wall_seconds: start.elapsed().as_secs_f64(),
        records,
        summaries,
        claims,
        figures,
    };
    report.write(out)?;
    Ok(report)
}
