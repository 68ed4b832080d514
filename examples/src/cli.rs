//! Command-line flags of the experiment binary and how they override the config.

use std::path::PathBuf;

use clap::Parser;

use crate::config::{ConfigError, DatasetName, ExperimentConfig, FULL_PRESET, QUICK_PRESET};
use crate::experiment::Method;
use crate::models::ModelKind;

/// Reproduce the claims of SPEC.md §9 on real data: trains every method with the same model,
/// schedule and seeds through the burn plugin and writes report.json, report.md and plots.
#[derive(Debug, Clone, Parser)]
#[command(name = "experiment", version)]
pub struct Cli {
    /// The quick preset: a few minutes on 2 CPU cores (the default when no config is given).
    #[arg(long, conflicts_with_all = ["full", "config"])]
    pub quick: bool,
    /// The full preset: ResNet-20 on all of Fashion-MNIST, meant for a GPU.
    #[arg(long, conflicts_with = "config")]
    pub full: bool,
    /// A TOML config file (see examples/configs/).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory of the run's outputs [default: runs/NAME-UNIX_TIME]. Every finished condition
    /// and seed is kept in OUT/units/ at once: an interrupted run started again with the same
    /// --out and settings trains only what it had not finished.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The data set.
    #[arg(long, value_enum)]
    pub dataset: Option<DatasetName>,
    /// A directory holding the IDX files (gzipped or not) instead of the package's.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The network.
    #[arg(long, value_enum)]
    pub model: Option<ModelKind>,
    /// The base budget E in epochs (every method also runs 2E).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Training seeds, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Methods to run, comma separated (default: all).
    #[arg(long, value_delimiter = ',', value_enum)]
    pub methods: Option<Vec<Method>>,
    /// Training examples (the first n).
    #[arg(long)]
    pub train_examples: Option<usize>,
    /// Test examples (the first n).
    #[arg(long)]
    pub test_examples: Option<usize>,
    /// Label-noise fraction of the noisy condition (0: clean only).
    #[arg(long)]
    pub label_noise: Option<f64>,
    /// Also keep the trained copies of every region method as region files in OUT/regions/
    /// (subspace-core's format; burn's `Subspace::from_region` loads one into copies of the
    /// model; recalibrate BatchNorm at each point evaluated). Units reused from an earlier run
    /// with the same --out are not trained again: their regions exist only if that run saved
    /// them, and a warning names those that are missing.
    #[arg(long)]
    pub save_regions: bool,
    /// Hide the progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

impl Cli {
    /// The preset or file, with every given flag applied on top, validated.
    pub fn config(&self) -> Result<ExperimentConfig, ConfigError> {
        let mut c = match (&self.config, self.full) {
            (Some(path), _) => ExperimentConfig::from_file(path)?,
            (None, true) => ExperimentConfig::from_toml(FULL_PRESET, Some("preset full"))?,
            (None, false) => ExperimentConfig::from_toml(QUICK_PRESET, Some("preset quick"))?,
        };
        if let Some(d) = self.dataset {
            c.data.dataset = d;
        }
        if let Some(dir) = &self.data_dir {
            c.data.data_dir = Some(dir.clone());
        }
        if let Some(m) = self.model {
            c.train.model = m;
        }
        if let Some(e) = self.epochs {
            c.train.epochs = e;
        }
        if let Some(s) = &self.seeds {
            c.train.seeds = s.clone();
        }
        if let Some(ms) = &self.methods {
            c.methods.clone_from(ms);
        }
        if let Some(n) = self.train_examples {
            c.data.train_examples = Some(n);
        }
        if let Some(n) = self.test_examples {
            c.data.test_examples = Some(n);
        }
        if let Some(p) = self.label_noise {
            c.data.label_noise = p;
        }
        c.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("experiment").chain(args.iter().copied()))
    }

    #[test]
    fn flags_override_the_preset() {
        let cli = parse(&[
            "--quick",
            "--epochs",
            "3",
            "--seeds",
            "4,5",
            "--methods",
            "line,standard",
            "--model",
            "small-cnn",
        ])
        .unwrap();
        let c = cli.config().unwrap();
        assert_eq!(c.train.epochs, 3);
        assert_eq!(c.train.seeds, vec![4, 5]);
        assert_eq!(c.methods, vec![Method::Line, Method::Standard]);
        assert_eq!(c.train.model, ModelKind::SmallCnn);
        assert_eq!(
            parse(&["--full"]).unwrap().config().unwrap().train.model,
            ModelKind::Resnet20
        );
    }

    #[test]
    fn bad_flags_are_rejected() {
        assert!(parse(&["--quick", "--full"]).is_err());
        assert!(parse(&["--model", "vgg"]).is_err());
        let err = parse(&["--label-noise", "1.5"])
            .unwrap()
            .config()
            .unwrap_err();
        assert!(err.to_string().contains("data.label_noise"), "{err}");
        let err = parse(&["--config", "/nonexistent/x.toml"])
            .unwrap()
            .config()
            .unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
    }
}
