//! The experiment's report: per-seed records, summaries over seeds, the claims of SPEC.md §9,
//! figures, written as `report.json` and `report.md`.

mod aggregate;
mod claims;
mod markdown;
mod record;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use aggregate::{Stat, Summary, records_of, summarise};
pub use claims::{
    ClaimOutcome, ClaimSpec, Op, Quantity, Relation, RelationOutcome, Side, Verdict, claim_specs,
    evaluate, judge,
};
pub use markdown::render_markdown;
pub use record::{ALL_METRICS, Bin, Condition, Metric, Record, barrier};

use crate::config::ExperimentConfig;
use crate::experiment::Method;
use crate::plot::{self, PlotError};

/// What the data of the run were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// Where the files were read from.
    pub source: String,
    /// Training examples used.
    pub train_examples: usize,
    /// Test examples used.
    pub test_examples: usize,
    /// Training labels changed by the corruption of the noisy condition (a corrupted label may
    /// equal the true one; those are not counted).
    pub labels_changed: usize,
}

/// A figure written next to the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What it shows.
    pub title: String,
    /// File name without extension; `.svg` and `.png` exist.
    pub stem: String,
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The configuration, after command-line overrides.
    pub config: ExperimentConfig,
    /// The command line that produced it.
    pub command: String,
    /// The compute device.
    pub device: String,
    /// Wall time of the whole run, in seconds.
    pub wall_seconds: f64,
    /// The data.
    pub data: DataInfo,
    /// One record per method, seed and condition.
    pub records: Vec<Record>,
    /// Means and standard deviations over seeds.
    pub summaries: Vec<Summary>,
    /// The claims of SPEC.md §9.
    pub claims: Vec<ClaimOutcome>,
    /// Figures.
    pub figures: Vec<Figure>,
}

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be written (the step of the atomic write that failed, the file and
    /// the file system's error).
    #[error(transparent)]
    Write(#[from] subspace_core::AtomicWriteError),
    /// JSON serialization failed.
    #[error("cannot serialize the report: {0}")]
    Json(#[from] serde_json::Error),
    /// A figure failed.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// Summaries of every method under every condition of `config`.
pub fn summarise_all(config: &ExperimentConfig, records: &[Record]) -> Vec<Summary> {
    conditions(config)
        .into_iter()
        .flat_map(|c| {
            config
                .methods
                .iter()
                .filter_map(move |&m| summarise(records, m, c))
        })
        .collect()
}

/// Every condition of `config`: budgets × noise levels.
pub fn conditions(config: &ExperimentConfig) -> Vec<Condition> {
    config
        .noise_levels()
        .into_iter()
        .flat_map(|label_noise| {
            config.budgets().into_iter().map(move |epochs| Condition {
                epochs,
                label_noise,
            })
        })
        .collect()
}

/// Judges the claims of SPEC.md §9 on `records`.
pub fn judge_claims(config: &ExperimentConfig, records: &[Record]) -> Vec<ClaimOutcome> {
    let noise = (config.data.label_noise > 0.0).then_some(config.data.label_noise);
    claim_specs(&config.claims, config.budgets(), noise)
        .iter()
        .map(|spec| evaluate(spec, records, &config.train.seeds))
        .collect()
}

fn find(summaries: &[Summary], method: Method, condition: Condition) -> Option<&Summary> {
    summaries
        .iter()
        .find(|s| s.method == method && s.condition == condition)
}

/// Draws the figures of every condition into `dir`.
pub fn draw_figures(
    dir: &Path,
    conditions: &[Condition],
    summaries: &[Summary],
) -> Result<Vec<Figure>, PlotError> {
    let mut figures = Vec::new();
    for &c in conditions {
        let slug = c.slug();
        let curves: Vec<(&str, &[Stat])> = [
            (Method::Line, "learned line"),
            (
                Method::IndependentLine,
                "straight line between independent models",
            ),
        ]
        .into_iter()
        .filter_map(|(m, label)| Some((label, find(summaries, m, c)?.along.as_deref()?)))
        .collect();
        if !curves.is_empty() {
            let title = format!("Accuracy along the line ({c})");
            let stem = format!("accuracy_along_line_{slug}");
            plot::accuracy_along(&title, &curves).write(&dir.join(&stem))?;
            figures.push(Figure { title, stem });
        }
        let mut models: Vec<(&str, &[Bin])> = Vec::new();
        if let Some(s) = find(summaries, Method::Standard, c) {
            models.push(("standard", &s.reliability));
        }
        if let Some(s) = find(summaries, Method::Line, c) {
            models.push(("line midpoint", &s.reliability));
            if let Some(e) = &s.ensemble_reliability {
                models.push(("line endpoint ensemble", e));
            }
        }
        if let Some(s) = find(summaries, Method::Ensemble, c) {
            models.push(("independent ensemble", &s.reliability));
        }
        if !models.is_empty() {
            let title = format!("Reliability ({c})");
            let stem = format!("reliability_{slug}");
            plot::reliability(&title, &models).write(&dir.join(&stem))?;
            figures.push(Figure { title, stem });
        }
    }
    Ok(figures)
}

impl Report {
    /// Writes `report.json` and `report.md` into `dir` (the figures are already there).
    pub fn write(&self, dir: &Path) -> Result<(), ReportError> {
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            Ok(subspace_core::write_atomic(&path, text.as_bytes())?)
        };
        write("report.json", serde_json::to_string_pretty(self)?)?;
        write("report.md", render_markdown(self))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn summary(method: Method, condition: Condition) -> Summary {
        let s = |mean| Stat {
            mean,
            std: 0.0,
            n: 1,
        };
        Summary {
            method,
            condition,
            metrics: BTreeMap::new(),
            along: Some(vec![s(0.8), s(0.85), s(0.9)]),
            pairs: None,
            reliability: vec![Bin {
                count: 2,
                confidence_sum: 1.5,
                correct: 1,
            }],
            ensemble_reliability: None,
        }
    }

    #[test]
    fn conditions_that_differ_in_a_fraction_of_a_percent_get_their_own_figures() {
        let dir = tempfile::TempDir::new().unwrap();
        let conditions = [0.0, 0.004].map(|label_noise| Condition {
            epochs: 3,
            label_noise,
        });
        let summaries: Vec<Summary> = conditions
            .iter()
            .map(|&c| summary(Method::Line, c))
            .collect();
        let figures = draw_figures(dir.path(), &conditions, &summaries).unwrap();
        let stems: Vec<&str> = figures.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "accuracy_along_line_3ep-noise0",
                "reliability_3ep-noise0",
                "accuracy_along_line_3ep-noise0.004",
                "reliability_3ep-noise0.004",
            ]
        );
        for stem in stems {
            for ext in ["svg", "png"] {
                assert!(
                    dir.path().join(format!("{stem}.{ext}")).is_file(),
                    "{stem}.{ext}"
                );
            }
        }
    }
}
