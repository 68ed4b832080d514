//! `report.md`: the claims with their numbers, every method × metric as mean ± std over seeds,
//! accuracy along the line, and the figures.

use std::fmt::Write;

use super::aggregate::Stat;
use super::claims::{RelationOutcome, Side, Verdict};
use super::record::{Condition, Metric};
use super::{Report, Summary, conditions};

/// Metrics of the first results table.
const SINGLE_MODEL: [Metric; 8] = [
    Metric::Accuracy,
    Metric::Nll,
    Metric::Ece,
    Metric::AccuracyNoRecalibration,
    Metric::EndpointAccuracy,
    Metric::BestEndpointAccuracy,
    Metric::EndpointEce,
    Metric::EndpointAccuracyNoRecalibration,
];
/// Metrics of the second results table.
const ENSEMBLE_DIVERSITY: [Metric; 9] = [
    Metric::EnsembleAccuracy,
    Metric::EnsembleNll,
    Metric::EnsembleEce,
    Metric::EnsembleGain,
    Metric::Cos2,
    Metric::L2,
    Metric::Disagreement,
    Metric::TotalVariation,
    Metric::Barrier,
];

/// A value in the metric's unit: percent with 2 decimals, or 4 significant decimals.
fn value(metric: Metric, v: f64) -> String {
    if metric.is_percentage() {
        format!("{:.2}", 100.0 * v)
    } else {
        format!("{v:.4}")
    }
}

fn stat(metric: Metric, s: &Stat) -> String {
    if s.n > 1 {
        format!("{} ± {}", value(metric, s.mean), value(metric, s.std))
    } else {
        value(metric, s.mean)
    }
}

fn unit(metric: Metric) -> &'static str {
    if metric.is_percentage() { " (%)" } else { "" }
}

fn relation_line(r: &RelationOutcome) -> String {
    let metric = r.relation.lhs.metric;
    let side =
        |s: &Option<Stat>, m: Metric| s.as_ref().map_or("not measured".into(), |s| stat(m, s));
    let rhs_metric = match r.relation.rhs {
        Side::Measured(q) => q.metric,
        Side::Constant(_) => metric,
    };
    let on_means = match r.held_on_means {
        Some(true) => "held on the means",
        Some(false) => "failed on the means",
        None => "",
    };
    let verdict = match r.verdict {
        Verdict::NotMeasured => "not measured".into(),
        v => format!(
            "**{}** ({on_means}, held on {}/{} seeds)",
            v.words(),
            r.seeds_held,
            r.seeds
        ),
    };
    format!(
        "- {}: {}{} vs {}{} → {verdict}",
        r.text,
        side(&r.lhs, metric),
        unit(metric),
        side(&r.rhs, rhs_metric),
        unit(rhs_metric),
    )
}

fn metrics_table(out: &mut String, summaries: &[&Summary], metrics: &[Metric]) {
    let used: Vec<Metric> = metrics
        .iter()
        .copied()
        .filter(|m| summaries.iter().any(|s| s.metrics.contains_key(m)))
        .collect();
    if used.is_empty() {
        return;
    }
    let _ = write!(out, "| method |");
    for m in &used {
        let _ = write!(out, " {}{} |", m.header(), unit(*m));
    }
    let _ = write!(out, "\n|---|");
    for _ in &used {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    for s in summaries {
        let _ = write!(out, "| {} |", s.method);
        for m in &used {
            let cell = s.metrics.get(m).map_or("—".into(), |v| stat(*m, v));
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn along_table(out: &mut String, summaries: &[&Summary]) {
    let with: Vec<&&Summary> = summaries.iter().filter(|s| s.along.is_some()).collect();
    let Some(n) = with.first().and_then(|s| s.along.as_ref()).map(Vec::len) else {
        return;
    };
    let _ = write!(
        out,
        "Accuracy (%) along the line, BatchNorm recalibrated at every point:\n\n| a |"
    );
    for s in &with {
        let _ = write!(out, " {} |", s.method);
    }
    for s in &with {
        if s.pairs.is_some() {
            let _ = write!(out, " {} pair (a, 1−a) ensemble |", s.method);
        }
    }
    let _ = write!(out, "\n|---|");
    for s in &with {
        let _ = write!(out, "---|{}", if s.pairs.is_some() { "---|" } else { "" });
    }
    out.push('\n');
    for k in 0..n {
        let _ = write!(out, "| {:.2} |", k as f64 / (n - 1) as f64);
        for s in &with {
            let cell = s
                .along
                .as_ref()
                .and_then(|a| a.get(k))
                .map_or("—".into(), |v| stat(Metric::Accuracy, v));
            let _ = write!(out, " {cell} |");
        }
        for s in &with {
            if let Some(pairs) = &s.pairs {
                let cell = pairs
                    .get(k)
                    .map_or(String::new(), |v| stat(Metric::Accuracy, v));
                let _ = write!(out, " {cell} |");
            }
        }
        out.push('\n');
    }
    out.push('\n');
}

fn condition_section(out: &mut String, report: &Report, c: Condition) {
    let summaries: Vec<&Summary> = report
        .summaries
        .iter()
        .filter(|s| s.condition == c)
        .collect();
    let _ = writeln!(out, "## Results: {c}\n");
    metrics_table(out, &summaries, &SINGLE_MODEL);
    metrics_table(out, &summaries, &ENSEMBLE_DIVERSITY);
    along_table(out, &summaries);
    let secs: Vec<String> = summaries
        .iter()
        .filter_map(|s| {
            let t: Vec<f64> = report
                .records
                .iter()
                .filter(|r| r.method == s.method && r.condition == c)
                .map(|r| r.train_seconds)
                .collect();
            Stat::of(&t).map(|t| format!("{} {:.1}", s.method, t.mean))
        })
        .collect();
    let _ = writeln!(
        out,
        "Training seconds per seed (mean): {}.\n",
        secs.join(", ")
    );
}

/// The Markdown text of `report.md`.
pub fn render_markdown(report: &Report) -> String {
    let c = &report.config;
    let mut out = String::new();
    let _ = writeln!(out, "# subspace experiment `{}`\n", c.name);
    let _ = writeln!(
        out,
        "Reproduces the claims of SPEC.md §9 (Wortsman et al., *Learning Neural Network Subspaces*, ICML 2021) on real data, every method trained through the burn plugin with the same model, schedule and seeds.\n"
    );
    let _ = writeln!(out, "- command: `{}`", report.command);
    let _ = writeln!(out, "- device: {}", report.device);
    let _ = writeln!(
        out,
        "- wall time: {:.0} s ({:.1} min)",
        report.wall_seconds,
        report.wall_seconds / 60.0
    );
    let _ = writeln!(
        out,
        "- data: {} from `{}`, {} training / {} test examples; label noise p = {} (seed {}, {} labels changed)",
        c.data.dataset,
        report.data.source,
        report.data.train_examples,
        report.data.test_examples,
        c.data.label_noise,
        c.data.noise_seed,
        report.data.labels_changed
    );
    let t = &c.train;
    let _ = writeln!(
        out,
        "- model: {}; budgets E = {} and 2E = {} epochs; batch {}; SGD lr {} momentum {}, {} warm-up epochs then cosine; weight decay {} per copy; β = {}; SWA lr {} from {:.0}% of training; EMA decay {}",
        t.model,
        t.epochs,
        2 * t.epochs,
        t.batch_size,
        t.lr,
        t.momentum,
        t.warmup_epochs,
        t.weight_decay,
        t.beta,
        t.swa_lr,
        100.0 * t.swa_start,
        t.ema_decay
    );
    let _ = writeln!(
        out,
        "- seeds: {:?}; methods: {}",
        t.seeds,
        c.methods
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "- evaluation: {} grid points, ECE with {} bins, BatchNorm recalibrated on {} training examples at every evaluated point\n",
        c.eval.grid_points,
        c.eval.ece_bins,
        c.eval.recalibration_examples.map_or("all".into(), |n| n
            .min(report.data.train_examples)
            .to_string())
    );

    let _ = writeln!(out, "## Claims of SPEC.md §9\n");
    let _ = writeln!(
        out,
        "Each relation is judged on the means over seeds and seed by seed: it **held** when it holds on the means and on a majority of the seeds, it **did not hold** when it fails on the means and on a majority of the seeds, and it is **inconclusive** otherwise (the means and most seeds disagree, or the seeds split evenly). A claim held when all its relations held, did not hold when one did not, and is inconclusive when one is inconclusive and none did not hold. Margins, fixed before the run and the same for every method: barrier > {} (accuracy drop below the chord between the endpoints), \"matches\" = at most {} less, recalibration \"needed\" = raises accuracy by more than {}.\n",
        c.claims.barrier, c.claims.matches, c.claims.recalibration_gain
    );
    let _ = writeln!(out, "| # | claim | verdict |\n|---|---|---|");
    for claim in &report.claims {
        let _ = writeln!(
            out,
            "| {} | {} | **{}** |",
            claim.id,
            claim.statement,
            claim.verdict.words()
        );
    }
    out.push('\n');
    for claim in &report.claims {
        let _ = writeln!(out, "### Claim {}: {}\n", claim.id, claim.verdict.words());
        let _ = writeln!(out, "{}\n", claim.statement);
        if claim.relations.is_empty() {
            let _ = writeln!(
                out,
                "- no relation could be measured (the noisy condition was not run)"
            );
        }
        for r in &claim.relations {
            let _ = writeln!(out, "{}", relation_line(r));
        }
        out.push('\n');
    }

    for cond in conditions(c) {
        condition_section(&mut out, report, cond);
    }

    if !report.figures.is_empty() {
        let _ = writeln!(out, "## Figures\n");
        for f in &report.figures {
            let _ = writeln!(
                out,
                "### {}\n\n![{}]({}.png)\n\n([SVG]({}.svg))\n",
                f.title, f.title, f.stem, f.stem
            );
        }
    }

    let _ = writeln!(out, "## How to read the tables\n");
    let _ = writeln!(
        out,
        "\"acc\", \"NLL\", \"ECE\" are of the method's model: the midpoint (centroid) of a region, the trained or averaged model of standard/SWA/EMA, the two-model logit ensemble of `ensemble`, the midpoint of `independent-line`. \"end\" columns are the endpoints: a = 0 and a = 1 of a line or curve, the two independent models, and for the simplex as many random Dirichlet(1, .., 1) points as it has vertices (SPEC.md §6), drawn from the run's seed, BatchNorm recalibrated at each like every evaluated point; \"ens\" is their logit-mean ensemble and \"ens gain\" its accuracy minus the mean endpoint accuracy. cos² and L2 are between copies over the conv/linear weights (mean over pairs); \"disagree\" and \"TV\" between the endpoints' predictions on the test set. \"barrier\" is the largest accuracy drop along the grid below the chord between the endpoints. \"no BN recal\" keeps the BatchNorm statistics accumulated during training (\"end acc, no BN recal\" is the mean over the same endpoints as \"end acc\")."
    );
    out
}
