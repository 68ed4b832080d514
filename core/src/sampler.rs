//! Sampling points of a region, with injected randomness (SPEC.md §3).
//!
//! Lines and curves draw `a ~ Uniform(0, 1)`; simplices draw `t ~ Dirichlet(1, .., 1)` by
//! normalising `n` i.i.d. `Exp(1)` draws, as the paper's code does. A point is drawn either once
//! for the whole network ([`Sharing::Shared`], the default) or once per layer
//! ([`Sharing::Layerwise`]).
//!
//! [`PointSchedule`] makes the point of a training step a pure function of
//! `(seed, step, layer)`: a resumed run or a data-parallel replica draws the same points without
//! sharing RNG state.

use rand::{Rng, RngExt, SeedableRng, rngs::ChaCha8Rng};

use crate::error::{Error, Result};
use crate::regularizer::Pair;
use crate::shape::{Alpha, Point, Shape, SimplexPoint};

/// Whether one point serves the whole network or each layer draws its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sharing {
    /// One point for every parameter of the network (the paper's default).
    #[default]
    Shared,
    /// An independent point per layer (each conv/linear module, each norm layer).
    Layerwise,
}

/// Draws one point of `shape` from `rng`.
///
/// `Uniform(0,1)` for lines and curves, `Dirichlet(1,..,1)` for simplices, the origin for a
/// point. Errors if the shape is invalid (built by hand, see [`Shape::validate`]).
pub fn sample_point(shape: Shape, rng: &mut impl Rng) -> Result<Point> {
    Ok(draw(shape.validate()?, rng))
}

/// [`sample_point`] of a validated shape.
fn draw(shape: Shape, rng: &mut impl Rng) -> Point {
    match shape {
        Shape::Point => Point::Origin,
        Shape::Line | Shape::Bezier { .. } => Point::Curve(uniform_alpha(rng)),
        Shape::Simplex { vertices } => Point::Simplex(dirichlet_ones(vertices, rng)),
    }
}

fn uniform_alpha(rng: &mut impl Rng) -> Alpha {
    // `random::<f64>()` is in [0, 1): always inside the domain.
    Alpha::new(rng.random::<f64>()).unwrap_or_else(|_| unreachable!("[0,1) is in the domain"))
}

/// `t_i = e_i / Σ e_j` with `e_i ~ Exp(1)` drawn as `-ln(1 - u)`, `u ~ Uniform[0, 1)`.
fn dirichlet_ones(n: usize, rng: &mut impl Rng) -> SimplexPoint {
    let e: Vec<f64> = (0..n).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
    let total: f64 = e.iter().sum();
    let t = if total > 0.0 {
        e.iter().map(|x| x / total).collect()
    } else {
        // All n draws were exactly zero (probability 2^-53n): fall back to the centroid.
        vec![1.0 / n as f64; n]
    };
    SimplexPoint::new(t)
        .unwrap_or_else(|_| unreachable!("normalised exponentials lie on the simplex"))
}

/// The points of one training step: one shared point, or one per layer.
#[derive(Debug, Clone, PartialEq)]
pub enum StepPoints {
    /// One point for every layer.
    Shared(Point),
    /// One point per layer, indexed by layer.
    Layerwise(Vec<Point>),
}

impl StepPoints {
    /// The point used by layer `layer`.
    pub fn for_layer(&self, layer: usize) -> Result<&Point> {
        match self {
            Self::Shared(p) => Ok(p),
            Self::Layerwise(points) => points.get(layer).ok_or(Error::LengthMismatch {
                operation: "StepPoints::for_layer",
                what: "layerwise points",
                expected: layer.saturating_add(1),
                found: points.len(),
            }),
        }
    }
}

/// Draws the points of a step for `layers` layers from `rng`.
///
/// Errors if the shape is invalid (built by hand, see [`Shape::validate`]).
pub fn sample_step(
    shape: Shape,
    sharing: Sharing,
    layers: usize,
    rng: &mut impl Rng,
) -> Result<StepPoints> {
    let shape = shape.validate()?;
    Ok(match sharing {
        Sharing::Shared => StepPoints::Shared(draw(shape, rng)),
        Sharing::Layerwise => {
            StepPoints::Layerwise((0..layers).map(|_| draw(shape, rng)).collect())
        }
    })
}

/// Deterministic points and regularizer pairs per step: a pure function of
/// `(seed, step, layer)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointSchedule {
    /// The shape sampled.
    pub shape: Shape,
    /// Shared or layerwise points.
    pub sharing: Sharing,
    /// The run's seed.
    pub seed: u64,
}

/// What a stream of the schedule is used for; keeps the streams independent.
#[derive(Clone, Copy)]
enum Stream {
    Point = 0,
    Pair = 1,
}

impl PointSchedule {
    /// A schedule for `shape` with the given sharing and seed.
    pub fn new(shape: Shape, sharing: Sharing, seed: u64) -> Self {
        Self {
            shape,
            sharing,
            seed,
        }
    }

    fn rng(&self, step: u64, layer: u64, stream: Stream) -> ChaCha8Rng {
        let mut key = [0u8; 32];
        key[0..8].copy_from_slice(&self.seed.to_le_bytes());
        key[8..16].copy_from_slice(&step.to_le_bytes());
        key[16..24].copy_from_slice(&layer.to_le_bytes());
        key[24..32].copy_from_slice(&(stream as u64).to_le_bytes());
        ChaCha8Rng::from_seed(key)
    }

    /// The points of step `step` for a network of `layers` layers.
    ///
    /// Errors if the shape is invalid (built by hand, see [`Shape::validate`]).
    pub fn points(&self, step: u64, layers: usize) -> Result<StepPoints> {
        let shape = self.shape.validate()?;
        let point = |layer| draw(shape, &mut self.rng(step, layer, Stream::Point));
        Ok(match self.sharing {
            Sharing::Shared => StepPoints::Shared(point(0)),
            Sharing::Layerwise => StepPoints::Layerwise((0..layers as u64).map(point).collect()),
        })
    }

    /// The regularizer pair of step `step`, or `None` for a one-copy region.
    pub fn pair(&self, step: u64) -> Option<Pair> {
        Pair::sample(self.shape.copies(), &mut self.rng(step, 0, Stream::Pair))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_is_a_pure_function_of_seed_step_layer() {
        let s = PointSchedule::new(Shape::simplex(3).unwrap(), Sharing::Layerwise, 7);
        assert_eq!(s.points(5, 4), s.points(5, 4));
        assert_ne!(s.points(5, 4), s.points(6, 4));
        let Ok(StepPoints::Layerwise(p)) = s.points(5, 4) else {
            panic!("layerwise schedule gave shared points")
        };
        assert_ne!(p[0], p[1]);
        let other = PointSchedule::new(Shape::simplex(3).unwrap(), Sharing::Layerwise, 8);
        assert_ne!(s.points(5, 4), other.points(5, 4));
    }
}
