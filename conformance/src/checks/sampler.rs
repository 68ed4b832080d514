//! Sampler statistics with fixed seeds (SPEC.md §3, §4): host-only, no backend involved.
//!
//! Each case draws [`DRAWS`] samples from one seed; the bounds of [`crate::stats`] have a
//! false-alarm rate of about `1e-6` per test, so with the default seed the suite is
//! reproducible and a wrong distribution fails.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use subspace_core::{
    Pair, Point, PointSchedule, Shape, Sharing, StepPoints, sample_point, sample_step,
};

use crate::compare::Comparisons;
use crate::harness::{SuiteConfig, run_property};
use crate::outcome::{CaseError, Failure, Report};
use crate::stats::{chi_square_uniform, correlation, kolmogorov_smirnov, mean};
use crate::tolerance::Discrepancy;

/// Samples per case.
pub const DRAWS: usize = 2000;

/// The name host-only checks report as their backend.
pub const HOST: &str = "host";

/// The coordinates of a point: `[a]` for curves, `t` for simplices, `[]` for the origin.
fn coordinates(point: &Point) -> Vec<f64> {
    match point {
        Point::Origin => Vec::new(),
        Point::Curve(a) => vec![a.get()],
        Point::Simplex(t) => t.coordinates().to_vec(),
    }
}

/// Records a statistic against its bound under a name.
fn statistic(cmp: &mut Comparisons, what: &str, d: Discrepancy) {
    cmp.record(|| format!("{what} statistic {:.4}", d.error), d);
}

/// The marginal CDF of coordinate `t_k` of `Dirichlet(1, .., 1)` on `n` vertices:
/// `Beta(1, n − 1)`, `F(x) = 1 − (1 − x)^(n − 1)` (uniform for `n = 2`).
fn beta_1_cdf(n: usize, x: f64) -> f64 {
    1.0 - (1.0 - x.clamp(0.0, 1.0)).powi(n as i32 - 1)
}

/// Curve coordinates `a` from `sample_point` (lines and Bezier curves) and from a shared
/// `PointSchedule` lie in `[0, 1)`, have mean 1/2 (5σ, `σ² = 1/12`) and pass a
/// Kolmogorov–Smirnov test against `Uniform(0, 1)`.
pub fn check_uniform_sampler(config: &SuiteConfig) -> Result<Report, Failure> {
    let shapes = prop_oneof![
        Just(Shape::Line),
        (1..=4usize).prop_map(|degree| Shape::Bezier { degree })
    ];
    run_property(
        "Uniform(0,1) curve points",
        HOST,
        config,
        (shapes, any::<u64>()),
        |(shape, seed): &(Shape, u64)| {
            let mut rng = ChaCha8Rng::seed_from_u64(*seed);
            let drawn = (0..DRAWS)
                .map(|_| Ok(coordinates(&sample_point(*shape, &mut rng)?)[0]))
                .collect::<Result<Vec<f64>, CaseError>>()?;
            let schedule = PointSchedule::new(*shape, Sharing::Shared, *seed);
            let scheduled = (0..DRAWS as u64)
                .map(|step| match schedule.points(step, 3)? {
                    StepPoints::Shared(p) => Ok(coordinates(&p)[0]),
                    StepPoints::Layerwise(_) => {
                        Err(CaseError::new("a shared schedule gave layerwise points"))
                    }
                })
                .collect::<Result<Vec<f64>, _>>()?;
            let mut cmp = Comparisons::new();
            for (what, a) in [("sample_point", &drawn), ("PointSchedule", &scheduled)] {
                cmp.require(a.iter().all(|x| (0.0..1.0).contains(x)), || {
                    format!("{what}: a outside [0, 1)")
                });
                statistic(
                    &mut cmp,
                    &format!("{what} mean"),
                    mean(a, 0.5, (1.0f64 / 12.0).sqrt()),
                );
                statistic(
                    &mut cmp,
                    &format!("{what} Kolmogorov-Smirnov"),
                    kolmogorov_smirnov(a, |x| x.clamp(0.0, 1.0)),
                );
            }
            cmp.finish()
        },
    )
}

/// Simplex points of `n` vertices (2 to 6) from `sample_point` lie on the simplex, each
/// coordinate has mean `1/n` (5σ, `σ² = (n − 1)/(n²(n + 1))`) and passes a Kolmogorov–Smirnov
/// test against the `Beta(1, n − 1)` marginal `F(x) = 1 − (1 − x)^(n − 1)`.
pub fn check_dirichlet_sampler(config: &SuiteConfig) -> Result<Report, Failure> {
    run_property(
        "Dirichlet(1..1) simplex points",
        HOST,
        config,
        (2..=6usize, any::<u64>()),
        |(n, seed): &(usize, u64)| {
            let n = *n;
            let mut rng = ChaCha8Rng::seed_from_u64(*seed);
            let points = (0..DRAWS)
                .map(|_| Ok(coordinates(&sample_point(Shape::simplex(n)?, &mut rng)?)))
                .collect::<Result<Vec<Vec<f64>>, CaseError>>()?;
            let mut cmp = Comparisons::new();
            cmp.require(
                points.iter().all(|t| {
                    t.len() == n
                        && t.iter().all(|&x| x >= 0.0)
                        && (t.iter().sum::<f64>() - 1.0).abs() <= 1e-12
                }),
                || format!("a point off the simplex of {n} vertices"),
            );
            let nf = n as f64;
            let sd = ((nf - 1.0) / (nf * nf * (nf + 1.0))).sqrt();
            for k in 0..n {
                let t: Vec<f64> = points.iter().map(|p| p[k]).collect();
                statistic(&mut cmp, &format!("t_{k} mean"), mean(&t, 1.0 / nf, sd));
                statistic(
                    &mut cmp,
                    &format!("t_{k} Kolmogorov-Smirnov vs Beta(1, {})", n - 1),
                    kolmogorov_smirnov(&t, |x| beta_1_cdf(n, x)),
                );
            }
            cmp.finish()
        },
    )
}

/// Layerwise points are independent across layers and steps: for a layerwise
/// `PointSchedule` and for `sample_step`, the first coordinates of every two layers are
/// uncorrelated (|r| ≤ 5/√n), consecutive steps too, and each layer is marginally
/// `Uniform(0, 1)` (line) or `Beta(1, 2)` (simplex of 3).
pub fn check_layerwise_independence(config: &SuiteConfig) -> Result<Report, Failure> {
    let shapes = prop_oneof![Just(Shape::Line), Just(Shape::Simplex { vertices: 3 })];
    run_property(
        "layerwise points independent",
        HOST,
        config,
        (shapes, 2..=5usize, any::<u64>()),
        |(shape, layers, seed): &(Shape, usize, u64)| {
            let layers = *layers;
            let schedule = PointSchedule::new(*shape, Sharing::Layerwise, *seed);
            let mut rng = ChaCha8Rng::seed_from_u64(*seed);
            let mut cmp = Comparisons::new();
            for source in ["PointSchedule", "sample_step"] {
                let mut per_layer = vec![Vec::with_capacity(DRAWS); layers];
                for step in 0..DRAWS as u64 {
                    let points = if source == "PointSchedule" {
                        schedule.points(step, layers)?
                    } else {
                        sample_step(*shape, Sharing::Layerwise, layers, &mut rng)?
                    };
                    let StepPoints::Layerwise(points) = points else {
                        return Err(CaseError::new(format!(
                            "{source}: layerwise sharing gave a shared point"
                        )));
                    };
                    cmp.require(points.len() == layers, || {
                        format!("{source}: {} points for {layers} layers", points.len())
                    });
                    for (l, p) in points.iter().take(layers).enumerate() {
                        per_layer[l].push(coordinates(p)[0]);
                    }
                }
                let marginal = |x: f64| beta_1_cdf(shape.copies(), x);
                for l in 0..layers {
                    statistic(
                        &mut cmp,
                        &format!("{source} layer {l} marginal"),
                        kolmogorov_smirnov(&per_layer[l], marginal),
                    );
                    for m in l + 1..layers {
                        statistic(
                            &mut cmp,
                            &format!("{source} correlation of layers {l} and {m}"),
                            correlation(&per_layer[l], &per_layer[m]),
                        );
                    }
                }
                let lag = &per_layer[0];
                statistic(
                    &mut cmp,
                    &format!("{source} correlation of consecutive steps"),
                    correlation(&lag[..DRAWS - 1], &lag[1..]),
                );
            }
            cmp.finish()
        },
    )
}

/// Regularizer pairs: `Pair::sample(m)` gives `i < j < m`, uniform over the `m(m−1)/2` pairs
/// (chi-square) for `m` from 2 to 7, `None` below 2; a line's schedule always gives `(0, 1)`
/// and a Bezier curve's schedule is uniform over pairs including its bends.
pub fn check_pair_sampler(config: &SuiteConfig) -> Result<Report, Failure> {
    run_property(
        "pairs uniform, (0,1) on a line",
        HOST,
        config,
        (2..=7usize, any::<u64>()),
        |(m, seed): &(usize, u64)| {
            let m = *m;
            let mut rng = ChaCha8Rng::seed_from_u64(*seed);
            let index = |p: Pair| p.i() * m + p.j();
            let mut cmp = Comparisons::new();
            cmp.require(
                Pair::sample(1, &mut rng).is_none() && Pair::sample(0, &mut rng).is_none(),
                || "a pair of fewer than 2 copies".into(),
            );
            let curve = PointSchedule::new(Shape::Bezier { degree: m - 1 }, Sharing::Shared, *seed);
            let line = PointSchedule::new(Shape::Line, Sharing::Shared, *seed);
            for source in ["Pair::sample", "PointSchedule::pair"] {
                let mut counts = vec![0usize; m * m];
                for step in 0..DRAWS as u64 {
                    let pair = if source == "Pair::sample" {
                        Pair::sample(m, &mut rng)
                    } else {
                        curve.pair(step)
                    };
                    let Some(p) = pair else {
                        return Err(CaseError::new(format!("{source}: no pair for {m} copies")));
                    };
                    cmp.require(p.i() < p.j() && p.j() < m, || {
                        format!("{source}: pair ({}, {}) for {m} copies", p.i(), p.j())
                    });
                    counts[index(p)] += 1;
                }
                let distinct: Vec<usize> = (0..m)
                    .flat_map(|i| (i + 1..m).map(move |j| (i, j)))
                    .map(|(i, j)| counts[i * m + j])
                    .collect();
                cmp.require(distinct.iter().sum::<usize>() == DRAWS, || {
                    format!("{source}: pairs outside i < j")
                });
                statistic(
                    &mut cmp,
                    &format!("{source} chi-square over {} pairs", distinct.len()),
                    chi_square_uniform(&distinct),
                );
            }
            for step in 0..DRAWS as u64 {
                let p = line.pair(step);
                cmp.require(p.map(|p| (p.i(), p.j())) == Some((0, 1)), || {
                    format!("line pair {p:?} at step {step}")
                });
            }
            cmp.finish()
        },
    )
}
