//! # subspace-conformance
//!
//! The conformance suite that holds every [`Backend`](subspace_core::Backend) of `subspace`
//! to the CPU reference (`subspace_reference::Reference`, the oracle) and to the math of
//! SPEC.md.
//!
//! Every property is a plain generic function, `check_*::<B>(device, config) ->
//! Result<Report, Failure>`, that runs random cases through proptest's `TestRunner`, compares
//! within a named [`Tolerance`], and on failure reports the property, the shrunk input (shape,
//! point, dims, seeds) and the worst error. Host-only checks (samplers, metrics) take only the
//! config. Golden vectors with provenance live in `conformance/golden/`.
//!
//! # Testing a backend
//!
//! One line in a test file gives one `#[test]` per property:
//!
//! ```
//! subspace_conformance::backend_tests!(
//!     reference,
//!     subspace_reference::Reference,
//!     subspace_reference::Cpu
//! );
//! ```
//!
//! The arguments are a module name, the backend type and an expression for its device.
//! `PROPTEST_CASES` sets the cases per property (default [`DEFAULT_CASES`]) and
//! `PROPTEST_RNG_SEED` the seed (default [`DEFAULT_SEED`], so runs are reproducible).
//!
//! # The CLI
//!
//! `cargo run -p subspace-conformance` runs [`run_host_suite`] and [`run_suite`] for every
//! backend compiled in and prints [`render_table`]; it exits non-zero if any check fails.
//! A backend behind a cargo feature joins with one line in `src/main.rs`.

#![deny(missing_docs)]

mod checks;
mod compare;
mod data;
mod harness;
mod oracle;
mod outcome;
mod stats;
pub mod strategies;
mod suite;
mod tolerance;

pub use checks::*;
pub use data::{GroupSpec, RegionCase, RegionSpec, TensorSpec};
pub use harness::{DEFAULT_CASES, DEFAULT_SEED, SuiteConfig};
pub use outcome::{Failure, Report};
pub use suite::{Row, render_table, run_host_suite, run_suite};
pub use tolerance::{Discrepancy, Tolerance};

/// Expands to one `#[test]` per backend check for a backend type and a device expression:
/// `backend_tests!(module_name, BackendType, device_expression);`.
///
/// Each test runs its check with [`SuiteConfig::from_env`] and panics with the
/// [`Failure`] (property, input, worst error) if it fails.
#[macro_export]
macro_rules! backend_tests {
    ($name:ident, $backend:ty, $device:expr $(,)?) => {
        $crate::__backend_checks!(__backend_tests {
            $name,
            $backend,
            $device
        });
    };
}

/// The list of backend checks, `test_name => check_function`, handed to `$callback`; the
/// single source of both [`backend_tests!`] and [`run_suite`].
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_checks {
    ($callback:ident { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            mix => check_mix,
            vertices_exact => check_vertices_exact,
            partition_of_unity => check_partition_of_unity,
            shape_agreement => check_shape_agreement,
            determinism => check_determinism,
            shared_inputs_kept => check_shared_inputs_kept,
            scatter => check_scatter,
            scatter_finite_differences => check_scatter_finite_differences,
            cos2 => check_cos2,
            cos2_finite_differences => check_cos2_finite_differences,
            cos2_invariants => check_cos2_invariants,
            cos2_orthogonal_parallel => check_cos2_orthogonal_parallel,
            cos2_zero_norm => check_cos2_zero_norm,
            mix_with_cos2 => check_mix_with_cos2,
            copy_gradients => check_copy_gradients,
            sgd_step => check_sgd_step,
            copy_distance => check_copy_distance,
            swa => check_swa,
            ema => check_ema,
            golden => check_golden,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __backend_tests {
    ({ $name:ident, $backend:ty, $device:expr } $($test:ident => $check:ident,)*) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    let device = $device;
                    let config = $crate::SuiteConfig::from_env();
                    if let Err(failure) = $crate::$check::<$backend>(&device, &config) {
                        panic!("{failure}");
                    }
                }
            )*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_rows {
    ({ $backend:ty, $device:expr, $config:expr, $name:expr } $($test:ident => $check:ident,)*) => {
        vec![
            $($crate::Row::timed(&$name, || $crate::$check::<$backend>($device, $config)),)*
        ]
    };
}
