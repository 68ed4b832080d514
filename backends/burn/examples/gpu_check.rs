//! The burn adapter on a GPU: the whole conformance suite on the device, then a short training
//! run of an MLP timing a subspace step (line, in the graph and mixed outside) against a
//! standard burn step on the same model, data and optimizer.
//!
//! ```text
//! cargo build --release -p subspace-burn --example gpu_check --features vulkan
//! gpu_check [OUT_DIR] [--flex]
//! ```
//!
//! With the `vulkan` feature it runs on `Device::vulkan(DeviceKind::DiscreteGpu(0))`; without
//! it, or with `--flex`, on burn's flex CPU backend. It prints a Markdown report and writes it
//! to `OUT_DIR/gpu-burn.md` (`OUT_DIR` defaults to `$OUT`, else the current directory). It
//! exits non-zero if a conformance check fails.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig};
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::relu;
use subspace_burn::{Burn, Subspace, SubspaceConfig};
use subspace_conformance::{SuiteConfig, render_table, run_suite};
use subspace_core::{Backend, Shape};

const INPUT: usize = 784;
const HIDDEN: usize = 1024;
const CLASSES: usize = 10;
const BATCH: usize = 256;
const WARMUP: usize = 5;
const STEPS: usize = 50;
const LR: f64 = 0.05;

#[derive(Module, Debug)]
struct Mlp {
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
}

impl Mlp {
    fn new(device: &Device) -> Self {
        Self {
            fc1: LinearConfig::new(INPUT, HIDDEN).init(device),
            fc2: LinearConfig::new(HIDDEN, HIDDEN).init(device),
            fc3: LinearConfig::new(HIDDEN, CLASSES).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = relu(self.fc1.forward(x));
        let h = relu(self.fc2.forward(h));
        self.fc3.forward(h)
    }
}

/// The first discrete GPU through Vulkan (with the `vulkan` feature and without `--flex`), else
/// burn's flex CPU device.
fn device(force_flex: bool) -> Result<Device, String> {
    #[cfg(feature = "vulkan")]
    if !force_flex {
        return Device::wgpu_options()
            .device_kind(burn::tensor::DeviceKind::DiscreteGpu(0))
            .graphics_api(burn::tensor::wgpu::WgpuBackend::Vulkan)
            .init()
            .map_err(|e| format!("Vulkan device DiscreteGpu(0) could not be initialised: {e:?}"));
    }
    let _ = force_flex;
    Ok(Device::flex())
}

/// The Markdown report, rewritten to `path` after every section so that a crash keeps what
/// was measured before it.
struct Report {
    path: PathBuf,
    text: String,
}

impl Report {
    fn push(&mut self, section: &str) {
        print!("{section}");
        self.text += section;
        let written = self
            .path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&self.path, &self.text));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", self.path.display());
        }
    }
}

/// Runs `f`, turning a panic into an error that carries its message.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into());
        Err(format!("{what} panicked: {message}"))
    })
}

fn optimizer() -> ModuleOptimizer {
    SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
        .init()
}

/// A fixed set of batches: random inputs, labels from a fixed random linear teacher.
fn data(device: &Device) -> Vec<(Tensor<2>, Tensor<1, Int>)> {
    let teacher = Tensor::<2>::random([INPUT, CLASSES], Distribution::Normal(0.0, 1.0), device);
    (0..8)
        .map(|_| {
            let x = Tensor::<2>::random([BATCH, INPUT], Distribution::Normal(0.0, 1.0), device);
            let y = x
                .clone()
                .matmul(teacher.clone())
                .argmax(1)
                .squeeze_dim::<1>(1);
            (x, y)
        })
        .collect()
}

/// One timed run: `step(i)` does training step `i` and returns the loss; the device is
/// synchronised before the clock starts and stops.
struct Timing {
    ms_per_step: f64,
    first_loss: f32,
    last_loss: f32,
}

fn time(device: &Device, mut step: impl FnMut(usize) -> Tensor<1>) -> Result<Timing, String> {
    let read = |loss: Tensor<1>| -> Result<f32, String> {
        loss.try_into_data()
            .map_err(|e| format!("{e}"))?
            .try_into_vec::<f32>()
            .map_err(|e| format!("{e}"))
            .map(|v| v[0])
    };
    let first_loss = read(step(0))?;
    for i in 1..WARMUP {
        step(i);
    }
    device.sync().map_err(|e| format!("{e}"))?;
    let start = Instant::now();
    let mut last = None;
    for i in WARMUP..WARMUP + STEPS {
        last = Some(step(i));
    }
    let last_loss = read(last.ok_or("no steps")?)?;
    device.sync().map_err(|e| format!("{e}"))?;
    let ms_per_step = start.elapsed().as_secs_f64() * 1e3 / STEPS as f64;
    Ok(Timing {
        ms_per_step,
        first_loss,
        last_loss,
    })
}

fn training(device: &Device) -> Result<Vec<(&'static str, Timing)>, String> {
    let train = device.clone().autodiff();
    let batches = data(&train);
    let loss_fn = CrossEntropyLossConfig::new().init(&train);
    let batch = |i: usize| batches[i % batches.len()].clone();
    let mut out = Vec::new();

    let mut model = Some(Mlp::new(&train));
    let mut optim = optimizer();
    let standard = time(device, |i| {
        let (x, y) = batch(i);
        let m = model
            .take()
            .unwrap_or_else(|| unreachable!("put back every step"));
        let loss = loss_fn.forward(m.forward(x), y);
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        model = Some(optim.step(LR, m, grads));
        loss
    })?;
    out.push(("standard burn step", standard));

    let config = SubspaceConfig::new(Shape::Line, 0);
    for (name, in_graph) in [
        ("line, in the graph (at + gradients)", true),
        ("line, mix outside (mixed + scatter)", false),
    ] {
        let mut line = Some(Subspace::new(config, || Mlp::new(&train)).map_err(|e| e.to_string())?);
        let mut optim = optimizer();
        let mut error = None;
        let timing = time(device, |i| {
            let (x, y) = batch(i);
            let sub = line
                .take()
                .unwrap_or_else(|| unreachable!("put back every step"));
            let step = i as u64;
            let points = sub.points(step);
            let result = if in_graph {
                sub.at(&points).and_then(|m| {
                    let loss = loss_fn.forward(m.forward(x), y);
                    Ok((sub.gradients(loss.backward(), step)?, loss))
                })
            } else {
                sub.mixed(&points).and_then(|m| {
                    let loss = loss_fn.forward(m.forward(x), y);
                    Ok((sub.scatter(loss.backward(), &m, &points, step)?, loss))
                })
            };
            match result {
                Ok((grads, loss)) => {
                    line = Some(optim.step(LR, sub, grads.params));
                    loss
                }
                Err(e) => {
                    error.get_or_insert(e.to_string());
                    line = Some(sub);
                    Tensor::zeros([1], &train)
                }
            }
        })?;
        if let Some(e) = error {
            return Err(format!("{name}: {e}"));
        }
        out.push((name, timing));
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let force_flex = args.iter().any(|a| a == "--flex");
    let out_dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("OUT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut report = Report {
        path: out_dir.join("gpu-burn.md"),
        text: String::new(),
    };
    report.push(&format!(
        "# subspace-burn GPU check\n\nCommand: `gpu_check {}`\n\n",
        args.join(" ")
    ));
    let device = match guarded("device initialisation", || device(force_flex)) {
        Ok(device) => device,
        Err(e) => {
            report.push(&format!(
                "**The device could not be initialised:**\n\n```text\n{e}\n```\n"
            ));
            return ExitCode::FAILURE;
        }
    };
    report.push(&format!(
        "Backend `{}`, device `{device:?}`.\n\n",
        Burn::name(&device)
    ));

    let config = SuiteConfig::from_env();
    let start = Instant::now();
    let failed = match guarded("the conformance suite", || {
        Ok(run_suite::<Burn>(&device, &config))
    }) {
        Ok(rows) => {
            let failed = rows.iter().filter(|r| !r.passed()).count();
            report.push(&format!(
                "## Conformance suite ({} cases per property, seed {}, {:.1} s)\n\n```text\n{}```\n\n{} checks, {failed} failed\n\n",
                config.cases,
                config.seed,
                start.elapsed().as_secs_f64(),
                render_table(&rows),
                rows.len()
            ));
            failed
        }
        Err(e) => {
            report.push(&format!(
                "## Conformance suite\n\n**Failed:**\n\n```text\n{e}\n```\n\n"
            ));
            1
        }
    };

    report.push(&format!(
        "## Training step time\n\nMLP {INPUT}-{HIDDEN}-{HIDDEN}-{CLASSES}, batch {BATCH}, SGD \
         momentum 0.9, lr {LR}; {STEPS} timed steps after {WARMUP} warm-up steps, device \
         synchronised around the timed loop. The line's loss is at the point sampled at that \
         step.\n\n"
    ));
    let trained = guarded("the training run", || training(&device));
    match &trained {
        Ok(runs) => {
            let base = runs[0].1.ms_per_step;
            let mut table = String::from(
                "| step | ms/step | × standard | loss first → last |\n|---|---|---|---|\n",
            );
            for (what, t) in runs {
                table += &format!(
                    "| {what} | {:.2} | {:.2} | {:.3} → {:.3} |\n",
                    t.ms_per_step,
                    t.ms_per_step / base,
                    t.first_loss,
                    t.last_loss
                );
            }
            report.push(&table);
        }
        Err(e) => report.push(&format!("**Training failed:**\n\n```text\n{e}\n```\n")),
    }

    if failed == 0 && trained.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
