//! The Markdown of the report: machine, STREAM, kernels and per-step overhead tables.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::burn_stream::DeviceStream;
use crate::machine::Machine;
use crate::step::{Phase, StepOverhead};
use crate::stream::StreamResult;
use crate::sweep::KernelTiming;
use crate::workload::Workload;

/// `1.23 ms`, `45.6 µs`: seconds with three significant digits and a readable unit.
pub fn duration(seconds: f64) -> String {
    let (value, unit) = if seconds >= 1.0 {
        (seconds, "s")
    } else if seconds >= 1e-3 {
        (seconds * 1e3, "ms")
    } else if seconds >= 1e-6 {
        (seconds * 1e6, "µs")
    } else {
        (seconds * 1e9, "ns")
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// Bytes per second in GB/s (10⁹ bytes), one decimal.
pub fn gb_per_s(bytes_per_second: f64) -> String {
    format!("{:.1}", bytes_per_second / 1e9)
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The machine, the command and the load around the run, as a Markdown list.
pub fn machine_section(
    machine: &Machine,
    command: &str,
    load_before: Option<[f64; 3]>,
    load_after: Option<[f64; 3]>,
) -> String {
    let gib = |b: u64| format!("{:.1} GiB", b as f64 / f64::from(1 << 30));
    let load = |l: Option<[f64; 3]>| {
        l.map_or("unknown".into(), |[a, b, c]| {
            format!("{a:.2} {b:.2} {c:.2}")
        })
    };
    let mut s = String::new();
    let _ = writeln!(s, "- date: {}", today());
    let _ = writeln!(s, "- command: `{command}`");
    if let Some(commit) = git_commit() {
        let _ = writeln!(s, "- commit: {commit}");
    }
    let _ = writeln!(
        s,
        "- CPU: {}, {} threads available; L3 {}; memory {}",
        machine.cpu.as_deref().unwrap_or("unknown"),
        machine.threads,
        machine
            .l3_bytes
            .map_or("unknown".into(), |b| format!("{} MiB", b >> 20)),
        machine.memory_bytes.map_or("unknown".into(), gib),
    );
    let _ = writeln!(
        s,
        "- burn `flex` built with rayon threads and SIMD kernels: {}",
        if cfg!(feature = "flex-rayon-simd") {
            "yes (feature `flex-rayon-simd`)"
        } else {
            "no (the workspace's burn features; flex runs one thread, scalar kernels)"
        }
    );
    let _ = writeln!(
        s,
        "- allocator: {}",
        std::env::var("GLIBC_TUNABLES").map_or(
            "the system's; with glibc's defaults, memory freed at the top of the heap goes back \
             to the OS and the next allocation pays page faults"
                .into(),
            |t| format!("the system's, `GLIBC_TUNABLES={t}`")
        )
    );
    let _ = writeln!(
        s,
        "- load average (1, 5, 15 min) before: {}; after: {}",
        load(load_before),
        load(load_after)
    );
    s
}

/// The checked-out commit (`git describe --always --dirty`), if git can tell.
fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}

/// STREAM results as a table: one row per array size and thread count.
pub fn stream_table(results: &[StreamResult]) -> String {
    let mut s = String::from(
        "| threads | array | copy best GB/s | copy median | triad best GB/s | triad median |\n\
         |---:|---:|---:|---:|---:|---:|\n",
    );
    for r in results {
        let _ = writeln!(
            s,
            "| {} | {} MiB | {} | {} | {} | {} |",
            r.threads,
            (r.elements * size_of::<f32>()) >> 20,
            gb_per_s(r.copy.best()),
            gb_per_s(r.copy.median()),
            gb_per_s(r.triad.best()),
            gb_per_s(r.triad.median()),
        );
    }
    s
}

/// burn's elementwise bandwidth per device: one row per device.
pub fn device_stream_table(results: &[DeviceStream]) -> String {
    let mut s = String::from(
        "| device | array | scale best GB/s | scale median | triad best GB/s | triad median |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for r in results {
        let _ = writeln!(
            s,
            "| {} | {} MiB | {} | {} | {} | {} |",
            r.device,
            (r.elements * size_of::<f32>()) >> 20,
            gb_per_s(r.scale.best()),
            gb_per_s(r.scale.median()),
            gb_per_s(r.triad.best()),
            gb_per_s(r.triad.median()),
        );
    }
    s
}

/// Step times and `subspace / standard` ratios (each against standard training with the same
/// optimizer, [`Variant::baseline`](crate::step::Variant::baseline)): one row per model,
/// device and thread count (columns from the first row's variants). Each ratio is the median
/// of the per-round ratios with their 10th–90th percentiles; the target (where the model has
/// one) is checked on each variant it applies to
/// ([`Variant::has_target`](crate::step::Variant::has_target)), naming those that miss it.
pub fn step_table(results: &[(usize, StepOverhead)]) -> String {
    let Some((_, first)) = results.first() else {
        return String::new();
    };
    let mut s = String::from("| model | device | threads | batch | rounds |");
    for (v, _) in &first.seconds {
        let _ = write!(s, " {} |", v.name());
    }
    for (v, _) in &first.ratios {
        let _ = write!(s, " {} / {} |", v.name(), v.baseline().name());
    }
    s.push_str(" target |\n|---|---|---:|---:|---:|");
    s.push_str(&"---:|".repeat(first.seconds.len() + first.ratios.len()));
    s.push_str("---|\n");
    for (threads, o) in results {
        let _ = write!(
            s,
            "| {} | {} | {} | {} | {} |",
            o.model.name(),
            o.device,
            threads,
            o.batch,
            o.seconds.first().map_or(0, |(_, t)| t.samples),
        );
        for (_, t) in &o.seconds {
            let _ = write!(s, " {} ±{:.0}% |", duration(t.median), 100.0 * t.spread());
        }
        let (mut met, mut unmet) = (Vec::new(), Vec::new());
        let target = o.model.target(o.on_accelerator);
        for (v, r) in &o.ratios {
            let _ = write!(s, " **{:.3}** ({:.3}–{:.3}) |", r.median, r.low, r.high);
            if let Some(t) = target.filter(|_| v.has_target()) {
                if r.median <= t { &mut met } else { &mut unmet }.push(v.name());
            }
        }
        match target {
            Some(t) if unmet.is_empty() => {
                let _ = writeln!(s, " ≤ {t}: met |");
            }
            Some(t) if met.is_empty() => {
                let _ = writeln!(s, " ≤ {t}: **not met** |");
            }
            Some(t) => {
                let _ = writeln!(
                    s,
                    " ≤ {t}: met by {}; **not met** by {} |",
                    met.join(", "),
                    unmet.join(", ")
                );
            }
            None => s.push_str(" – |\n"),
        }
    }
    s
}

/// Where each variant's step time goes: median seconds per phase, one row per model, device,
/// thread count and variant.
pub fn phase_table(results: &[(usize, StepOverhead)]) -> String {
    let mut s = String::from("| model | device | threads | variant |");
    for p in Phase::ALL {
        let _ = write!(s, " {} |", p.name());
    }
    s.push_str(" sum |\n|---|---|---:|---|");
    s.push_str(&"---:|".repeat(Phase::ALL.len() + 1));
    s.push('\n');
    for (threads, o) in results {
        for (variant, laps) in &o.phases {
            let _ = write!(
                s,
                "| {} | {} | {} | {} |",
                o.model.name(),
                o.device,
                threads,
                variant.name()
            );
            for lap in laps {
                let _ = write!(s, " {} |", duration(*lap));
            }
            let _ = writeln!(s, " {} |", duration(laps.iter().sum()));
        }
    }
    s
}

/// What the kernel section says once, before its tables: which bytes count and what the
/// shares are against.
pub fn kernels_intro() -> String {
    "\nBytes moved are each kernel's **useful bytes**, the roofline convention, the same for \
     every backend and kernel: every tensor the kernel reads counted once and every tensor it \
     writes counted once (`sgd_step` reads and writes the copies and velocities in place: \
     twice), as one pass over its tensors would move them. GB/s are useful bytes over the \
     median time, so a share is the kernel's time at the machine's limit over its measured \
     time, and on one row the shares rank the backends as their times do. A backend that \
     makes more passes (core's defaults on top of `lincomb`: `scatter` as `m` scalings of \
     `g`, `copy_gradients` as one `lincomb` per copy, `sgd_step` as one `lincomb` per \
     operation and copy everywhere but on burn-flex) is held to the same count; the last \
     table of this section gives the elements each backend moves as it runs a kernel.\n\n\
     Each share is against the STREAM triad at the kernel's size: three arrays totalling the \
     kernel's footprint (the distinct tensors it touches, in MB), on the same threads, \
     repeated on the same arrays as the kernels are, best sample; a kernel whose tensors stay \
     in a cache is compared with the triad from that cache. In parentheses: the share of the \
     DRAM triad of the STREAM table (of burn's `scale` over 1 GiB on a GPU), which exceeds \
     100% where the kernel's tensors stay in a cache. At 10³ parameters call overhead \
     dominates.\n"
        .into()
}

/// What a kernel's bandwidth is compared with: a rate measured over arrays totalling its
/// footprint, and one over arrays far larger than any cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceilings {
    /// The measure, for the table's header, e.g. `triad`.
    pub name: String,
    /// Bytes per second of [`name`](Self::name) by footprint bytes
    /// ([`Workload::footprint_bytes`]).
    pub at_footprint: Vec<(u64, f64)>,
    /// The large-array measure and its bytes per second, e.g. the DRAM triad, if measured.
    pub large: Option<(String, f64)>,
}

impl Ceilings {
    /// Bytes per second at the footprint of `w`, if measured.
    fn at(&self, w: &Workload) -> Option<f64> {
        let bytes = w.footprint_bytes();
        self.at_footprint
            .iter()
            .find_map(|&(b, rate)| (b == bytes).then_some(rate))
    }
}

/// `42%` of `rate`, or `–` without one.
fn share(bandwidth: f64, rate: Option<f64>) -> String {
    rate.map_or("–".into(), |r| format!("{:.0}%", 100.0 * bandwidth / r))
}

/// Kernel timings as a table: a row per workload (with its useful and footprint MB and the
/// ceiling at its footprint), a column per backend; each cell is the median time `± spread`,
/// the useful GB/s, its share of the ceiling at the footprint and, in parentheses, of the
/// large-array ceiling.
pub fn kernel_table(timings: &[KernelTiming], ceilings: &Ceilings) -> String {
    let mut backends: Vec<&str> = Vec::new();
    let mut workloads: Vec<Workload> = Vec::new();
    for t in timings {
        if !backends.contains(&t.backend.as_str()) {
            backends.push(&t.backend);
        }
        if !workloads.contains(&t.workload) {
            workloads.push(t.workload);
        }
    }
    let name = &ceilings.name;
    let mut s =
        format!("| kernel | m | n | MB moved (useful) | footprint MB | {name} at footprint GB/s |");
    let large = ceilings
        .large
        .as_ref()
        .map_or(String::new(), |(n, _)| format!(" (% {n})"));
    for b in &backends {
        let _ = write!(s, " {b}: time, GB/s, % {name} at footprint{large} |");
    }
    s.push_str("\n|---|---:|---:|---:|---:|---:|");
    s.push_str(&"---:|".repeat(backends.len()));
    s.push('\n');
    for w in workloads {
        let at = ceilings.at(&w);
        let _ = write!(
            s,
            "| {} | {} | {} | {:.3} | {:.3} | {} |",
            w.kernel,
            w.copies,
            w.params,
            w.bytes() as f64 / 1e6,
            w.footprint_bytes() as f64 / 1e6,
            at.map_or("–".into(), gb_per_s),
        );
        for b in &backends {
            match timings.iter().find(|t| t.workload == w && t.backend == *b) {
                Some(t) => {
                    let bandwidth = t.bandwidth();
                    let _ = write!(
                        s,
                        " {} ±{:.0}%, {}, {}",
                        duration(t.seconds.median),
                        100.0 * t.seconds.spread(),
                        gb_per_s(bandwidth),
                        share(bandwidth, at),
                    );
                    if let Some((_, rate)) = ceilings.large {
                        let _ = write!(s, " ({})", share(bandwidth, Some(rate)));
                    }
                    s.push_str(" |");
                }
                None => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    s
}

/// Elements moved per parameter: a row per kernel and `m`, the useful count (the tables'
/// bytes), then what each backend moves as it runs the kernel, counted from its calls
/// ([`Kernel::elements_as_run`](crate::workload::Kernel::elements_as_run); `≥` where its
/// `lincomb` and `dot` are more than one pass), with its ratio to the useful count.
pub fn traffic_table(timings: &[KernelTiming]) -> String {
    let mut backends: Vec<&str> = Vec::new();
    let mut rows: Vec<(Workload, usize)> = Vec::new();
    for t in timings {
        if !backends.contains(&t.backend.as_str()) {
            backends.push(&t.backend);
        }
        let w = t.workload;
        if !rows
            .iter()
            .any(|(r, _)| r.kernel == w.kernel && r.copies == w.copies)
        {
            rows.push((w, w.kernel.useful_elements(w.copies)));
        }
    }
    let mut s = String::from("| kernel | m | useful |");
    for b in &backends {
        let _ = write!(s, " {b} |");
    }
    s.push_str("\n|---|---:|---:|");
    s.push_str(&"---:|".repeat(backends.len()));
    s.push('\n');
    for (w, useful) in rows {
        let _ = write!(s, "| {} | {} | {useful} |", w.kernel, w.copies);
        for b in &backends {
            let run = timings.iter().find(|t| {
                t.backend == *b && t.workload.kernel == w.kernel && t.workload.copies == w.copies
            });
            match run {
                Some(t) => {
                    let _ = write!(
                        s,
                        " {} (×{:.2}) |",
                        t.as_run,
                        t.as_run.elements as f64 / useful as f64
                    );
                }
                None => s.push_str(" – |"),
            }
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::Stats;
    use crate::workload::{Kernel, Traffic};

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(1.5), "1.50 s");
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(456e-6), "456 µs");
        assert_eq!(duration(7e-9), "7.00 ns");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_000), (2024, 10, 4));
    }

    #[test]
    fn the_target_cell_names_the_variants_that_miss_it() {
        use crate::step::{StepModel, StepOverhead, Variant};
        let stats = |x: f64| Stats::of(vec![x]).unwrap();
        let overhead = |line: f64, fused: f64| StepOverhead {
            model: StepModel::Mlp,
            device: "burn-flex".into(),
            on_accelerator: false,
            batch: 128,
            seconds: vec![(Variant::Standard, stats(1e-3))],
            ratios: vec![
                (Variant::Line, stats(line)),
                (Variant::LineOutside, stats(2.0)),
                (Variant::LineFused, stats(fused)),
            ],
            phases: Vec::new(),
        };
        let cell = |line, fused| {
            let table = step_table(&[(1, overhead(line, fused))]);
            let row = table.lines().nth(2).unwrap().to_owned();
            row.rsplit(" | ").next().unwrap().to_owned()
        };
        // The mix-outside form with burn's optimizer has no target: its 2.0 never counts.
        assert_eq!(cell(1.2, 1.1), "≤ 1.25: met |");
        assert_eq!(cell(1.5, 1.3), "≤ 1.25: **not met** |");
        assert_eq!(
            cell(1.5, 1.2),
            "≤ 1.25: met by line, fused SGD; **not met** by line |"
        );
    }

    #[test]
    fn kernel_table_has_a_cell_per_backend() {
        let w = Workload {
            kernel: Kernel::Mix,
            copies: 2,
            params: 1000,
        };
        let seconds = Stats::of(vec![1e-6]).unwrap();
        let t = |backend: &str| KernelTiming {
            backend: backend.into(),
            workload: w,
            seconds,
            as_run: Traffic {
                elements: 3,
                lower_bound: backend == "b",
            },
        };
        let ceilings = Ceilings {
            name: "triad".into(),
            at_footprint: vec![(8000, 1e9), (12_000, 48e9)],
            large: Some(("DRAM triad".into(), 24e9)),
        };
        let table = kernel_table(&[t("a"), t("b")], &ceilings);
        let mut lines = table.lines();
        assert_eq!(
            lines.next().unwrap(),
            "| kernel | m | n | MB moved (useful) | footprint MB | triad at footprint GB/s | \
             a: time, GB/s, % triad at footprint (% DRAM triad) | \
             b: time, GB/s, % triad at footprint (% DRAM triad) |"
        );
        // 12 kB in 1 µs is 12 GB/s: a quarter of the 48 GB/s at its 12 kB footprint, half of
        // the 24 GB/s from DRAM.
        assert_eq!(
            lines.nth(1).unwrap(),
            "| mix | 2 | 1000 | 0.012 | 0.012 | 48.0 | 1.00 µs ±0%, 12.0, 25% (50%) | \
             1.00 µs ±0%, 12.0, 25% (50%) |"
        );

        // Without measures: dashes, no parentheses.
        let none = Ceilings {
            name: "scale".into(),
            at_footprint: Vec::new(),
            large: None,
        };
        let row = kernel_table(&[t("a")], &none)
            .lines()
            .nth(2)
            .unwrap()
            .to_owned();
        assert_eq!(
            row,
            "| mix | 2 | 1000 | 0.012 | 0.012 | – | 1.00 µs ±0%, 12.0, – |"
        );

        let traffic = traffic_table(&[t("a"), t("b")]);
        assert_eq!(
            traffic.lines().nth(2).unwrap(),
            "| mix | 2 | 3 | 3 (×1.00) | ≥ 3 (×1.00) |"
        );
    }
}
