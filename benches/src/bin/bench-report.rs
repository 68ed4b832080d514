//! Prints the Markdown tables of `BENCHMARKS.md`: STREAM bandwidth, the subspace kernels on
//! every compiled backend with their share of the bandwidth (the triad at each kernel's size,
//! and the DRAM triad), and the plugin's cost per training step against standard training, on
//! one thread and on all.
//!
//! `cargo run --release -p subspace-benches --bin bench-report > report.md` (progress on
//! stderr); `--help` for the filters.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use burn::tensor::Device;
use clap::Parser;
use subspace_benches::backends::{Placement, gpu_device};
use subspace_benches::burn_stream::{DeviceStream, burn_stream};
use subspace_benches::machine::{Machine, load_average};
use subspace_benches::report::{
    Ceilings, device_stream_table, duration, gb_per_s, kernel_table, kernels_intro,
    machine_section, phase_table, step_table, stream_table, traffic_table,
};
use subspace_benches::step::{Rounds, StepModel, StepOverhead, step_overhead};
use subspace_benches::stream::{stream, triad_at};
use subspace_benches::sweep::{KernelTiming, Selection, footprints, time_kernels, workload_id};
use subspace_benches::threads::with_threads;
use subspace_benches::timing::Budget;
use subspace_benches::workload::SIZES;
use subspace_benches::{Error, Result};

/// Benchmark report: STREAM, kernels per backend, step overhead; Markdown on stdout.
#[derive(Debug, Parser)]
struct Args {
    /// Parameter counts of the kernels, e.g. `1e3,1e7`.
    #[arg(long, value_delimiter = ',', value_parser = parse_count, default_values_t = SIZES)]
    sizes: Vec<usize>,
    /// Time only kernel workloads whose id (`backend/kernel/m{m}/{n}`) contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// CPU thread counts; `0` means all available threads.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 0])]
    threads: Vec<usize>,
    /// MiB per STREAM array (default: four times the L3 cache, capped by free memory).
    #[arg(long)]
    stream_mib: Option<usize>,
    /// STREAM trials; the best is the bandwidth.
    #[arg(long, default_value_t = 5)]
    trials: usize,
    /// Models of the step-overhead comparison on the CPU threads (`mlp`, `small-cnn`,
    /// `resnet20`); on a GPU all three run.
    #[arg(long, value_delimiter = ',', default_values = ["mlp", "small-cnn"])]
    models: Vec<StepModel>,
    /// Examples per training step.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Skip the kernels.
    #[arg(long)]
    no_kernels: bool,
    /// Skip the step overhead.
    #[arg(long)]
    no_steps: bool,
    /// Seconds of interleaved training steps per model (at least 15 rounds are timed).
    #[arg(long, default_value_t = 20.0)]
    step_seconds: f64,
    /// Skip everything on the CPU (STREAM, CPU kernels and steps): measure only accelerators.
    #[arg(long)]
    no_cpu: bool,
    /// Run everything once with tiny arrays and batches: checks the pipeline, measures nothing.
    #[arg(long)]
    smoke: bool,
}

/// `1000`, `1e3` or `1_000` as a count.
fn parse_count(s: &str) -> Result<usize> {
    let invalid = || Error::InvalidSetting {
        setting: "--sizes",
        value: s.into(),
        expected: "positive integers such as 1000, 1_000 or 1e3",
    };
    let v: f64 = s.replace('_', "").parse().map_err(|_| invalid())?;
    if v >= 1.0 && v.fract() == 0.0 && v <= usize::MAX as f64 {
        Ok(v as usize)
    } else {
        Err(invalid())
    }
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-report: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints one kernel timing as it is taken.
fn progress(k: &KernelTiming) {
    eprintln!(
        "  {} {} {} GB/s",
        workload_id(&k.backend, &k.workload),
        duration(k.seconds.median),
        gb_per_s(k.bandwidth())
    );
}

/// Prints one step comparison as it is taken.
fn step_progress(o: &StepOverhead) {
    let ratios: Vec<String> = o
        .ratios
        .iter()
        .map(|(v, r)| format!("{} {:.3}", v.name(), r.median))
        .collect();
    eprintln!(
        "  {} on {}: {}",
        o.model.name(),
        o.device,
        ratios.join(", ")
    );
}

/// What the run measures, from the arguments.
struct Plan {
    budget: Budget,
    triad_budget: Budget,
    rounds: Rounds,
    stream_elements: usize,
    device_elements: usize,
    batch: usize,
    selection: Selection,
    threads: Vec<usize>,
}

impl Plan {
    fn new(args: &Args, machine: &Machine) -> Self {
        let mut threads: Vec<usize> = args
            .threads
            .iter()
            .map(|&t| if t == 0 { machine.threads } else { t })
            .collect();
        threads.dedup();
        let smoke = args.smoke;
        Self {
            budget: if smoke { Budget::SMOKE } else { Budget::REPORT },
            triad_budget: if smoke { Budget::SMOKE } else { Budget::TRIAD },
            rounds: if smoke {
                Rounds::SMOKE
            } else {
                Rounds {
                    time: Duration::from_secs_f64(args.step_seconds.max(0.0)),
                    ..Rounds::REPORT
                }
            },
            stream_elements: match (smoke, args.stream_mib) {
                (true, _) => 1 << 16,
                (false, Some(mib)) => (mib << 20) / size_of::<f32>(),
                (false, None) => machine.stream_elements(),
            },
            // A GPU's arrays: 1 GiB each, far above any GPU cache.
            device_elements: if smoke { 1 << 16 } else { 1 << 28 },
            batch: if smoke { 4 } else { args.batch },
            selection: Selection {
                // The smoke test checks the pipeline on the smallest size only.
                sizes: match (smoke, args.sizes.iter().min()) {
                    (true, Some(&n)) => vec![n],
                    _ => args.sizes.clone(),
                },
                filter: args.filter.clone(),
            },
            threads,
        }
    }
}

fn run(args: Args) -> Result<()> {
    let machine = Machine::detect();
    let load_before = load_average();
    let plan = Plan::new(&args, &machine);
    let mut streams = Vec::new();
    let mut device_streams: Vec<DeviceStream> = Vec::new();
    let mut kernels = String::new();
    let mut all_timings: Vec<KernelTiming> = Vec::new();
    let mut steps: Vec<(usize, StepOverhead)> = Vec::new();

    let cpu_threads: &[usize] = if args.no_cpu { &[] } else { &plan.threads };
    for &t in cpu_threads {
        eprintln!("STREAM, {t} thread(s)");
        let large = stream(plan.stream_elements, t, args.trials);
        streams.push(large);
        with_threads(t, || -> Result<()> {
            device_streams.push(DeviceStream {
                device: format!("burn-flex, {t} thread(s)"),
                ..burn_stream(&Device::flex(), plan.stream_elements, args.trials)?
            });
            if !args.no_kernels {
                eprintln!("kernels, {t} thread(s)");
                let placements: &[Placement] = if t == 1 {
                    &[Placement::CallingThread, Placement::CpuPool]
                } else {
                    &[Placement::CpuPool]
                };
                let timings =
                    time_kernels(&plan.selection, &plan.budget, placements, &mut progress)?;
                eprintln!("triad at the kernels' footprints, {t} thread(s)");
                let mut at_footprint = Vec::new();
                for bytes in footprints(&timings) {
                    let rate = triad_at(bytes, &plan.triad_budget)?.best();
                    eprintln!("  {:.3} MB: {} GB/s", bytes as f64 / 1e6, gb_per_s(rate));
                    at_footprint.push((bytes, rate));
                }
                let ceilings = Ceilings {
                    name: "triad".into(),
                    at_footprint,
                    large: Some(("DRAM triad".into(), large.triad.best())),
                };
                kernels.push_str(&format!(
                    "\n### Kernels, {t} thread(s)\n\nThe DRAM triad: {} GB/s ({t} thread(s), \
                     {} MiB arrays).\n\n{}",
                    gb_per_s(large.triad.best()),
                    (plan.stream_elements * size_of::<f32>()) >> 20,
                    kernel_table(&timings, &ceilings),
                ));
                all_timings.extend(timings);
            }
            if !args.no_steps {
                eprintln!("step overhead, {t} thread(s)");
                for &model in &args.models {
                    let o = step_overhead(model, &Device::flex(), plan.batch, &plan.rounds)?;
                    step_progress(&o);
                    steps.push((t, o));
                }
            }
            Ok(())
        })??;
    }
    accelerators(
        &args,
        &plan,
        &mut device_streams,
        &mut kernels,
        &mut all_timings,
        &mut steps,
    )?;

    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut out = String::from("## Machine\n\n");
    out.push_str(&machine_section(
        &machine,
        &command,
        load_before,
        load_average(),
    ));
    if !streams.is_empty() {
        out.push_str("\n## Memory bandwidth (STREAM)\n\n");
        out.push_str(&stream_table(&streams));
    }
    if !device_streams.is_empty() {
        out.push_str("\n### burn's own elementwise operations\n\n");
        out.push_str(&device_stream_table(&device_streams));
    }
    if !all_timings.is_empty() {
        out.push_str("\n## Kernels\n");
        out.push_str(&kernels_intro());
        out.push_str(&kernels);
        out.push_str(
            "\n### Elements moved per parameter: useful, and as each backend runs the kernel\n\n\
             Counted from the backend calls core makes, with core's default implementation of \
             every method the backend does not override (`gram` as three `dot`s, `sgd_group` \
             as one `lincomb` per operation and copy), each call one pass over its tensors; in \
             parentheses the ratio to the useful count, by which the backend's own traffic \
             exceeds the tables' GB/s. `≥`: the backend's `lincomb` and `dot` are more than one \
             pass (burn on a GPU, luminal), so it moves more.\n\n",
        );
        out.push_str(&traffic_table(&all_timings));
    }
    if !steps.is_empty() {
        out.push_str("\n## Time per training step: subspace / standard\n\n");
        out.push_str(&step_table(&steps));
        out.push_str("\n### Where the time goes (median per phase)\n\n");
        out.push_str(&phase_table(&steps));
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// The accelerators: the GPU's bandwidth through burn (with the `vulkan` feature), the kernels
/// of every accelerator backend compared with it (burn's `scale` over 1 GiB and at each
/// kernel's footprint), and the step overhead of every model there.
fn accelerators(
    args: &Args,
    plan: &Plan,
    device_streams: &mut Vec<DeviceStream>,
    kernels: &mut String,
    all_timings: &mut Vec<KernelTiming>,
    steps: &mut Vec<(usize, StepOverhead)>,
) -> Result<()> {
    let gpu = gpu_device()?;
    let bandwidth = match &gpu {
        Some(device) => {
            eprintln!("GPU bandwidth");
            Some(burn_stream(device, plan.device_elements, args.trials)?)
        }
        None => None,
    };
    let scale = bandwidth.as_ref().map(|b| b.scale.best());
    device_streams.extend(bandwidth);
    if !args.no_kernels {
        let timings = time_kernels(
            &plan.selection,
            &plan.budget,
            &[Placement::Accelerator],
            &mut progress,
        )?;
        if !timings.is_empty() {
            // burn's `scale` reads one array and writes another: two arrays totalling the
            // footprint.
            let mut at_footprint = Vec::new();
            if let Some(device) = &gpu {
                eprintln!("GPU bandwidth at the kernels' footprints");
                for bytes in footprints(&timings) {
                    let elements = bytes as usize / (2 * size_of::<f32>());
                    let rate = burn_stream(device, elements, args.trials)?.scale.best();
                    at_footprint.push((bytes, rate));
                }
            }
            let ceilings = Ceilings {
                name: "`scale`".into(),
                at_footprint,
                large: scale.map(|rate| ("`scale` over 1 GiB".into(), rate)),
            };
            kernels.push_str(&format!(
                "\n### Kernels, accelerators\n\nShares of burn's `scale` on the GPU (one \
                 kernel, `b = s·c`), at each kernel's footprint and over 1 GiB arrays ({} GB/s).\
                 \n\n{}",
                scale.map_or("not measured".into(), gb_per_s),
                kernel_table(&timings, &ceilings),
            ));
            all_timings.extend(timings);
        }
    }
    if let (Some(device), false) = (&gpu, args.no_steps) {
        eprintln!("step overhead, GPU");
        for model in [StepModel::Mlp, StepModel::SmallCnn, StepModel::ResNet20] {
            let o = step_overhead(model, device, plan.batch, &plan.rounds)?;
            step_progress(&o);
            steps.push((1, o));
        }
    }
    Ok(())
}
