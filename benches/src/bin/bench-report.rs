//! Prints the Markdown tables of `BENCHMARKS.md`: STREAM bandwidth, the subspace kernels on
//! every compiled backend with their share of that bandwidth, on one thread and on all.
//!
//! `cargo run --release -p subspace-benches --bin bench-report > report.md`

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use subspace_benches::machine::{Machine, load_average};
use subspace_benches::report::{duration, gb_per_s, kernel_table, machine_section, stream_table};
use subspace_benches::stream::stream;
use subspace_benches::sweep::{KernelTiming, Selection, time_kernels, workload_id};
use subspace_benches::timing::Budget;
use subspace_benches::workload::SIZES;
use subspace_benches::{Error, Result};

/// Benchmark report: STREAM, kernels per backend, as Markdown on stdout (progress on stderr).
#[derive(Debug, Parser)]
struct Args {
    /// Parameter counts to time, e.g. `1e3,1e7`.
    #[arg(long, value_delimiter = ',', value_parser = parse_count, default_values_t = SIZES)]
    sizes: Vec<usize>,
    /// Time only workloads whose id (`backend/kernel/m{m}/{n}`) contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Thread counts to report; `0` means all available threads.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 0])]
    threads: Vec<usize>,
    /// MiB per STREAM array (default: four times the L3 cache, capped by free memory).
    #[arg(long)]
    stream_mib: Option<usize>,
    /// STREAM trials; the best is the bandwidth.
    #[arg(long, default_value_t = 5)]
    trials: usize,
    /// Run everything once, untimed in effect: checks the pipeline in seconds.
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

fn run(args: Args) -> Result<()> {
    let machine = Machine::detect();
    let load_before = load_average();
    let budget = if args.smoke {
        Budget::SMOKE
    } else {
        Budget::REPORT
    };
    let stream_elements = match (args.smoke, args.stream_mib) {
        (true, _) => 1 << 20,
        (false, Some(mib)) => (mib << 20) / size_of::<f32>(),
        (false, None) => machine.stream_elements(),
    };
    let kernel_elements = args.sizes.iter().copied().max().unwrap_or(1);
    let selection = Selection {
        sizes: args.sizes.clone(),
        filter: args.filter.clone(),
    };
    let mut threads: Vec<usize> = args
        .threads
        .iter()
        .map(|&t| if t == 0 { machine.threads } else { t })
        .collect();
    threads.dedup();

    let mut body = String::new();
    let mut streams = Vec::new();
    for &t in &threads {
        eprintln!("STREAM, {t} thread(s)");
        let large = stream(stream_elements, t, args.trials);
        streams.push(large);
        streams.push(stream(kernel_elements, t, args.trials));
        eprintln!("kernels, {t} thread(s)");
        let timings = time_kernels(&selection, &budget, t > 1, &mut |k: &KernelTiming| {
            eprintln!(
                "  {} {} {} GB/s",
                workload_id(&k.backend, &k.workload),
                duration(k.seconds.median),
                gb_per_s(k.bandwidth())
            );
        })?;
        body.push_str(&format!(
            "\n### Kernels, {t} thread(s)\n\nShare of the STREAM triad of {} GB/s ({t} thread(s), {} MiB arrays).\n\n",
            gb_per_s(large.triad.best()),
            (stream_elements * size_of::<f32>()) >> 20,
        ));
        if timings.is_empty() {
            body.push_str("No backend of this run uses more than one thread.\n");
        } else {
            body.push_str(&kernel_table(&timings, large.triad.best()));
        }
    }

    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let mut out = String::from("## Machine\n\n");
    out.push_str(&machine_section(
        &machine,
        &command,
        load_before,
        load_average(),
    ));
    out.push_str("\n## Memory bandwidth (STREAM)\n\n");
    out.push_str(&stream_table(&streams));
    out.push_str(&body);
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}
