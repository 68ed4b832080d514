//! Runs one property through proptest's [`TestRunner`], so a check is an ordinary function
//! that a test, a CLI or a benchmark can call.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};

use crate::outcome::{CaseResult, Failure, Report};
use crate::tolerance::Discrepancy;

/// Cases per property when `PROPTEST_CASES` is not set: small, so CI on two cores is quick.
pub const DEFAULT_CASES: u32 = 32;

/// The runner's seed when `PROPTEST_RNG_SEED` is not set: runs are reproducible by default.
pub const DEFAULT_SEED: u64 = 0x5eed_0f5b_5ace;

/// How many random cases each property runs, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteConfig {
    /// Cases per property (at least 1).
    pub cases: u32,
    /// Seed of proptest's generator.
    pub seed: u64,
}

impl Default for SuiteConfig {
    fn default() -> Self {
        Self {
            cases: DEFAULT_CASES,
            seed: DEFAULT_SEED,
        }
    }
}

impl SuiteConfig {
    /// Reads `PROPTEST_CASES` and `PROPTEST_RNG_SEED`, falling back to [`DEFAULT_CASES`] and
    /// [`DEFAULT_SEED`] when a variable is unset or not a number.
    pub fn from_env() -> Self {
        let read = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        Self {
            cases: read("PROPTEST_CASES")
                .map_or(DEFAULT_CASES, |c| c.clamp(1, u64::from(u32::MAX)) as u32),
            seed: read("PROPTEST_RNG_SEED").unwrap_or(DEFAULT_SEED),
        }
    }

    fn runner(&self) -> TestRunner {
        TestRunner::new(Config {
            cases: self.cases.max(1),
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            rng_seed: RngSeed::Fixed(self.seed),
            max_shrink_iters: 512,
            ..Config::default()
        })
    }
}

/// Runs `case` on `config.cases` inputs drawn from `strategy`.
///
/// On failure proptest shrinks the input; the shrunk input is run once more to report its
/// worst error. `backend` names the implementation in the [`Failure`].
pub(crate) fn run_property<S: Strategy>(
    property: &'static str,
    backend: &str,
    config: &SuiteConfig,
    strategy: S,
    case: impl Fn(&S::Value) -> CaseResult,
) -> Result<Report, Failure> {
    let worst = Cell::new(Discrepancy::NONE);
    let cases = Cell::new(0u32);
    let outcome = config.runner().run(&strategy, |input| {
        let d = case(&input).map_err(|e| TestCaseError::fail(e.reason))?;
        worst.set(worst.get().worst(d));
        cases.set(cases.get() + 1);
        Ok(())
    });
    let failure = |input: String, reason: String, worst| Failure {
        backend: backend.to_owned(),
        property,
        input,
        reason,
        worst,
    };
    match outcome {
        Ok(()) => Ok(Report {
            property,
            cases: cases.get(),
            worst: worst.get(),
        }),
        // The rerun may panic as the first run did (a panicking backend); proptest caught that
        // one and its reason says so.
        Err(TestError::Fail(reason, input)) => {
            Err(match catch_unwind(AssertUnwindSafe(|| case(&input))) {
                Ok(Err(e)) => failure(format!("{input:?}"), e.reason, e.worst),
                Ok(Ok(_)) | Err(_) => failure(format!("{input:?}"), reason.to_string(), None),
            })
        }
        Err(TestError::Abort(reason)) => Err(failure(
            "(none: the run was aborted)".into(),
            reason.to_string(),
            None,
        )),
    }
}

/// Runs one fixed case (hand-computed or golden values) as a property of one case.
pub(crate) fn run_fixed(
    property: &'static str,
    backend: &str,
    case: impl FnOnce() -> CaseResult,
) -> Result<Report, Failure> {
    let failure = |reason: String, worst| Failure {
        backend: backend.to_owned(),
        property,
        input: "(fixed cases)".into(),
        reason,
        worst,
    };
    match catch_unwind(AssertUnwindSafe(case)) {
        Ok(Ok(worst)) => Ok(Report {
            property,
            cases: 1,
            worst,
        }),
        Ok(Err(e)) => Err(failure(e.reason, e.worst)),
        Err(panic) => Err(failure(
            format!("panicked: {}", panic_message(panic.as_ref())),
            None,
        )),
    }
}

/// The message of a caught panic, if it is a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
