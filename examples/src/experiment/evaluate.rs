//! Evaluation of trained runs: BatchNorm recalibration at every evaluated point, test logits,
//! and the metrics of every method (SPEC.md §5, §6).

use std::collections::BTreeMap;

use burn::tensor::{Device, Tensor};
use indicatif::ProgressBar;
use subspace_burn::{Subspace, SubspaceConfig};
use subspace_core::metrics::{Logits, copy_distance, grid};
use subspace_core::{Pair, Point, Shape};

use super::batch::images_tensor;
use super::data::ExperimentData;
use super::error::ExperimentError;
use super::score::{Scored, endpoint_metrics, grid_metrics};
use crate::config::EvalConfig;
use crate::data::Dataset;
use crate::models::{CLASSES, Classifier};
use crate::report::{Bin, Metric};

/// The measurements of one method for one seed and condition (a record without its labels).
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// Scalars.
    pub metrics: BTreeMap<Metric, f64>,
    /// Accuracy along the grid.
    pub along: Option<Vec<f64>>,
    /// Symmetric-pair ensemble accuracy.
    pub pairs: Option<Vec<f64>>,
    /// Reliability bins of the model.
    pub reliability: Vec<Bin>,
    /// Reliability bins of the endpoint ensemble.
    pub ensemble_reliability: Option<Vec<Bin>>,
}

/// Evaluates models on the test set after recalibrating their BatchNorm statistics on training
/// images.
#[derive(Debug)]
pub struct Evaluator<'a> {
    /// The data (standardisation, test set).
    pub data: &'a ExperimentData,
    /// The images whose batches recalibrate BatchNorm.
    pub recalibration: Dataset,
    /// Evaluation settings.
    pub eval: &'a EvalConfig,
    /// Batch size of the recalibration passes (the training batch size).
    pub train_batch: usize,
    /// The inference device (no autodiff).
    pub device: Device,
    /// The same device with autodiff, where recalibration runs its training-mode passes.
    pub train_device: Device,
    /// Progress of the current evaluation.
    pub bar: ProgressBar,
}

impl Evaluator<'_> {
    /// Test logits of `model` in inference mode.
    pub fn logits<M: Classifier>(&self, model: &M) -> Result<Logits, ExperimentError> {
        let model = model.valid();
        let test = &self.data.test;
        let per = test.features() * self.eval.batch_size;
        let mut out = Vec::with_capacity(test.len() * CLASSES);
        for chunk in test.images().chunks(per) {
            let logits: Tensor<2> =
                model.forward(images_tensor(self.data, chunk.to_vec(), &self.device));
            let values = logits
                .into_data()
                .try_into_vec::<f32>()
                .map_err(|e| ExperimentError::Device(format!("{e:?}")))?;
            out.extend(values);
        }
        Ok(Logits::new(test.len(), CLASSES, out)?)
    }

    /// `model` with its BatchNorm statistics recomputed as a cumulative average over one pass
    /// of the recalibration images, through the plugin.
    pub fn recalibrate<M: Classifier>(&self, model: M) -> Result<M, ExperimentError> {
        let images = &self.recalibration;
        let per = images.features() * self.train_batch;
        let batches = images
            .images()
            .chunks(per)
            .map(|chunk| images_tensor(self.data, chunk.to_vec(), &self.train_device));
        Ok(subspace_burn::recalibrate_batch_norm(
            model,
            batches,
            |m: &M, x: &Tensor<4>| {
                m.forward(x.clone());
            },
        )?)
    }

    /// Scores `model`, recalibrated first when `recalibrate`.
    pub fn score<M: Classifier>(
        &self,
        model: M,
        recalibrate: bool,
    ) -> Result<Scored, ExperimentError> {
        let model = if recalibrate {
            self.recalibrate(model)?
        } else {
            model
        };
        let scored = Scored::new(
            self.logits(&model)?,
            self.data.test.labels(),
            self.eval.ece_bins,
        )?;
        self.bar.inc(1);
        Ok(scored)
    }

    /// Scores the network at `point` of `subspace`.
    pub fn score_point<M: Classifier>(
        &self,
        subspace: &Subspace<M>,
        point: &Point,
        recalibrate: bool,
    ) -> Result<Scored, ExperimentError> {
        self.score(subspace.export(point)?, recalibrate)
    }

    /// Number of model evaluations [`Evaluator::region`] makes for `shape`.
    pub fn region_evaluations(&self, shape: Shape, with_grid: bool) -> u64 {
        let points = if with_grid {
            self.eval.grid_points as u64
        } else {
            vertices(shape).len() as u64 + 1
        };
        points + 2
    }

    /// A region method: the midpoint, the endpoints (vertices) and their ensemble, diversity,
    /// the no-recalibration control and, `with_grid`, accuracy along the grid.
    pub fn region<M: Classifier>(
        &self,
        subspace: &Subspace<M>,
        with_grid: bool,
    ) -> Result<Measured, ExperimentError> {
        let shape = subspace.shape();
        let labels = self.data.test.labels();
        let bins = self.eval.ece_bins;
        let mid = shape.midpoint();
        let (midpoint, ends, along) = if with_grid {
            let scored = grid(self.eval.grid_points)?
                .iter()
                .map(|p| self.score_point(subspace, p, true))
                .collect::<Result<Vec<_>, _>>()?;
            let n = scored.len();
            let ends = vec![scored[0].clone(), scored[n - 1].clone()];
            (scored[n / 2].clone(), ends, Some(scored))
        } else {
            let ends = vertices(shape)
                .iter()
                .map(|p| self.score_point(subspace, p, true))
                .collect::<Result<Vec<_>, _>>()?;
            (self.score_point(subspace, &mid, true)?, ends, None)
        };
        let mut m = Measured::default();
        m.metrics.extend(midpoint.model_metrics());
        m.reliability = midpoint.bins();
        let no_recal = self.score_point(subspace, &mid, false)?;
        m.metrics
            .insert(Metric::AccuracyNoRecalibration, no_recal.accuracy);
        let end0 = vertices(shape)
            .first()
            .map(|p| self.score_point(subspace, p, false))
            .transpose()?;
        if let Some(e) = end0 {
            m.metrics
                .insert(Metric::EndpointAccuracyNoRecalibration, e.accuracy);
        }
        let refs: Vec<&Scored> = ends.iter().collect();
        let (ends_metrics, ens) = endpoint_metrics(&refs, labels, bins)?;
        m.metrics.extend(ends_metrics);
        m.ensemble_reliability = Some(ens.bins());
        m.metrics.extend(copy_diversity(subspace)?);
        if let Some(along) = along {
            let (acc, pairs, barrier) = grid_metrics(&along, labels, bins)?;
            m.metrics.insert(Metric::Barrier, barrier);
            m.along = Some(acc);
            m.pairs = Some(pairs);
        }
        Ok(m)
    }

    /// A single model (standard, SWA, EMA): accuracy, NLL, ECE after recalibration.
    pub fn single(&self, scored: &Scored) -> Measured {
        Measured {
            metrics: scored.model_metrics().into_iter().collect(),
            reliability: scored.bins(),
            ..Measured::default()
        }
    }

    /// The ensemble of two independent models, and the straight line between them.
    ///
    /// `a` and `b` are the two standard models (copies of one-point regions) with their
    /// recalibrated scores. Returns the `ensemble` and `independent-line` measurements.
    pub fn independent<M: Classifier>(
        &self,
        a: (M, &Scored),
        b: (M, &Scored),
        with_line: bool,
    ) -> Result<(Measured, Option<Measured>), ExperimentError> {
        let labels = self.data.test.labels();
        let bins = self.eval.ece_bins;
        let (ends_metrics, ens) = endpoint_metrics(&[a.1, b.1], labels, bins)?;
        let line = Subspace::from_copies(SubspaceConfig::new(Shape::Line, 0), vec![a.0, b.0])?;
        let diversity = copy_diversity(&line)?;
        let mut ensemble = Measured {
            metrics: ens.model_metrics().into_iter().collect(),
            reliability: ens.bins(),
            ..Measured::default()
        };
        ensemble.metrics.extend(ends_metrics.clone());
        ensemble.metrics.extend(diversity);
        if !with_line {
            return Ok((ensemble, None));
        }
        // The ends of the straight line are the two models themselves (already scored).
        let points = grid(self.eval.grid_points)?;
        let n = points.len();
        let mut along = vec![a.1.clone()];
        for p in &points[1..n - 1] {
            along.push(self.score_point(&line, p, true)?);
        }
        along.push(b.1.clone());
        let (acc, pairs, barrier) = grid_metrics(&along, labels, bins)?;
        let mid = &along[n / 2];
        let mut m = Measured {
            metrics: mid.model_metrics().into_iter().collect(),
            reliability: mid.bins(),
            ensemble_reliability: Some(ens.bins()),
            along: Some(acc),
            pairs: Some(pairs),
        };
        m.metrics.extend(ends_metrics);
        m.metrics.extend(diversity);
        m.metrics.insert(Metric::Barrier, barrier);
        Ok((ensemble, Some(m)))
    }
}

/// The points at which a region returns a copy exactly: a line's ends, a curve's ends (not its
/// bend), a simplex's vertices.
pub fn vertices(shape: Shape) -> Vec<Point> {
    (0..shape.copies())
        .filter_map(|i| shape.vertex(i))
        .collect()
}

/// Mean cos² and L2 distance over every pair of copies, on the regularized weights.
fn copy_diversity<M: Classifier>(
    subspace: &Subspace<M>,
) -> Result<[(Metric, f64); 2], ExperimentError> {
    let region = subspace.region()?;
    let m = subspace.shape().copies();
    let (mut cos2, mut l2, mut n) = (0.0, 0.0, 0.0);
    for i in 0..m {
        for j in i + 1..m {
            let d = copy_distance(&region, Pair::new(i, j, m)?, false)?;
            cos2 += d.cos2;
            l2 += d.l2;
            n += 1.0;
        }
    }
    Ok([(Metric::Cos2, cos2 / n), (Metric::L2, l2 / n)])
}
