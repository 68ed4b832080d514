//! `copy_distance` on the reference backend: copies far from the origin and close to each other.

use subspace_core::metrics::copy_distance;
use subspace_core::{Backend, Group, HostTensor, Pair, Region, Shape};
use subspace_reference::{Cpu, Reference};

#[test]
fn close_copies_keep_their_distance() {
    // Elements of 1e6 apart by 0.0625 (one f32 step there): `|a|² + |b|² − 2<a, b>` would lose
    // most of the distance 0.0625 · √1000 to the rounding of its terms (about 1e15 each).
    let n = 1000;
    let copy = |x: f32| Reference::from_host(&HostTensor::new(vec![n], vec![x; n]).unwrap(), &Cpu);
    let region = Region::<Reference>::new(
        Shape::Line,
        vec![Group {
            name: "w".into(),
            layer: 0,
            regularized: true,
            copies: vec![copy(1.0e6), copy(1.0e6 + 0.0625)],
        }],
    )
    .unwrap();
    let d = copy_distance(&region, Pair::new(0, 1, 2).unwrap(), false).unwrap();
    let exact = 0.0625 * (n as f64).sqrt();
    assert!((d.l2 - exact).abs() <= 1e-9 * exact, "{} vs {exact}", d.l2);
    assert!((d.cos2 - 1.0).abs() < 1e-9);
}
