//! The report's figures: accuracy along the learned line next to the straight line between
//! independent models, and reliability diagrams.

use super::chart::{LineChart, Series};
use crate::report::{Bin, Stat};

const BLUE: (u8, u8, u8) = (31, 119, 180);
const ORANGE: (u8, u8, u8) = (255, 127, 14);
const GREEN: (u8, u8, u8) = (44, 160, 44);
const RED: (u8, u8, u8) = (214, 39, 40);
const PURPLE: (u8, u8, u8) = (148, 103, 189);

/// Colours for successive series.
pub const PALETTE: [(u8, u8, u8); 5] = [BLUE, ORANGE, GREEN, RED, PURPLE];

fn grid_series(label: &str, along: &[Stat], color: (u8, u8, u8)) -> Series {
    let n = along.len().max(2);
    Series {
        label: label.into(),
        points: along
            .iter()
            .enumerate()
            .map(|(k, s)| (k as f64 / (n - 1) as f64, 100.0 * s.mean))
            .collect(),
        band: Some(along.iter().map(|s| 100.0 * s.std).collect()),
        color,
    }
}

/// Accuracy (%) against `a` for each `(label, accuracies along the grid)`, mean ± std band.
pub fn accuracy_along(title: &str, curves: &[(&str, &[Stat])]) -> LineChart {
    let series: Vec<Series> = curves
        .iter()
        .zip(PALETTE.iter().cycle())
        .map(|(&(label, along), &c)| grid_series(label, along, c))
        .collect();
    let (lo, hi) = series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .zip(s.band.iter().flatten())
                .flat_map(|(&(_, y), b)| [y - b, y + b])
        })
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), y| {
            (l.min(y), h.max(y))
        });
    let (lo, hi) = if lo.is_finite() {
        (lo, hi)
    } else {
        (0.0, 100.0)
    };
    let pad = ((hi - lo) * 0.08).max(0.5);
    LineChart {
        title: title.into(),
        x_label: "a (position on the line)".into(),
        y_label: "test accuracy (%)".into(),
        x_range: (0.0, 1.0),
        y_range: ((lo - pad).max(0.0), (hi + pad).min(100.0)),
        diagonal: false,
        series,
    }
}

/// The points `(mean confidence, accuracy)` of the non-empty bins.
pub fn reliability_points(bins: &[Bin]) -> Vec<(f64, f64)> {
    bins.iter()
        .filter(|b| b.count > 0)
        .map(|b| {
            let n = b.count as f64;
            (b.confidence_sum / n, b.correct as f64 / n)
        })
        .collect()
}

/// A reliability diagram: accuracy against mean confidence per bin, for each
/// `(label, bins)`, with the diagonal of perfect calibration.
pub fn reliability(title: &str, models: &[(&str, &[Bin])]) -> LineChart {
    LineChart {
        title: title.into(),
        x_label: "confidence".into(),
        y_label: "accuracy".into(),
        x_range: (0.0, 1.0),
        y_range: (0.0, 1.0),
        diagonal: true,
        series: models
            .iter()
            .zip(PALETTE.iter().cycle())
            .map(|(&(label, bins), &color)| Series {
                label: label.into(),
                points: reliability_points(bins),
                band: None,
                color,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reliability_points_skip_empty_bins_and_average_within_bins() {
        let bins = [
            Bin {
                count: 0,
                confidence_sum: 0.0,
                correct: 0,
            },
            Bin {
                count: 4,
                confidence_sum: 2.4,
                correct: 3,
            },
        ];
        assert_eq!(reliability_points(&bins), vec![(0.6, 0.75)]);
    }

    #[test]
    fn along_chart_maps_the_grid_to_a_and_percent() {
        let s = |mean| Stat {
            mean,
            std: 0.01,
            n: 3,
        };
        let along = [s(0.8), s(0.9), s(0.85)];
        let chart = accuracy_along("t", &[("line", &along)]);
        let pts = &chart.series[0].points;
        assert_eq!(pts.len(), 3);
        assert!((pts[1].0 - 0.5).abs() < 1e-12 && (pts[1].1 - 90.0).abs() < 1e-9);
        assert!(chart.y_range.0 < 79.0 && chart.y_range.1 > 91.0);
    }
}
