//! `cargo run -p subspace-conformance`: runs the suite on every backend compiled in, prints
//! `backend × property → pass/fail, cases, worst error`, and exits non-zero on any failure.
//!
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED` set the cases per property and the seed.

use std::process::ExitCode;

use subspace_conformance::{Row, SuiteConfig, render_table, run_host_suite, run_suite};

/// The suite on every backend compiled in: one line per backend, the optional ones behind
/// their cargo feature (`#[cfg(feature = "...")]`).
fn backends(config: &SuiteConfig) -> Vec<Row> {
    let mut rows = Vec::new();
    rows.extend(run_suite::<subspace_reference::Reference>(
        &subspace_reference::Cpu,
        config,
    ));
    #[cfg(feature = "luminal")]
    rows.extend(run_suite::<subspace_luminal::Luminal>(
        &subspace_luminal::Cpu,
        config,
    ));
    #[cfg(feature = "luminal-cuda")]
    rows.extend(
        run_suite::<subspace_luminal::Luminal<subspace_luminal::Cuda>>(
            &subspace_luminal::Cuda,
            config,
        ),
    );
    #[cfg(feature = "burn")]
    rows.extend(run_suite::<subspace_burn::Burn>(
        &subspace_burn::flex(),
        config,
    ));
    rows
}

fn main() -> ExitCode {
    let config = SuiteConfig::from_env();
    println!(
        "subspace conformance: {} cases per property, seed {}",
        config.cases, config.seed
    );
    let mut rows = run_host_suite(&config);
    rows.extend(backends(&config));
    print!("{}", render_table(&rows));
    let failed = rows.iter().filter(|r| !r.passed()).count();
    println!("\n{} checks, {failed} failed", rows.len());
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
