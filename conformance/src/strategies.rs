//! proptest strategies for the suite's inputs: dims (odd sizes, one element, scalars, and now
//! and then a large tensor), shapes, points of every shape (vertices, faces, interiors),
//! regions of several groups and layers, pairs of copies, and logits with labels.

use proptest::collection::vec;
use proptest::prelude::*;
use subspace_core::{Pair, Point, Shape, StepPoints};

use crate::data::{GroupSpec, RegionCase, RegionSpec, TensorSpec};

/// Elements of the large tensors drawn now and then (a prime, so no kernel divides it evenly).
pub const LARGE: usize = 100_003;

/// Dims of small tensors: rank 0 to 4, odd and even sizes up to 7, one-element tensors.
pub fn small_dims() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        1 => Just(vec![]),
        1 => Just(vec![1]),
        6 => vec(1..=7usize, 1..=4),
    ]
}

/// Dims of any tensor: [`small_dims`], or about one time in sixteen a tensor of [`LARGE`]
/// elements (flat, or as `317 x 319 = 101_123`).
pub fn dims() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        15 => small_dims(),
        1 => prop_oneof![Just(vec![LARGE]), Just(vec![317, 319])],
    ]
}

/// A tensor of [`dims`] with a random seed.
pub fn tensor() -> impl Strategy<Value = TensorSpec> {
    (dims(), any::<u64>()).prop_map(|(dims, seed)| TensorSpec { dims, seed })
}

/// A line, a Bezier curve of degree 1 to 4, or a simplex of 2 to 6 vertices.
pub fn shape_with_pairs() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Line),
        (1..=4usize).prop_map(|degree| Shape::Bezier { degree }),
        (2..=6usize).prop_map(|vertices| Shape::Simplex { vertices }),
    ]
}

/// Any shape: [`shape_with_pairs`] or the one-copy [`Shape::Point`].
pub fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![1 => Just(Shape::Point), 6 => shape_with_pairs()]
}

/// A curve coordinate: the ends, the midpoint, or uniform in `[0, 1]`.
pub fn alpha() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        1 => Just(1.0),
        1 => Just(0.5),
        5 => 0.0..=1.0f64,
    ]
}

/// A simplex point of `n` coordinates: a vertex, a point of a face (some coordinates zero), or
/// an interior point (normalised exponentials).
pub fn simplex_coordinates(n: usize) -> impl Strategy<Value = Vec<f64>> {
    let vertex = (0..n).prop_map(move |k| {
        let mut t = vec![0.0; n];
        t[k] = 1.0;
        t
    });
    let weights = (vec(1e-12..=1.0f64, n), vec(any::<bool>(), n)).prop_map(|(u, keep)| {
        let mut e: Vec<f64> = u.iter().map(|u| -u.ln()).collect();
        if keep.iter().any(|&k| k) {
            for (x, k) in e.iter_mut().zip(keep) {
                if !k {
                    *x = 0.0;
                }
            }
        }
        // Every `u < 1` gives `e > 0`; `u == 1` everywhere is the only way to a zero sum.
        let total: f64 = e.iter().sum();
        if total > 0.0 {
            e.iter().map(|x| x / total).collect()
        } else {
            vec![1.0 / e.len() as f64; e.len()]
        }
    });
    prop_oneof![1 => vertex, 4 => weights]
}

/// A point of `shape`.
pub fn point(shape: Shape) -> BoxedStrategy<Point> {
    let valid = |p: subspace_core::Result<Point>| {
        p.unwrap_or_else(|e| unreachable!("strategies draw points inside the domain: {e}"))
    };
    match shape {
        Shape::Point => Just(Point::Origin).boxed(),
        Shape::Line | Shape::Bezier { .. } => {
            alpha().prop_map(move |a| valid(Point::curve(a))).boxed()
        }
        Shape::Simplex { vertices } => simplex_coordinates(vertices)
            .prop_map(move |t| valid(Point::simplex(t)))
            .boxed(),
    }
}

/// A shape with a point of it.
pub fn shape_and_point() -> impl Strategy<Value = (Shape, Point)> {
    shape().prop_flat_map(|s| (Just(s), point(s)))
}

/// One shared point, or one point per layer, for `layers` layers of `shape`.
pub fn step_points(shape: Shape, layers: usize) -> impl Strategy<Value = StepPoints> {
    prop_oneof![
        point(shape).prop_map(StepPoints::Shared),
        vec(point(shape), layers).prop_map(StepPoints::Layerwise),
    ]
}

/// The largest number of groups [`groups`] draws.
const MAX_GROUPS: usize = 3;

/// Groups for `copies` copies: one to three, group 0 regularized and the only one that may be
/// large; layers chosen so some groups share a layer.
pub fn groups(copies: usize) -> impl Strategy<Value = Vec<GroupSpec>> {
    let group = move |dims: BoxedStrategy<Vec<usize>>| {
        (dims, 0..3usize, any::<bool>(), vec(any::<u64>(), copies)).prop_map(
            |(dims, layer, regularized, seeds)| GroupSpec {
                dims,
                layer,
                regularized,
                seeds,
            },
        )
    };
    (
        group(dims().boxed()),
        vec(group(small_dims().boxed()), 0..=2),
    )
        .prop_map(|(mut first, rest)| {
            first.regularized = true;
            let mut groups = vec![first];
            groups.extend(rest);
            // A region has fewer layers than groups; some indices may still go unused.
            let n = groups.len();
            for g in &mut groups {
                g.layer %= n;
            }
            groups
        })
}

/// A region of a shape drawn from `shapes`.
pub fn region(shapes: BoxedStrategy<Shape>) -> impl Strategy<Value = RegionSpec> {
    shapes.prop_flat_map(|shape| {
        groups(shape.copies()).prop_map(move |groups| RegionSpec { shape, groups })
    })
}

/// One seed per group (as many as [`groups`] may draw) for a gradient at the mixed weights,
/// made by [`RegionSpec::per_group`](crate::data::RegionSpec::per_group).
pub fn grad_seeds() -> impl Strategy<Value = Vec<u64>> {
    vec(any::<u64>(), MAX_GROUPS)
}

/// Like [`grad_seeds`], with about two groups in five left without a gradient (a group the
/// loss does not reach).
pub fn maybe_grad_seeds() -> impl Strategy<Value = Vec<Option<u64>>> {
    vec(proptest::option::weighted(0.6, any::<u64>()), MAX_GROUPS)
}

/// A region of any shape with the points of one step, and [`grad_seeds`].
pub fn region_case_and_grad_seeds() -> impl Strategy<Value = (RegionCase, Vec<u64>)> {
    (region_case(shape().boxed()), grad_seeds())
}

/// A region with the points of one step.
pub fn region_case(shapes: BoxedStrategy<Shape>) -> impl Strategy<Value = RegionCase> {
    region(shapes).prop_flat_map(|region| {
        let layers = region.layers();
        step_points(region.shape, layers).prop_map(move |points| RegionCase {
            region: region.clone(),
            points,
        })
    })
}

/// A uniformly random pair of distinct copies of `copies >= 2`, in either order.
pub fn pair(copies: usize) -> impl Strategy<Value = Pair> {
    (0..copies, 1..copies).prop_map(move |(i, step)| {
        let j = (i + step) % copies;
        Pair::new(i, j, copies)
            .unwrap_or_else(|e| unreachable!("distinct indices below the count: {e}"))
    })
}

/// A pair of `copies` (three times in four) or none, always none for fewer than two copies.
pub fn maybe_pair(copies: usize) -> BoxedStrategy<Option<Pair>> {
    if copies >= 2 {
        proptest::option::weighted(0.75, pair(copies)).boxed()
    } else {
        Just(None).boxed()
    }
}

/// A weight decay `λ`: none, the paper's `1e-4`, or up to `0.5`.
pub fn lambda() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1e-4), 0.0..=0.5f64]
}

/// A region with at least two copies and a pair of them.
pub fn region_and_pair() -> impl Strategy<Value = (RegionSpec, Pair)> {
    region(shape_with_pairs().boxed()).prop_flat_map(|r| {
        let m = r.shape.copies();
        (Just(r), pair(m))
    })
}

/// A region with at least two copies, the points of one step (shared or layerwise) and a pair
/// of copies.
pub fn region_case_and_pair() -> impl Strategy<Value = (RegionCase, Pair)> {
    region_case(shape_with_pairs().boxed()).prop_flat_map(|case| {
        let m = case.region.shape.copies();
        (Just(case), pair(m))
    })
}

/// Logits of 1 to 40 examples over 1 to 10 classes in `[-20, 20]`, with labels, some rows
/// with ties (all-equal logits).
pub fn logits_and_labels() -> impl Strategy<Value = (usize, usize, Vec<f32>, Vec<usize>)> {
    (1..=40usize, 1..=10usize).prop_flat_map(|(rows, classes)| {
        let logit = prop_oneof![9 => -20.0..=20.0f32, 1 => Just(0.0f32)];
        (
            Just(rows),
            Just(classes),
            vec(logit, rows * classes),
            vec(0..classes, rows),
        )
    })
}
