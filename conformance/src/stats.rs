//! Statistical bounds for the sampler checks, each at a false-alarm rate of about `1e-6` per
//! test so a correct sampler passes with fixed seeds and a wrong one fails.

use crate::tolerance::Discrepancy;

/// Standard deviations a sample mean or correlation may stray (two-sided `p ≈ 5.7e-7`).
const SIGMAS: f64 = 5.0;

/// Kolmogorov's `c(α)` for `α = 1e-6`: `P(√n D_n > c) ≈ 2 e^(−2c²) ≈ 1.04e-6` for `c = 2.69`.
const KS_C: f64 = 2.69;

/// The standard normal quantile at `1 − 1e-6`, for the chi-square bound.
const Z: f64 = 4.753;

/// The sample mean against `mean` with standard deviation `sd` per draw.
pub(crate) fn mean(samples: &[f64], expected: f64, sd: f64) -> Discrepancy {
    let n = samples.len() as f64;
    let m = samples.iter().sum::<f64>() / n;
    Discrepancy {
        error: (m - expected).abs(),
        allowed: SIGMAS * sd / n.sqrt(),
    }
}

/// The Kolmogorov–Smirnov distance `D = sup_x |F_n(x) − F(x)|` against the bound `c(α)/√n`.
pub(crate) fn kolmogorov_smirnov(samples: &[f64], cdf: impl Fn(f64) -> f64) -> Discrepancy {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let d = sorted
        .iter()
        .enumerate()
        .map(|(k, &x)| {
            let f = cdf(x);
            (f - k as f64 / n).max((k + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max);
    Discrepancy {
        error: d,
        allowed: KS_C / n.sqrt(),
    }
}

/// Pearson's correlation of `x` and `y` against `0`; under independence it is about
/// `N(0, 1/n)`.
pub(crate) fn correlation(x: &[f64], y: &[f64]) -> Discrepancy {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    let r = if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        1.0
    };
    Discrepancy {
        error: r.abs(),
        allowed: SIGMAS / n.sqrt(),
    }
}

/// Pearson's chi-square of `counts` against equal expected counts, bounded by the
/// Wilson–Hilferty approximation of the `1 − 1e-6` quantile of `χ²(k − 1)`.
pub(crate) fn chi_square_uniform(counts: &[usize]) -> Discrepancy {
    let k = counts.len() as f64;
    let n: usize = counts.iter().sum();
    let expected = n as f64 / k;
    let chi2: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    let dof = k - 1.0;
    let allowed = if dof > 0.0 {
        dof * (1.0 - 2.0 / (9.0 * dof) + Z * (2.0 / (9.0 * dof)).sqrt()).powi(3)
    } else {
        0.0
    };
    Discrepancy {
        error: chi2,
        allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_rejects_a_shifted_sample() {
        let n = 1000;
        let uniform: Vec<f64> = (0..n).map(|k| (k as f64 + 0.5) / n as f64).collect();
        assert!(kolmogorov_smirnov(&uniform, |x| x).passes());
        let squared: Vec<f64> = uniform.iter().map(|x| x * x).collect();
        assert!(!kolmogorov_smirnov(&squared, |x| x).passes());
    }

    #[test]
    fn chi_square_bound_matches_tables() {
        // χ²(9) at 1 − 1e-6 is 44.81 (mpmath: the root of the regularized lower incomplete
        // gamma P(4.5, x/2) = 1 − 1e-6); Wilson–Hilferty gives 45.96, slightly conservative.
        let d = chi_square_uniform(&[10; 10]);
        assert_eq!(d.error, 0.0);
        assert!((d.allowed - 44.81).abs() < 1.5, "{}", d.allowed);
        assert!(!chi_square_uniform(&[100, 0, 0, 0]).passes());
    }

    #[test]
    fn correlation_of_a_sample_with_itself_is_one() {
        let x: Vec<f64> = (0..100).map(f64::from).collect();
        assert!((correlation(&x, &x).error - 1.0).abs() < 1e-12);
    }
}
