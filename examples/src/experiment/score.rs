//! Metrics of evaluated points, from their test logits, through `subspace_core::metrics`.

use std::collections::BTreeMap;

use subspace_core::metrics::{
    Calibration, Combine, Logits, accuracy, calibration, disagreement, ensemble,
    mean_total_variation, nll,
};

use crate::report::{Bin, Metric, barrier};

/// One evaluated model: its test logits and their accuracy, NLL and calibration.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Test logits.
    pub logits: Logits,
    /// Accuracy.
    pub accuracy: f64,
    /// Mean negative log-likelihood.
    pub nll: f64,
    /// ECE and its bins.
    pub calibration: Calibration,
}

impl Scored {
    /// Scores `logits` against `labels` with `bins` ECE bins.
    pub fn new(logits: Logits, labels: &[usize], bins: usize) -> subspace_core::Result<Self> {
        Ok(Self {
            accuracy: accuracy(&logits, labels)?,
            nll: nll(&logits, labels)?,
            calibration: calibration(&logits, labels, bins)?,
            logits,
        })
    }

    /// Accuracy, NLL and ECE as the model's metrics.
    pub fn model_metrics(&self) -> [(Metric, f64); 3] {
        [
            (Metric::Accuracy, self.accuracy),
            (Metric::Nll, self.nll),
            (Metric::Ece, self.calibration.ece),
        ]
    }

    /// The reliability bins.
    pub fn bins(&self) -> Vec<Bin> {
        self.calibration
            .bins
            .iter()
            .copied()
            .map(Bin::from)
            .collect()
    }
}

/// The logit-mean ensemble of `members`, scored.
pub fn ensemble_of(
    members: &[&Scored],
    labels: &[usize],
    bins: usize,
) -> subspace_core::Result<Scored> {
    let logits: Vec<Logits> = members.iter().map(|m| m.logits.clone()).collect();
    Scored::new(ensemble(&logits, Combine::LogitMean)?, labels, bins)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n.max(1) as f64
}

/// Endpoint metrics: mean, best and ECE of the endpoints, their ensemble (accuracy, NLL, ECE,
/// gain over the mean endpoint), and disagreement and total variation (mean over pairs).
/// Also returns the scored ensemble.
pub fn endpoint_metrics(
    endpoints: &[&Scored],
    labels: &[usize],
    bins: usize,
) -> subspace_core::Result<(BTreeMap<Metric, f64>, Scored)> {
    let ens = ensemble_of(endpoints, labels, bins)?;
    let mean_acc = mean(endpoints.iter().map(|e| e.accuracy));
    let pairs: Vec<(&Scored, &Scored)> = endpoints
        .iter()
        .enumerate()
        .flat_map(|(i, a)| endpoints[i + 1..].iter().map(move |b| (*a, *b)))
        .collect();
    let mut disagree = Vec::with_capacity(pairs.len());
    let mut tv = Vec::with_capacity(pairs.len());
    for (a, b) in &pairs {
        disagree.push(disagreement(&a.logits, &b.logits)?);
        tv.push(mean_total_variation(&a.logits, &b.logits)?);
    }
    let metrics = BTreeMap::from([
        (Metric::EndpointAccuracy, mean_acc),
        (
            Metric::BestEndpointAccuracy,
            endpoints
                .iter()
                .map(|e| e.accuracy)
                .fold(f64::NEG_INFINITY, f64::max),
        ),
        (
            Metric::EndpointEce,
            mean(endpoints.iter().map(|e| e.calibration.ece)),
        ),
        (Metric::EnsembleAccuracy, ens.accuracy),
        (Metric::EnsembleNll, ens.nll),
        (Metric::EnsembleEce, ens.calibration.ece),
        (Metric::EnsembleGain, ens.accuracy - mean_acc),
        (Metric::Disagreement, mean(disagree.into_iter())),
        (Metric::TotalVariation, mean(tv.into_iter())),
    ]);
    Ok((metrics, ens))
}

/// The controls of claim 2 (SPEC.md §5): `model` and `endpoints` scored with the BatchNorm
/// statistics left from training give the no-recalibration accuracy of the model and the mean
/// over the endpoints, the counterparts of [`Metric::Accuracy`] and [`Metric::EndpointAccuracy`]
/// (a mean over the same endpoints as the latter).
pub fn no_recalibration_metrics(model: &Scored, endpoints: &[&Scored]) -> [(Metric, f64); 2] {
    [
        (Metric::AccuracyNoRecalibration, model.accuracy),
        (
            Metric::EndpointAccuracyNoRecalibration,
            mean(endpoints.iter().map(|e| e.accuracy)),
        ),
    ]
}

/// Along a grid `a_k = k/(n−1)`: the accuracy at every point, the ensemble accuracy of every
/// symmetric pair `(a_k, a_{n−1−k})` with `a_k < 1/2`, and the barrier.
pub fn grid_metrics(
    along: &[Scored],
    labels: &[usize],
    bins: usize,
) -> subspace_core::Result<(Vec<f64>, Vec<f64>, f64)> {
    let acc: Vec<f64> = along.iter().map(|s| s.accuracy).collect();
    let n = along.len();
    let pairs = (0..n / 2)
        .map(|k| Ok(ensemble_of(&[&along[k], &along[n - 1 - k]], labels, bins)?.accuracy))
        .collect::<subspace_core::Result<Vec<f64>>>()?;
    let b = barrier(&acc);
    Ok((acc, pairs, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logits for 4 examples and 2 classes predicting `preds` with margin `m`.
    fn scored(preds: [usize; 4], m: f32, labels: &[usize]) -> Scored {
        let data = preds
            .iter()
            .flat_map(|&p| if p == 0 { [m, 0.0] } else { [0.0, m] })
            .collect();
        Scored::new(Logits::new(4, 2, data).unwrap(), labels, 10).unwrap()
    }

    const LABELS: [usize; 4] = [0, 0, 1, 1];

    #[test]
    fn endpoint_metrics_measure_ensemble_and_diversity() {
        let a = scored([0, 0, 1, 0], 2.0, &LABELS); // 3/4 right
        let b = scored([0, 1, 1, 1], 1.0, &LABELS); // 3/4 right, differs from a on 2 examples
        let (m, ens) = endpoint_metrics(&[&a, &b], &LABELS, 10).unwrap();
        assert_eq!(m[&Metric::EndpointAccuracy], 0.75);
        assert_eq!(m[&Metric::BestEndpointAccuracy], 0.75);
        assert_eq!(m[&Metric::Disagreement], 0.5);
        // Mean logits: example 1 → (1, 0.5) → class 0 right; example 3 → (1, 0.5) → class 0 wrong.
        assert_eq!(ens.accuracy, 0.75);
        assert_eq!(m[&Metric::EnsembleGain], 0.0);
        assert!(m[&Metric::TotalVariation] > 0.0);
    }

    #[test]
    fn the_no_recalibration_control_averages_every_endpoint_like_the_recalibrated_one() {
        let model = scored([0, 0, 1, 1], 1.0, &LABELS); // 4/4 right
        let a = scored([0, 0, 1, 0], 1.0, &LABELS); // 3/4 right
        let b = scored([1, 1, 1, 0], 1.0, &LABELS); // 1/4 right
        let control: BTreeMap<Metric, f64> = no_recalibration_metrics(&model, &[&a, &b])
            .into_iter()
            .collect();
        assert_eq!(control[&Metric::AccuracyNoRecalibration], 1.0);
        // The mean of both endpoints, not endpoint 0 alone (0.75).
        assert_eq!(control[&Metric::EndpointAccuracyNoRecalibration], 0.5);
        let (recalibrated, _) = endpoint_metrics(&[&a, &b], &LABELS, 10).unwrap();
        assert_eq!(
            recalibrated[&Metric::EndpointAccuracy],
            control[&Metric::EndpointAccuracyNoRecalibration]
        );
    }

    #[test]
    fn grid_pairs_are_symmetric_and_the_barrier_reads_the_chord() {
        let good = scored([0, 0, 1, 1], 1.0, &LABELS);
        let bad = scored([1, 1, 0, 0], 1.0, &LABELS);
        let along = [good.clone(), bad.clone(), good.clone()];
        let (acc, pairs, b) = grid_metrics(&along, &LABELS, 10).unwrap();
        assert_eq!(acc, vec![1.0, 0.0, 1.0]);
        assert_eq!(pairs, vec![1.0]); // (a=0, a=1): two good models
        assert_eq!(b, 1.0);
    }
}
