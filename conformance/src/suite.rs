//! The whole suite for one backend, the host-only checks, and the table the CLI prints.

use std::fmt::Write as _;
use std::time::Instant;

use subspace_core::Backend;

use crate::checks::{
    HOST, check_dirichlet_sampler, check_golden_host, check_layerwise_independence, check_metrics,
    check_metrics_by_hand, check_pair_sampler, check_uniform_sampler,
};
use crate::harness::SuiteConfig;
use crate::outcome::{Failure, Report};

/// One line of the table: a backend, a property, its outcome and how long it took.
#[derive(Debug, Clone)]
pub struct Row {
    /// The backend's name, or [`HOST`] for host-only checks.
    pub backend: String,
    /// The outcome; both sides name the property.
    pub outcome: Result<Report, Failure>,
    /// Wall-clock seconds the check took (reported, never asserted).
    pub seconds: f64,
}

impl Row {
    /// Runs `check` and times it.
    pub fn timed(backend: &str, check: impl FnOnce() -> Result<Report, Failure>) -> Self {
        let start = Instant::now();
        let outcome = check();
        Self {
            backend: backend.to_owned(),
            outcome,
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    /// The property checked.
    pub fn property(&self) -> &'static str {
        match &self.outcome {
            Ok(r) => r.property,
            Err(f) => f.property,
        }
    }

    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// Runs every backend check on `B` at `device`: the one call a new backend needs.
pub fn run_suite<B: Backend>(device: &B::Device, config: &SuiteConfig) -> Vec<Row> {
    let backend = B::name(device);
    crate::__backend_checks!(__suite_rows {
        B,
        device,
        config,
        backend
    })
}

/// Runs the host-only checks (samplers, metrics, host golden vectors) once.
pub fn run_host_suite(config: &SuiteConfig) -> Vec<Row> {
    vec![
        Row::timed(HOST, || check_uniform_sampler(config)),
        Row::timed(HOST, || check_dirichlet_sampler(config)),
        Row::timed(HOST, || check_layerwise_independence(config)),
        Row::timed(HOST, || check_pair_sampler(config)),
        Row::timed(HOST, || check_metrics(config)),
        Row::timed(HOST, check_metrics_by_hand),
        Row::timed(HOST, check_golden_host),
    ]
}

/// The table `backend × property → pass/fail, cases, worst error`, then each failure in full.
pub fn render_table(rows: &[Row]) -> String {
    let backend_width = rows
        .iter()
        .map(|r| r.backend.len())
        .chain([7])
        .max()
        .unwrap_or(7);
    let property_width = rows
        .iter()
        .map(|r| r.property().chars().count())
        .chain([8])
        .max()
        .unwrap_or(8);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<backend_width$}  {:<property_width$}  result  cases  worst error  error/allowed  seconds",
        "backend", "property"
    );
    for row in rows {
        let (result, cases, error, ratio) = match &row.outcome {
            Ok(r) => ("pass", r.cases.to_string(), r.worst.error, r.worst.ratio()),
            Err(f) => (
                "FAIL",
                "-".into(),
                f.worst.map_or(f64::NAN, |w| w.error),
                f.worst.map_or(f64::NAN, |w| w.ratio()),
            ),
        };
        let property = row.property();
        let pad = property_width - property.chars().count();
        let _ = writeln!(
            out,
            "{:<backend_width$}  {property}{:pad$}  {result:<6}  {cases:>5}  {error:>11.3e}  {ratio:>13.3}  {:>7.2}",
            row.backend, "", row.seconds
        );
    }
    for row in rows {
        if let Err(f) = &row.outcome {
            let _ = writeln!(out, "\n{f}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tolerance::Discrepancy;

    #[test]
    fn the_table_shows_passes_failures_and_their_reasons() {
        let worst = Discrepancy {
            error: 2.0,
            allowed: 1.0,
        };
        let rows = [
            Row::timed("good", || {
                Ok(Report {
                    property: "mix vs reference",
                    cases: 32,
                    worst: Discrepancy::NONE,
                })
            }),
            Row::timed("bad", || {
                Err(Failure {
                    backend: "bad".into(),
                    property: "exact at vertices",
                    input: "RegionSpec { .. }".into(),
                    reason: "copy 1 differs".into(),
                    worst: Some(worst),
                })
            }),
        ];
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[1].starts_with("good") && lines[1].contains("pass"),
            "{table}"
        );
        assert!(
            lines[2].starts_with("bad") && lines[2].contains("FAIL"),
            "{table}"
        );
        assert!(lines[2].contains("2.000"), "{table}");
        assert!(
            table.contains("copy 1 differs") && table.contains("RegionSpec"),
            "{table}"
        );
        assert!(rows[0].passed() && !rows[1].passed());
    }
}
