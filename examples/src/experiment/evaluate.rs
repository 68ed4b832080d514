//! Evaluation of trained runs: BatchNorm recalibration at every evaluated point, test logits,
//! and the metrics of every method (SPEC.md §5, §6).

use std::collections::BTreeMap;

use burn::tensor::{Device, Tensor};
use indicatif::ProgressBar;
use subspace_burn::{Subspace, SubspaceConfig};
use subspace_core::metrics::{Logits, copy_distance, grid};
use subspace_core::{Pair, Point, Shape, sample_point};

use super::batch::images_tensor;
use super::data::ExperimentData;
use super::error::ExperimentError;
use super::score::{Scored, endpoint_metrics, grid_metrics, no_recalibration_metrics};
use crate::config::EvalConfig;
use crate::data::Dataset;
use crate::keyed_rng::{Stream, keyed_rng};
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
    pub fn recalibrate<M: Classifier>(&self, model: &M) -> Result<M, ExperimentError> {
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
            self.recalibrate(&model)?
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
        let members = ensemble_member_count(shape) as u64;
        let recalibrated = if with_grid {
            self.eval.grid_points as u64
        } else {
            members + 1
        };
        // Then the midpoint and every member without recalibration.
        recalibrated + 1 + members
    }

    /// A region method trained from `seed`: the midpoint, the ensemble members
    /// ([`ensemble_members`]) and their ensemble, diversity, the no-recalibration control of
    /// the midpoint and of the members, and, `with_grid` (a line), accuracy along the grid.
    pub fn region<M: Classifier>(
        &self,
        subspace: &Subspace<M>,
        seed: u64,
        with_grid: bool,
    ) -> Result<Measured, ExperimentError> {
        let shape = subspace.shape();
        let labels = self.data.test.labels();
        let bins = self.eval.ece_bins;
        let mid = shape.midpoint()?;
        let members = ensemble_members(shape, seed)?;
        let (midpoint, ends, along) = if with_grid {
            // The grid runs from a = 0 to a = 1: its ends are the line's members.
            let scored = grid(self.eval.grid_points)?
                .iter()
                .map(|p| self.score_point(subspace, p, true))
                .collect::<Result<Vec<_>, _>>()?;
            let n = scored.len();
            let ends = vec![scored[0].clone(), scored[n - 1].clone()];
            (scored[n / 2].clone(), ends, Some(scored))
        } else {
            let ends = members
                .iter()
                .map(|p| self.score_point(subspace, p, true))
                .collect::<Result<Vec<_>, _>>()?;
            (self.score_point(subspace, &mid, true)?, ends, None)
        };
        let mut m = Measured::default();
        m.metrics.extend(midpoint.model_metrics());
        m.reliability = midpoint.bins();
        let no_recal_mid = self.score_point(subspace, &mid, false)?;
        let no_recal_ends = members
            .iter()
            .map(|p| self.score_point(subspace, p, false))
            .collect::<Result<Vec<_>, _>>()?;
        m.metrics.extend(no_recalibration_metrics(
            &no_recal_mid,
            &no_recal_ends.iter().collect::<Vec<_>>(),
        ));
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

/// The members of a region's ensemble (SPEC.md §6): the ends `a = 0` and `a = 1` of a line or
/// curve; for a simplex, as many `Dirichlet(1, .., 1)` points as it has vertices, drawn by core's
/// sampler from the generator keyed by the run's `seed` ([`Stream::EnsembleMembers`]), so the
/// same run evaluates the same points.
///
/// Errors if the shape is invalid (built by hand, see [`Shape::validate`]).
pub fn ensemble_members(shape: Shape, seed: u64) -> Result<Vec<Point>, subspace_core::Error> {
    match shape.validate()? {
        Shape::Simplex { vertices } => {
            let mut rng = keyed_rng(seed, 0, Stream::EnsembleMembers);
            (0..vertices)
                .map(|_| sample_point(shape, &mut rng))
                .collect()
        }
        _ => Ok(vertices(shape)),
    }
}

/// How many members [`ensemble_members`] gives for `shape`.
fn ensemble_member_count(shape: Shape) -> usize {
    match shape {
        Shape::Simplex { vertices } => vertices,
        _ => vertices(shape).len(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simplex_ensembles_seeded_dirichlet_points_not_its_vertices() {
        let simplex = Shape::Simplex { vertices: 3 };
        let members = ensemble_members(simplex, 7).unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(ensemble_member_count(simplex), 3);
        for p in &members {
            let Point::Simplex(t) = p else {
                panic!("a simplex member is a simplex point, got {p:?}");
            };
            let t = t.coordinates();
            assert_eq!(t.len(), 3);
            assert!((t.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            // Inside the simplex: no vertex (a vertex has a coordinate 1).
            assert!(t.iter().all(|&c| c > 0.0 && c < 1.0), "{t:?}");
        }
        assert_ne!(members[0], members[1]);
        // A pure function of the seed.
        assert_eq!(ensemble_members(simplex, 7).unwrap(), members);
        assert_ne!(ensemble_members(simplex, 8).unwrap(), members);
    }

    #[test]
    fn lines_and_curves_ensemble_their_ends() {
        for shape in [Shape::Line, Shape::Bezier { degree: 2 }] {
            let members = ensemble_members(shape, 7).unwrap();
            assert_eq!(
                members,
                vec![Point::curve(0.0).unwrap(), Point::curve(1.0).unwrap()]
            );
            assert_eq!(ensemble_member_count(shape), 2);
        }
    }
}
