//! Distances between copies (SPEC.md §6, diversity): `copy_distance` on a backend against the
//! definitions.

use proptest::prelude::*;
use subspace_core::metrics::copy_distance;
use subspace_core::{Backend, Pair};

use crate::compare::Comparisons;
use crate::data::RegionSpec;
use crate::harness::{SuiteConfig, run_property};
use crate::oracle::concat;
use crate::outcome::{Failure, Report};
use crate::strategies::region_and_pair;
use crate::tolerance::Tolerance;

/// `copy_distance` over the regularized groups (or all groups) matches
/// `cos² = <a,b>² / (|a|²|b|²)` (0 when a copy is zero) and `|a − b|²` computed element by
/// element, within [`Tolerance::F32_REDUCTION`]. The L2 distance is compared squared, relative
/// to itself: core sums the squares of the difference `a − b`, whose `f32` elements are exact
/// or rounded relative to themselves, so close copies keep their distance.
pub fn check_copy_distance<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "copy cos² and L2",
        &B::name(device),
        config,
        (region_and_pair(), any::<bool>()),
        |((spec, pair), all_groups): &((RegionSpec, Pair), bool)| {
            let copies = spec.host();
            let region = spec.region::<B>(&copies, device)?;
            let d = copy_distance(&region, *pair, *all_groups)?;
            let include = |g: &crate::data::GroupSpec| *all_groups || g.regularized;
            let a = concat(&copies, &spec.groups, pair.i(), include);
            let b = concat(&copies, &spec.groups, pair.j(), include);
            let s: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let sq_a: f64 = a.iter().map(|x| x * x).sum();
            let sq_b: f64 = b.iter().map(|x| x * x).sum();
            let cos2 = if sq_a * sq_b > 0.0 {
                s * s / (sq_a * sq_b)
            } else {
                0.0
            };
            let sq_l2: f64 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
            let t = Tolerance::F32_REDUCTION;
            let mut cmp = Comparisons::new();
            cmp.value(t, || "copy cos²".into(), d.cos2, cos2, 1.0);
            cmp.value(t, || "copy L2²".into(), d.l2 * d.l2, sq_l2, sq_l2);
            cmp.require(d.l2 >= 0.0 && d.cos2 >= 0.0, || {
                format!("negative distance {d:?}")
            });
            cmp.finish()
        },
    )
}
