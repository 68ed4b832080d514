//! Shapes of a region of weight space, validated points, and their mixing coefficients.
//!
//! A region with `m` copies `w_0 .. w_{m-1}` of every parameter puts the network at
//! `w(p) = Σ_i c_i(p) w_i` (Wortsman et al. 2021, §3). The table of SPEC.md §2:
//!
//! | shape | m | `c(p)` | domain | midpoint |
//! |---|---|---|---|---|
//! | line | 2 | `(1-a, a)` | `a ∈ [0,1]` | `a = 1/2` |
//! | Bezier, degree d | d+1 | `C(d,i) a^i (1-a)^(d-i)` | `a ∈ [0,1]` | `a = 1/2` |
//! | simplex, n vertices | n | `t` | `t_i ≥ 0, Σ t_i = 1` | `t_i = 1/n` |
//! | point | 1 | `(1)` | the origin | the origin |
//!
//! Copy order: for a line, copy 0 is the end at `a = 0` and copy 1 the end at `a = 1`. For a
//! Bezier curve, copy `i` is the control point of Bernstein polynomial `i`, so the ends are
//! copies `0` and `d` and the bends are copies `1 .. d-1` (the paper's code stores the quadratic
//! bend last; here it is copy 1). For a simplex, copy `i` is vertex `i`.

use std::fmt;

use crate::error::{Error, Result};

/// How far the coordinates of a simplex point may sum from one and still be accepted.
pub const SIMPLEX_SUM_TOLERANCE: f64 = 1e-6;

/// The most copies a shape may have (`2^16`), far beyond any region worth training; it keeps
/// the coefficients, midpoint and vertices of every valid shape small enough to allocate.
pub const MAX_COPIES: usize = 1 << 16;

/// The highest Bezier degree (`1000`; the paper's curve has degree 2): every binomial
/// coefficient `C(d, i)` of a degree up to it is finite in `f64` (`C(1029, 514)` is not).
pub const MAX_BEZIER_DEGREE: usize = 1000;

/// The shape of the region learned in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// One copy: ordinary training, the degenerate region.
    Point,
    /// A segment between two endpoints.
    Line,
    /// A Bezier curve of the given degree (≥ 1) through `degree + 1` control points.
    Bezier {
        /// The degree `d`; the curve has `d + 1` copies.
        degree: usize,
    },
    /// A simplex with the given number (≥ 2) of vertices.
    Simplex {
        /// The number of vertices `n`, which is also the number of copies.
        vertices: usize,
    },
}

impl Shape {
    /// A Bezier curve of degree `degree`; the paper's curve is `bezier(2)`.
    pub fn bezier(degree: usize) -> Result<Self> {
        if degree == 0 {
            return Err(Error::InvalidShape {
                shape: "bezier",
                reason: "degree 0 has a single control point; expected a degree of at least 1"
                    .into(),
            });
        }
        if degree > MAX_BEZIER_DEGREE {
            return Err(Error::InvalidShape {
                shape: "bezier",
                reason: format!("degree {degree}; expected at most {MAX_BEZIER_DEGREE}"),
            });
        }
        Ok(Self::Bezier { degree })
    }

    /// A simplex with `vertices` vertices.
    pub fn simplex(vertices: usize) -> Result<Self> {
        if !(2..=MAX_COPIES).contains(&vertices) {
            return Err(Error::InvalidShape {
                shape: "simplex",
                reason: format!("{vertices} vertices; expected 2 to {MAX_COPIES}"),
            });
        }
        Ok(Self::Simplex { vertices })
    }

    /// Checks the invariants the validating constructors guarantee (for values built by hand).
    pub fn validate(self) -> Result<Self> {
        match self {
            Self::Bezier { degree } => Self::bezier(degree),
            Self::Simplex { vertices } => Self::simplex(vertices),
            Self::Point | Self::Line => Ok(self),
        }
    }

    /// The number of copies `m` of every parameter.
    pub fn copies(self) -> usize {
        match self {
            Self::Point => 1,
            Self::Line => 2,
            // Saturating for hand-built shapes that skipped validation.
            Self::Bezier { degree } => degree.saturating_add(1),
            Self::Simplex { vertices } => vertices,
        }
    }

    /// The midpoint (centroid) of the region: `a = 1/2` or `t_i = 1/n`.
    ///
    /// Errors if the shape is invalid (built by hand, see [`Shape::validate`]).
    pub fn midpoint(self) -> Result<Point> {
        Ok(match self.validate()? {
            Self::Point => Point::Origin,
            Self::Line | Self::Bezier { .. } => Point::Curve(Alpha(0.5)),
            Self::Simplex { vertices } => {
                Point::Simplex(SimplexPoint(vec![1.0 / vertices as f64; vertices]))
            }
        })
    }

    /// The point at which the mix returns copy `i` exactly, if there is one.
    ///
    /// Line and simplex copies are all vertices; of a Bezier curve only the two ends are
    /// (copies `0` and `d`); the bends are off the curve. An invalid shape (built by hand, see
    /// [`Shape::validate`]) has none.
    pub fn vertex(self, i: usize) -> Option<Point> {
        match self.validate().ok()? {
            Self::Point => (i == 0).then_some(Point::Origin),
            Self::Line => match i {
                0 => Some(Point::Curve(Alpha(0.0))),
                1 => Some(Point::Curve(Alpha(1.0))),
                _ => None,
            },
            Self::Bezier { degree } => {
                if i == 0 {
                    Some(Point::Curve(Alpha(0.0)))
                } else if i == degree {
                    Some(Point::Curve(Alpha(1.0)))
                } else {
                    None
                }
            }
            Self::Simplex { vertices } => (i < vertices).then(|| {
                let mut t = vec![0.0; vertices];
                t[i] = 1.0;
                Point::Simplex(SimplexPoint(t))
            }),
        }
    }

    /// The mixing coefficients `c(p)` at `point`, one per copy.
    ///
    /// Errors if the shape is invalid (built by hand, see [`Shape::validate`]) or the point is of
    /// another kind than the shape (a curve coordinate for a simplex, a simplex point of the
    /// wrong dimension).
    pub fn coefficients(self, point: &Point) -> Result<Coefficients> {
        let c = match (self.validate()?, point) {
            (Self::Point, Point::Origin) => vec![1.0],
            (Self::Line, Point::Curve(a)) => vec![1.0 - a.0, a.0],
            (Self::Bezier { degree }, Point::Curve(a)) => bernstein(degree, a.0),
            (Self::Simplex { vertices }, Point::Simplex(t)) if t.0.len() == vertices => t.0.clone(),
            _ => {
                return Err(Error::PointShapeMismatch {
                    point: point.to_string(),
                    shape: self.to_string(),
                    expected: self.point_kind(),
                });
            }
        };
        Ok(Coefficients(c))
    }

    fn point_kind(self) -> String {
        match self {
            Self::Point => "the origin".into(),
            Self::Line | Self::Bezier { .. } => "a curve coordinate a in [0, 1]".into(),
            Self::Simplex { vertices } => format!("a simplex point with {vertices} coordinates"),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Point => write!(f, "point"),
            Self::Line => write!(f, "line"),
            Self::Bezier { degree } => write!(f, "Bezier curve of degree {degree}"),
            Self::Simplex { vertices } => write!(f, "simplex with {vertices} vertices"),
        }
    }
}

/// The Bernstein basis `C(d,i) a^i (1-a)^(d-i)`, `i = 0..=d`.
///
/// `powi(0)` and `C(d, 0) = C(d, d)` are exactly one, so the ends `a = 0` and `a = 1` give
/// exact unit vectors.
fn bernstein(degree: usize, a: f64) -> Vec<f64> {
    let d = degree as i32;
    (0..=degree)
        .map(|i| binomial(degree, i) * a.powi(i as i32) * (1.0 - a).powi(d - i as i32))
        .collect()
}

/// `C(n, k)` computed in floating point by the multiplicative formula over the smaller of `k`
/// and `n - k` (so `C(n, n)` is exactly one; every step is an exact integer up to `2^53`).
fn binomial(n: usize, k: usize) -> f64 {
    (0..k.min(n - k)).fold(1.0, |acc, j| acc * (n - j) as f64 / (j + 1) as f64)
}

/// A validated curve coordinate `a ∈ [0, 1]` (line and Bezier curves).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Alpha(f64);

impl Alpha {
    /// Validates `a`: finite and within `[0, 1]`.
    pub fn new(a: f64) -> Result<Self> {
        if a.is_finite() && (0.0..=1.0).contains(&a) {
            Ok(Self(a))
        } else {
            Err(Error::AlphaOutOfDomain { value: a })
        }
    }

    /// The coordinate.
    pub fn get(self) -> f64 {
        self.0
    }
}

/// A validated point of the simplex: finite, non-negative coordinates that sum to one
/// (within [`SIMPLEX_SUM_TOLERANCE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SimplexPoint(Vec<f64>);

impl SimplexPoint {
    /// Validates `t`. The coordinates are kept as given, so a vertex stays exactly a vertex.
    pub fn new(t: Vec<f64>) -> Result<Self> {
        let reason = if t.len() < 2 {
            Some("expected at least 2 coordinates")
        } else if t.iter().any(|x| !x.is_finite()) {
            Some("expected finite coordinates")
        } else if t.iter().any(|&x| x < 0.0) {
            Some("expected non-negative coordinates")
        } else if (t.iter().sum::<f64>() - 1.0).abs() > SIMPLEX_SUM_TOLERANCE {
            Some("expected coordinates that sum to 1")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::SimplexOutOfDomain {
                coordinates: t,
                reason,
            }),
            None => Ok(Self(t)),
        }
    }

    /// The coordinates.
    pub fn coordinates(&self) -> &[f64] {
        &self.0
    }
}

/// A validated point of some region: build one with [`Point::curve`] or [`Point::simplex`].
#[derive(Debug, Clone, PartialEq)]
pub enum Point {
    /// The only point of [`Shape::Point`].
    Origin,
    /// A coordinate on a line or Bezier curve.
    Curve(Alpha),
    /// A point of a simplex.
    Simplex(SimplexPoint),
}

impl Point {
    /// A point of a line or curve at coordinate `a`.
    pub fn curve(a: f64) -> Result<Self> {
        Alpha::new(a).map(Self::Curve)
    }

    /// A point of a simplex with coordinates `t`.
    pub fn simplex(t: Vec<f64>) -> Result<Self> {
        SimplexPoint::new(t).map(Self::Simplex)
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Origin => write!(f, "origin"),
            Self::Curve(a) => write!(f, "a = {}", a.0),
            Self::Simplex(t) => write!(f, "t = {:?}", t.0),
        }
    }
}

/// Mixing coefficients `c(p)`, one per copy, produced by [`Shape::coefficients`].
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficients(Vec<f64>);

impl Coefficients {
    /// The coefficients, in copy order.
    pub fn as_slice(&self) -> &[f64] {
        &self.0
    }

    /// The number of coefficients (the number of copies).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a shape has at least one copy.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_bezier1_and_simplex2_agree() {
        for a in [0.0, 0.25, 0.5, 0.9, 1.0] {
            let line = Shape::Line.coefficients(&Point::curve(a).unwrap()).unwrap();
            let bez = Shape::bezier(1)
                .unwrap()
                .coefficients(&Point::curve(a).unwrap())
                .unwrap();
            let simplex = Shape::simplex(2)
                .unwrap()
                .coefficients(&Point::simplex(vec![1.0 - a, a]).unwrap())
                .unwrap();
            assert_eq!(line, bez);
            assert_eq!(line, simplex);
        }
    }

    #[test]
    fn quadratic_bezier_midpoint() {
        let c = Shape::bezier(2)
            .unwrap()
            .coefficients(&Shape::bezier(2).unwrap().midpoint().unwrap());
        assert_eq!(c.unwrap().as_slice(), &[0.25, 0.5, 0.25]);
    }

    #[test]
    fn off_domain_points_are_rejected() {
        assert!(Point::curve(-0.1).is_err());
        assert!(Point::curve(f64::NAN).is_err());
        assert!(Point::simplex(vec![0.5, 0.6]).is_err());
        assert!(Point::simplex(vec![1.5, -0.5]).is_err());
        assert!(
            Shape::Line
                .coefficients(&Shape::simplex(3).unwrap().midpoint().unwrap())
                .is_err()
        );
        assert!(
            Shape::simplex(3)
                .unwrap()
                .coefficients(&Shape::simplex(2).unwrap().midpoint().unwrap())
                .is_err()
        );
        assert!(Shape::bezier(0).is_err());
        assert!(Shape::simplex(1).is_err());
        assert!(Shape::bezier(MAX_BEZIER_DEGREE + 1).is_err());
    }

    #[test]
    fn bezier_ends_are_exact_and_coefficients_finite_up_to_the_highest_degree() {
        // Degree 55 is the first where C(d, d) by the plain multiplicative formula is not one,
        // and 1029 the first with an infinite C(d, d/2).
        for degree in [1, 2, 3, 54, 55, 56, 200, MAX_BEZIER_DEGREE] {
            let shape = Shape::bezier(degree).unwrap();
            for (end, a) in [(0, 0.0), (degree, 1.0)] {
                let c = shape.coefficients(&Point::curve(a).unwrap()).unwrap();
                let unit: Vec<f64> = (0..=degree).map(|i| f64::from(i == end)).collect();
                assert_eq!(c.as_slice(), unit.as_slice(), "degree {degree}, a = {a}");
            }
            for a in [0.3, 0.5, 0.99] {
                let c = shape.coefficients(&Point::curve(a).unwrap()).unwrap();
                assert!(c.as_slice().iter().all(|x| x.is_finite() && *x >= 0.0));
                let sum: f64 = c.as_slice().iter().sum();
                assert!(
                    (sum - 1.0).abs() < 1e-9,
                    "degree {degree}, a = {a}: sum {sum}"
                );
            }
        }
    }
}
