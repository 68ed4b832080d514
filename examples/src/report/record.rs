//! What one evaluated method produced for one seed and one condition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use subspace_core::metrics::CalibrationBin;

use crate::experiment::Method;

/// A training budget and a label-noise level: one cell of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Training epochs.
    pub epochs: usize,
    /// Fraction of corrupted training labels.
    pub label_noise: f64,
}

impl Condition {
    /// The name of the condition in file names, with the exact noise level:
    /// `{epochs}ep-noise{p}` (`3ep-noise0`, `3ep-noise0.2`, `3ep-noise0.004`), the same in
    /// unit, region and figure files.
    pub fn slug(&self) -> String {
        format!("{}ep-noise{}", self.epochs, self.label_noise)
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.label_noise > 0.0 {
            write!(
                f,
                "{} epochs, label noise {}",
                self.epochs, self.label_noise
            )
        } else {
            write!(f, "{} epochs, clean labels", self.epochs)
        }
    }
}

/// A scalar measured on the test set (or on the weights).
///
/// "The model" of a method is its single prediction: the midpoint (centroid) of a region, the
/// trained or averaged model of standard/SWA/EMA, the two-model ensemble of `ensemble`, and the
/// midpoint of `independent-line`. "Endpoints" are the members of a region's ensemble (a = 0
/// and 1 of a line or curve; for a simplex, seeded Dirichlet(1, .., 1) points, as many as it
/// has vertices), or the two independent models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Accuracy of the model (BatchNorm recalibrated).
    Accuracy,
    /// Mean negative log-likelihood of the model.
    Nll,
    /// Expected calibration error of the model.
    Ece,
    /// Accuracy of the model with the BatchNorm statistics left from training.
    AccuracyNoRecalibration,
    /// Mean accuracy of the endpoints with the BatchNorm statistics left from training (the
    /// same endpoints as [`Metric::EndpointAccuracy`]).
    EndpointAccuracyNoRecalibration,
    /// Mean accuracy of the endpoints.
    EndpointAccuracy,
    /// Accuracy of the best endpoint.
    BestEndpointAccuracy,
    /// Mean ECE of the endpoints.
    EndpointEce,
    /// Accuracy of the endpoint ensemble (mean of logits).
    EnsembleAccuracy,
    /// NLL of the endpoint ensemble.
    EnsembleNll,
    /// ECE of the endpoint ensemble.
    EnsembleEce,
    /// Endpoint-ensemble accuracy minus mean endpoint accuracy.
    EnsembleGain,
    /// cos² between copies (mean over pairs), over the regularized weights.
    Cos2,
    /// L2 distance between copies (mean over pairs), over the regularized weights.
    L2,
    /// Fraction of test examples on which two endpoints disagree (mean over pairs).
    Disagreement,
    /// Mean total-variation distance between endpoints' softmax outputs (mean over pairs).
    TotalVariation,
    /// Largest drop of accuracy along the grid below the chord between the endpoints:
    /// `max_a [(1 − a) acc(0) + a acc(1) − acc(a)]`.
    Barrier,
}

/// Every metric, in report order.
pub const ALL_METRICS: [Metric; 17] = [
    Metric::Accuracy,
    Metric::Nll,
    Metric::Ece,
    Metric::AccuracyNoRecalibration,
    Metric::EndpointAccuracyNoRecalibration,
    Metric::EndpointAccuracy,
    Metric::BestEndpointAccuracy,
    Metric::EndpointEce,
    Metric::EnsembleAccuracy,
    Metric::EnsembleNll,
    Metric::EnsembleEce,
    Metric::EnsembleGain,
    Metric::Cos2,
    Metric::L2,
    Metric::Disagreement,
    Metric::TotalVariation,
    Metric::Barrier,
];

impl Metric {
    /// The same accuracy of the same models with the BatchNorm statistics left from training,
    /// for the accuracies that have one: the control of claim 2.
    pub fn without_recalibration(self) -> Option<Self> {
        match self {
            Self::Accuracy => Some(Self::AccuracyNoRecalibration),
            Self::EndpointAccuracy => Some(Self::EndpointAccuracyNoRecalibration),
            _ => None,
        }
    }

    /// A short column header.
    pub fn header(self) -> &'static str {
        match self {
            Self::Accuracy => "acc",
            Self::Nll => "NLL",
            Self::Ece => "ECE",
            Self::AccuracyNoRecalibration => "acc, no BN recal",
            Self::EndpointAccuracyNoRecalibration => "end acc, no BN recal",
            Self::EndpointAccuracy => "end acc",
            Self::BestEndpointAccuracy => "best end acc",
            Self::EndpointEce => "end ECE",
            Self::EnsembleAccuracy => "ens acc",
            Self::EnsembleNll => "ens NLL",
            Self::EnsembleEce => "ens ECE",
            Self::EnsembleGain => "ens gain",
            Self::Cos2 => "cos²",
            Self::L2 => "L2",
            Self::Disagreement => "disagree",
            Self::TotalVariation => "TV",
            Self::Barrier => "barrier",
        }
    }

    /// Whether the metric is a fraction best shown in percent.
    pub fn is_percentage(self) -> bool {
        matches!(
            self,
            Self::Accuracy
                | Self::Ece
                | Self::AccuracyNoRecalibration
                | Self::EndpointAccuracyNoRecalibration
                | Self::EndpointAccuracy
                | Self::BestEndpointAccuracy
                | Self::EndpointEce
                | Self::EnsembleAccuracy
                | Self::EnsembleEce
                | Self::EnsembleGain
                | Self::Disagreement
                | Self::TotalVariation
                | Self::Barrier
        )
    }
}

/// A reliability-diagram bin that serializes (counts summed over seeds stay exact).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Bin {
    /// Examples whose max softmax confidence fell in the bin.
    pub count: usize,
    /// Sum of their confidences.
    pub confidence_sum: f64,
    /// How many of them were classified correctly.
    pub correct: usize,
}

impl From<CalibrationBin> for Bin {
    fn from(b: CalibrationBin) -> Self {
        Self {
            count: b.count,
            confidence_sum: b.confidence_sum,
            correct: b.correct,
        }
    }
}

/// One method, one seed, one condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The method.
    pub method: Method,
    /// The training seed.
    pub seed: u64,
    /// Budget and label noise.
    pub condition: Condition,
    /// The scalars measured.
    pub metrics: BTreeMap<Metric, f64>,
    /// Accuracy at the grid points `a = k/(n−1)`, for the methods evaluated along a grid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub along: Option<Vec<f64>>,
    /// Ensemble accuracy of the symmetric pairs `(a, 1 − a)`, `a = k/(n−1) < 1/2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Vec<f64>>,
    /// Reliability bins of the model.
    pub reliability: Vec<Bin>,
    /// Reliability bins of the endpoint ensemble, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble_reliability: Option<Vec<Bin>>,
    /// Training wall time of the run(s) the method was read from, in seconds.
    pub train_seconds: f64,
}

/// `max_k [(1 − a_k) acc_0 + a_k acc_{n−1} − acc_k]` over a uniform grid (0 if no drop).
pub fn barrier(along: &[f64]) -> f64 {
    let (Some(&first), Some(&last)) = (along.first(), along.last()) else {
        return 0.0;
    };
    let n = along.len();
    along
        .iter()
        .enumerate()
        .map(|(k, &acc)| {
            let a = if n > 1 {
                k as f64 / (n - 1) as f64
            } else {
                0.0
            };
            (1.0 - a) * first + a * last - acc
        })
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_the_exact_noise_level() {
        let c = |epochs, label_noise| Condition {
            epochs,
            label_noise,
        };
        assert_eq!(c(3, 0.0).slug(), "3ep-noise0");
        assert_eq!(c(3, 0.2).slug(), "3ep-noise0.2");
        // Rounding to whole percent would give `noise0`, the clean condition's name.
        assert_eq!(c(3, 0.004).slug(), "3ep-noise0.004");
        assert_ne!(c(3, 0.004).slug(), c(3, 0.0).slug());
    }

    #[test]
    fn barrier_is_the_largest_drop_below_the_chord() {
        assert_eq!(barrier(&[0.9, 0.9, 0.9]), 0.0);
        // A line above its chord has no barrier.
        assert_eq!(barrier(&[0.8, 0.95, 0.9]), 0.0);
        // Chord at the middle: (0.8 + 0.9)/2 = 0.85; accuracy 0.5 → barrier 0.35.
        assert!((barrier(&[0.8, 0.5, 0.9]) - 0.35).abs() < 1e-12);
        assert!((barrier(&[0.9, 0.85, 0.6, 0.85, 0.9]) - 0.3).abs() < 1e-12);
        assert_eq!(barrier(&[]), 0.0);
    }
}
