//! Evaluation metrics (SPEC.md §6): host-only, against independent `f64` computations on
//! random batches and against values computed by hand.

use proptest::collection::vec;
use proptest::prelude::*;
use subspace_core::metrics::{
    Combine, DEFAULT_ECE_BINS, Logits, accuracy, calibration, disagreement, ensemble,
    mean_total_variation, nll,
};

use crate::checks::sampler::HOST;
use crate::compare::Comparisons;
use crate::harness::{SuiteConfig, run_fixed, run_property};
use crate::outcome::{Failure, Report};
use crate::tolerance::Tolerance;

/// Two members' logits over the same batch and the labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Examples.
    pub rows: usize,
    /// Classes.
    pub classes: usize,
    /// First member, row-major.
    pub first: Vec<f32>,
    /// Second member, row-major.
    pub second: Vec<f32>,
    /// One label per example.
    pub labels: Vec<usize>,
}

/// 1 to 40 examples over 1 to 10 classes, logits in `[-20, 20]` with some exact ties at 0.
fn batch() -> impl Strategy<Value = Batch> {
    (1..=40usize, 1..=10usize).prop_flat_map(|(rows, classes)| {
        let logit = || {
            vec(
                prop_oneof![9 => -20.0..=20.0f32, 1 => Just(0.0f32)],
                rows * classes,
            )
        };
        (logit(), logit(), vec(0..classes, rows)).prop_map(move |(first, second, labels)| Batch {
            rows,
            classes,
            first,
            second,
            labels,
        })
    })
}

/// `softmax(z)_k = e^(z_k − max z) / Σ_j e^(z_j − max z)`.
fn softmax(row: &[f32]) -> Vec<f64> {
    let max = row
        .iter()
        .map(|&z| f64::from(z))
        .fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = row.iter().map(|&z| (f64::from(z) - max).exp()).collect();
    let total: f64 = e.iter().sum();
    e.iter().map(|x| x / total).collect()
}

/// The first index of the largest logit.
fn predicted(row: &[f32]) -> usize {
    let mut best = 0;
    for (k, &z) in row.iter().enumerate() {
        if z > row[best] {
            best = k;
        }
    }
    best
}

/// Accuracy, NLL (`ln Σ_j e^(z_j − z_y)`), 20-bin ECE, disagreement, mean total variation
/// and the three ensembles match independent host computations: counts exactly, `f64` values
/// within [`Tolerance::F64`] (magnitude: the size of the summed terms), ensemble logits within
/// [`Tolerance::F32`], and the probability-mean ensemble's softmax within `F32` of the mean of
/// the members' softmaxes.
pub fn check_metrics(config: &SuiteConfig) -> Result<Report, Failure> {
    run_property("metrics vs host", HOST, config, batch(), |b: &Batch| {
        let first = Logits::new(b.rows, b.classes, b.first.clone())?;
        let second = Logits::new(b.rows, b.classes, b.second.clone())?;
        let n = b.rows as f64;
        let rows = |x: &[f32]| x.chunks(b.classes).map(<[f32]>::to_vec).collect::<Vec<_>>();
        let (r1, r2) = (rows(&b.first), rows(&b.second));
        let mut cmp = Comparisons::new();
        let t = Tolerance::F64;

        let correct = r1
            .iter()
            .zip(&b.labels)
            .filter(|&(r, &y)| predicted(r) == y)
            .count();
        cmp.value(
            t,
            || "accuracy".into(),
            accuracy(&first, &b.labels)?,
            correct as f64 / n,
            0.0,
        );

        let losses: Vec<f64> = r1
            .iter()
            .zip(&b.labels)
            .map(|(r, &y)| {
                r.iter()
                    .map(|&z| (f64::from(z) - f64::from(r[y])).exp())
                    .sum::<f64>()
                    .ln()
            })
            .collect();
        let size = r1
            .iter()
            .flatten()
            .map(|z| f64::from(z.abs()))
            .fold(0.0, f64::max);
        cmp.value(
            t,
            || "NLL".into(),
            nll(&first, &b.labels)?,
            losses.iter().sum::<f64>() / n,
            2.0 * size + 1.0,
        );

        let mut gaps = [0.0; DEFAULT_ECE_BINS];
        let mut counts = vec![0usize; DEFAULT_ECE_BINS];
        for (r, &y) in r1.iter().zip(&b.labels) {
            let p = softmax(r);
            let conf = p.iter().copied().fold(0.0, f64::max);
            let bin = ((conf * DEFAULT_ECE_BINS as f64).floor() as usize).min(DEFAULT_ECE_BINS - 1);
            gaps[bin] += f64::from(u8::from(predicted(r) == y)) - conf;
            counts[bin] += 1;
        }
        let ece = gaps.iter().map(|g| g.abs()).sum::<f64>() / n;
        let cal = calibration(&first, &b.labels, DEFAULT_ECE_BINS)?;
        cmp.value(t, || "ECE".into(), cal.ece, ece, 1.0);
        let got: Vec<usize> = cal.bins.iter().map(|bin| bin.count).collect();
        cmp.require(got == counts, || {
            format!("ECE bin counts {got:?}, expected {counts:?}")
        });

        let differ = r1
            .iter()
            .zip(&r2)
            .filter(|(a, c)| predicted(a) != predicted(c))
            .count();
        cmp.value(
            t,
            || "disagreement".into(),
            disagreement(&first, &second)?,
            differ as f64 / n,
            0.0,
        );
        let tv: f64 = r1
            .iter()
            .zip(&r2)
            .map(|(a, c)| {
                0.5 * softmax(a)
                    .iter()
                    .zip(softmax(c))
                    .map(|(p, q)| (p - q).abs())
                    .sum::<f64>()
            })
            .sum::<f64>()
            / n;
        cmp.value(
            t,
            || "mean total variation".into(),
            mean_total_variation(&first, &second)?,
            tv,
            1.0,
        );

        let members = [first.clone(), second.clone()];
        for (combine, scale) in [(Combine::LogitMean, 0.5), (Combine::LogitSum, 1.0)] {
            let e = ensemble(&members, combine)?;
            let expected: Vec<f64> = b
                .first
                .iter()
                .zip(&b.second)
                .map(|(x, y)| scale * (f64::from(*x) + f64::from(*y)))
                .collect();
            let magnitude: Vec<f64> = expected.iter().map(|x| x.abs()).collect();
            cmp.tensor(
                Tolerance::F32,
                &format!("{combine:?} ensemble"),
                e.data(),
                &expected,
                &magnitude,
            );
        }
        let e = ensemble(&members, Combine::ProbabilityMean)?;
        for (k, ((row, a), c)) in rows(e.data()).iter().zip(&r1).zip(&r2).enumerate() {
            let mean: Vec<f64> = softmax(a)
                .iter()
                .zip(softmax(c))
                .map(|(p, q)| 0.5 * (p + q))
                .collect();
            let got: Vec<f32> = softmax(row).iter().map(|&p| p as f32).collect();
            cmp.tensor(
                Tolerance::F32,
                &format!("softmax of the probability-mean ensemble, row {k}"),
                &got,
                &mean,
                &vec![1.0; b.classes],
            );
        }
        let single = ensemble(std::slice::from_ref(&first), Combine::LogitMean)?;
        cmp.require(single == first, || {
            "a one-member logit-mean ensemble differs from the member".into()
        });
        cmp.finish()
    })
}

/// Metrics on batches small enough to compute by hand (each case's comment shows the
/// arithmetic); compared within [`Tolerance::F64`].
pub fn check_metrics_by_hand() -> Result<Report, Failure> {
    run_fixed("metrics by hand", HOST, || {
        let t = Tolerance::F64;
        let mut cmp = Comparisons::new();
        // Two examples, two classes. Row 0: logits (0, 0) → p = (½, ½), predicted 0 (first
        // maximum), label 0: correct, confidence ½. Row 1: logits (0, 2), label 0: predicted 1,
        // wrong, confidence e²/(1+e²).
        let logits = Logits::new(2, 2, vec![0.0, 0.0, 0.0, 2.0])?;
        let labels = [0, 0];
        let e2 = 2f64.exp();
        let conf1 = e2 / (1.0 + e2);
        cmp.value(
            t,
            || "accuracy".into(),
            accuracy(&logits, &labels)?,
            0.5,
            0.0,
        );
        // NLL = ½ (ln 2 + ln(1 + e²)), since −ln p_0 = ln(1 + e²) in row 1.
        let expected_nll = 0.5 * (2f64.ln() + (1.0 + e2).ln());
        cmp.value(
            t,
            || "NLL".into(),
            nll(&logits, &labels)?,
            expected_nll,
            2.0,
        );
        // Bins of width 1/20: ½ falls in bin 10 with gap 1 − ½ = ½; conf1 ≈ 0.881 in bin 17
        // with gap 0 − conf1. ECE = (½ + conf1) / 2.
        let cal = calibration(&logits, &labels, DEFAULT_ECE_BINS)?;
        cmp.value(t, || "ECE".into(), cal.ece, (0.5 + conf1) / 2.0, 1.0);
        cmp.require(cal.bins[10].count == 1 && cal.bins[17].count == 1, || {
            format!("bins {:?}", cal.bins)
        });
        // One bin: ECE = |(1 + 0) − (½ + conf1)| / 2.
        let one = calibration(&logits, &labels, 1)?;
        cmp.value(
            t,
            || "ECE with one bin".into(),
            one.ece,
            (0.5 + conf1 - 1.0).abs() / 2.0,
            1.0,
        );
        // A second member (2, 0), (0, 2): predictions 0 and 1 agree with the first's 0 and 1
        // → disagreement 0. Row 0: p = (½, ½) vs q = (conf1, 1 − conf1), TV = conf1 − ½;
        // row 1: identical, TV 0. Mean TV = (conf1 − ½)/2.
        let other = Logits::new(2, 2, vec![2.0, 0.0, 0.0, 2.0])?;
        cmp.value(
            t,
            || "disagreement".into(),
            disagreement(&logits, &other)?,
            0.0,
            0.0,
        );
        cmp.value(
            t,
            || "mean total variation".into(),
            mean_total_variation(&logits, &other)?,
            (conf1 - 0.5) / 2.0,
            1.0,
        );
        // Logit mean: (1, 0), (0, 2); sum: (2, 0), (0, 4) — exact in f32.
        let members = [logits.clone(), other];
        let mean = ensemble(&members, Combine::LogitMean)?;
        let sum = ensemble(&members, Combine::LogitSum)?;
        cmp.require(mean.data() == [1.0, 0.0, 0.0, 2.0], || {
            format!("logit mean {:?}", mean.data())
        });
        cmp.require(sum.data() == [2.0, 0.0, 0.0, 4.0], || {
            format!("logit sum {:?}", sum.data())
        });
        // Probability mean, row 0: p̄_0 = (½ + conf1)/2, stored as ln p̄_0.
        let prob = ensemble(&members, Combine::ProbabilityMean)?;
        let p0 = (0.5 + conf1) / 2.0;
        cmp.value(
            Tolerance::F32,
            || "ln p̄_0 of the probability mean".into(),
            f64::from(prob.data()[0]),
            p0.ln(),
            1.0,
        );
        // Errors, not panics, on bad input.
        cmp.require(calibration(&logits, &labels, 0).is_err(), || {
            "0 ECE bins accepted".into()
        });
        cmp.require(accuracy(&logits, &[0, 2]).is_err(), || {
            "label 2 of 2 classes accepted".into()
        });
        cmp.require(Logits::new(1, 2, vec![0.0, f32::NAN]).is_err(), || {
            "a NaN logit accepted".into()
        });
        cmp.finish()
    })
}
