//! The methods compared (SPEC.md §7, §9) and the training runs they need.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use subspace_core::{Shape, Sharing};

/// One method of the comparison. All use the same model, schedule, budgets and seeds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Standard training: a one-point region.
    Standard,
    /// A line, one shared point per step, cos² regularizer with the configured β.
    Line,
    /// A line with an independent point per layer.
    LineLayerwise,
    /// The paper's quadratic Bezier curve.
    Curve,
    /// A simplex with 3 vertices.
    Simplex,
    /// A line trained with β = 0 (no regularizer).
    LineBeta0,
    /// Stochastic weight averaging over the last part of standard training.
    Swa,
    /// An exponential moving average of the weights of the standard run.
    Ema,
    /// The logit ensemble of two independently trained standard models.
    Ensemble,
    /// The straight line between two independently trained standard models.
    IndependentLine,
}

/// Every method, in report order.
pub const ALL_METHODS: [Method; 10] = [
    Method::Standard,
    Method::Line,
    Method::LineLayerwise,
    Method::Curve,
    Method::Simplex,
    Method::LineBeta0,
    Method::Swa,
    Method::Ema,
    Method::Ensemble,
    Method::IndependentLine,
];

/// How a region is trained: its shape, point sharing and whether β is forced to 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionSpec {
    /// The shape learned.
    pub shape: Shape,
    /// One point per step or one per layer.
    pub sharing: Sharing,
    /// Train without the cos² regularizer.
    pub beta_zero: bool,
}

/// One training run; several methods may be read off the same run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Run {
    /// Standard training with the run's seed (also carries the EMA).
    StandardA,
    /// A second standard model from an independent seed (for the ensemble and straight line).
    StandardB,
    /// A region method.
    Region(Method),
    /// Standard training with the SWA learning rate over its last part, averaged.
    Swa,
}

impl Method {
    /// The name used in reports and configs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Line => "line",
            Self::LineLayerwise => "line-layerwise",
            Self::Curve => "curve",
            Self::Simplex => "simplex",
            Self::LineBeta0 => "line-beta0",
            Self::Swa => "swa",
            Self::Ema => "ema",
            Self::Ensemble => "ensemble",
            Self::IndependentLine => "independent-line",
        }
    }

    /// The region trained by a region method, or `None` for the baselines.
    pub fn region(self) -> Option<RegionSpec> {
        let spec = |shape, sharing, beta_zero| {
            Some(RegionSpec {
                shape,
                sharing,
                beta_zero,
            })
        };
        match self {
            Self::Line => spec(Shape::Line, Sharing::Shared, false),
            Self::LineLayerwise => spec(Shape::Line, Sharing::Layerwise, false),
            Self::Curve => spec(Shape::Bezier { degree: 2 }, Sharing::Shared, false),
            Self::Simplex => spec(Shape::Simplex { vertices: 3 }, Sharing::Shared, false),
            Self::LineBeta0 => spec(Shape::Line, Sharing::Shared, true),
            Self::Standard | Self::Swa | Self::Ema | Self::Ensemble | Self::IndependentLine => None,
        }
    }

    /// The training runs this method is read from.
    pub fn runs(self) -> Vec<Run> {
        match self {
            Self::Standard | Self::Ema => vec![Run::StandardA],
            Self::Ensemble | Self::IndependentLine => vec![Run::StandardA, Run::StandardB],
            Self::Swa => vec![Run::Swa],
            region => vec![Run::Region(region)],
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The distinct runs needed by `methods`, in a fixed order.
pub fn runs_for(methods: &[Method]) -> Vec<Run> {
    let mut runs: Vec<Run> = methods.iter().flat_map(|m| m.runs()).collect();
    runs.sort();
    runs.dedup();
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_share_the_standard_runs() {
        let runs = runs_for(&[Method::Ensemble, Method::Standard, Method::Ema]);
        assert_eq!(runs, vec![Run::StandardA, Run::StandardB]);
        let all = runs_for(&ALL_METHODS);
        // Two standard runs, SWA and five regions.
        assert_eq!(all.len(), 8);
    }

    #[test]
    fn only_region_methods_have_a_region() {
        for m in ALL_METHODS {
            assert_eq!(
                m.region().is_some(),
                matches!(m.runs()[..], [Run::Region(_)]),
                "{m}"
            );
        }
        assert_eq!(Method::Curve.region().map(|r| r.shape.copies()), Some(3));
        assert_eq!(Method::LineBeta0.region().map(|r| r.beta_zero), Some(true));
    }
}
