//! Mean and standard deviation over seeds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::record::{Bin, Condition, Metric, Record};
use crate::experiment::Method;

/// Mean and sample standard deviation of values over seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// `x̄ = (1/n) Σ x_i`.
    pub mean: f64,
    /// `sqrt(Σ (x_i − x̄)² / (n − 1))`, 0 for a single value.
    pub std: f64,
    /// `n`, the number of seeds.
    pub n: usize,
}

impl Stat {
    /// The statistics of `values`, or `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Self> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Self { mean, std, n })
    }
}

/// One method under one condition, summarised over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The method.
    pub method: Method,
    /// Budget and label noise.
    pub condition: Condition,
    /// Each metric measured for every seed.
    pub metrics: BTreeMap<Metric, Stat>,
    /// Accuracy along the grid, point by point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub along: Option<Vec<Stat>>,
    /// Symmetric-pair ensemble accuracy, pair by pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairs: Option<Vec<Stat>>,
    /// Reliability bins of the model, summed over seeds.
    pub reliability: Vec<Bin>,
    /// Reliability bins of the endpoint ensemble, summed over seeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ensemble_reliability: Option<Vec<Bin>>,
}

/// The records of `method` under `condition`.
pub fn records_of(
    records: &[Record],
    method: Method,
    condition: Condition,
) -> impl Iterator<Item = &Record> {
    records
        .iter()
        .filter(move |r| r.method == method && r.condition == condition)
}

/// Pointwise statistics of equal-length series; `None` when absent from any record.
fn series_stats(series: Vec<Option<&Vec<f64>>>) -> Option<Vec<Stat>> {
    let series: Vec<&Vec<f64>> = series.into_iter().collect::<Option<_>>()?;
    let len = series.first()?.len();
    (0..len)
        .map(|k| Stat::of(&series.iter().map(|s| s[k]).collect::<Vec<_>>()))
        .collect()
}

fn sum_bins<'a>(bins: impl Iterator<Item = &'a Vec<Bin>>) -> Vec<Bin> {
    let mut total: Vec<Bin> = Vec::new();
    for b in bins {
        if total.is_empty() {
            total = vec![Bin::default(); b.len()];
        }
        for (t, x) in total.iter_mut().zip(b) {
            t.count += x.count;
            t.confidence_sum += x.confidence_sum;
            t.correct += x.correct;
        }
    }
    total
}

/// Summarises the records of `method` under `condition`; `None` when there are none.
///
/// A metric is summarised only when every seed measured it.
pub fn summarise(records: &[Record], method: Method, condition: Condition) -> Option<Summary> {
    let rs: Vec<&Record> = records_of(records, method, condition).collect();
    let first = rs.first()?;
    let metrics = first
        .metrics
        .keys()
        .filter_map(|&m| {
            let values: Option<Vec<f64>> = rs.iter().map(|r| r.metrics.get(&m).copied()).collect();
            Some((m, Stat::of(&values?)?))
        })
        .collect();
    let ensemble_reliability = rs
        .iter()
        .map(|r| r.ensemble_reliability.as_ref())
        .collect::<Option<Vec<_>>>()
        .map(|b| sum_bins(b.into_iter()));
    Some(Summary {
        method,
        condition,
        metrics,
        along: series_stats(rs.iter().map(|r| r.along.as_ref()).collect()),
        pairs: series_stats(rs.iter().map(|r| r.pairs.as_ref()).collect()),
        reliability: sum_bins(rs.iter().map(|r| &r.reliability)),
        ensemble_reliability,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_uses_the_sample_standard_deviation() {
        let s = Stat::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.mean, 2.0);
        assert!((s.std - 1.0).abs() < 1e-12);
        assert_eq!(s.n, 3);
        assert_eq!(Stat::of(&[5.0]).unwrap().std, 0.0);
        assert!(Stat::of(&[]).is_none());
    }

    fn record(seed: u64, acc: f64, along: Vec<f64>) -> Record {
        Record {
            method: Method::Line,
            seed,
            condition: Condition {
                epochs: 2,
                label_noise: 0.0,
            },
            metrics: BTreeMap::from([(Metric::Accuracy, acc)]),
            along: Some(along),
            pairs: None,
            reliability: vec![Bin {
                count: 2,
                confidence_sum: 1.5,
                correct: 1,
            }],
            ensemble_reliability: None,
            train_seconds: 1.0,
        }
    }

    #[test]
    fn summary_pools_seeds_pointwise_and_sums_bins() {
        let records = [
            record(0, 0.8, vec![0.7, 0.9]),
            record(1, 0.9, vec![0.9, 0.7]),
        ];
        let s = summarise(&records, Method::Line, records[0].condition).unwrap();
        assert!((s.metrics[&Metric::Accuracy].mean - 0.85).abs() < 1e-12);
        let along = s.along.unwrap();
        assert!((along[0].mean - 0.8).abs() < 1e-12 && (along[1].mean - 0.8).abs() < 1e-12);
        assert_eq!(s.reliability[0].count, 4);
        assert_eq!(s.reliability[0].correct, 2);
        assert!(summarise(&records, Method::Standard, records[0].condition).is_none());
    }
}
