//! The main job: reproduce the claims of SPEC.md §9 on real data.
//!
//! ```sh
//! cargo run --release -p subspace-examples --bin experiment -- --quick
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use subspace_examples::cli::Cli;
use subspace_examples::experiment::run_experiment;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = cli.out.clone().unwrap_or_else(|| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        PathBuf::from("runs").join(format!("{}-{now}", config.name))
    });
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    match run_experiment(config, command, &out, !cli.no_progress, cli.save_regions) {
        Ok(report) => {
            println!("claims of SPEC.md §9:");
            for c in &report.claims {
                println!("  {}. {} — {}", c.id, c.verdict.words(), c.statement);
            }
            println!(
                "wall time {:.0} s; report: {}",
                report.wall_seconds,
                out.join("report.md").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
