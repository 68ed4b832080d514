//! A region written by another framework (the reference MLP, through core's region file) is
//! loaded into a burn model with `Subspace::from_region`: burn then computes the reference's
//! logits at every point and trains on from the loaded copies.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use burn::optim::SgdConfig;
use burn::prelude::*;
use common::{Mlp, assert_close, batch, cross_entropy, values};
use subspace_burn::{Burn, Error, Subspace, SubspaceConfig};
use subspace_core::{Backend, Point, Region, Shape, load_region, save_region};
use subspace_reference::Reference;
use subspace_reference::mlp;

const INPUT: usize = 5;
const HIDDEN: usize = 7;
const CLASSES: usize = 3;
const ROWS: usize = 6;

/// The reference MLP's region of `shape`, written to a region file and read onto burn-flex.
fn reference_region(shape: Shape, device: &Device) -> (mlp::Mlp, Region<Reference>, Region<Burn>) {
    let reference = mlp::Mlp::new(INPUT, HIDDEN, CLASSES).unwrap();
    let region = reference
        .region(shape, reference.init_copies(shape, 11))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.region");
    save_region(&region, &path).unwrap();
    let loaded = load_region::<Burn>(&path, device).unwrap();
    (reference, region, loaded)
}

#[test]
fn a_region_of_the_reference_mlp_gives_its_logits_in_burn_and_trains_on() {
    let device = Device::flex().autodiff();
    let (reference, theirs, loaded) = reference_region(Shape::Line, &device);
    let template = Mlp::new(INPUT, HIDDEN, CLASSES, &device);
    let config = SubspaceConfig::new(Shape::Line, 3);
    let mut sub = Subspace::from_region(config, &template, loaded).unwrap();

    let ours = sub.region().unwrap();
    for (theirs, ours) in theirs.groups().iter().zip(ours.groups()) {
        assert_eq!(theirs.name, ours.name);
        for (k, (t, o)) in theirs.copies.iter().zip(&ours.copies).enumerate() {
            let (t, o) = (
                Reference::tensor_to_host(t.clone()).unwrap(),
                Burn::tensor_to_host(o.clone()).unwrap(),
            );
            assert_eq!(t.dims(), o.dims(), "{} copy {k}", ours.name);
            assert_eq!(t.data(), o.data(), "{} copy {k}", ours.name);
        }
    }

    let (x, labels) = batch(ROWS, INPUT, CLASSES, 5, &device);
    let inputs = values(x.clone());
    for a in [0.0, 0.3, 1.0] {
        let point = Point::curve(a).unwrap();
        let expected = reference.logits_at(&theirs, &point, &inputs).unwrap();
        let got = values(sub.export(&point).unwrap().forward(x.clone()));
        assert_close(
            &format!("logits at a = {a}"),
            &got,
            expected.data(),
            1e-5,
            1e-5,
        );
    }

    let before = values(
        sub.export(&Point::curve(0.5).unwrap())
            .unwrap()
            .forward(x.clone()),
    );
    let mut optim = SgdConfig::new().init();
    for step in 0..3 {
        let model = sub.at(&sub.points(step)).unwrap();
        let loss = cross_entropy(model.forward(x.clone()), &labels);
        let grads = sub.gradients(loss.backward(), step).unwrap();
        sub = optim.step(0.1, sub, grads.params);
    }
    let after = values(sub.export(&Point::curve(0.5).unwrap()).unwrap().forward(x));
    assert_ne!(
        before, after,
        "three SGD steps left the loaded line unchanged"
    );
}

#[test]
fn a_region_of_another_shape_or_model_is_refused() {
    let device = Device::flex();
    let (_, _, line) = reference_region(Shape::Line, &device);
    let template = Mlp::new(INPUT, HIDDEN, CLASSES, &device);
    let simplex = SubspaceConfig::new(Shape::Simplex { vertices: 3 }, 0);
    match Subspace::from_region(simplex, &template, line.clone()) {
        Err(Error::RegionShape { expected, found }) => {
            assert_eq!(
                (expected.as_str(), found.as_str()),
                ("simplex with 3 vertices", "line")
            );
        }
        other => panic!("expected a shape error, got {other:?}"),
    }

    let wider = Mlp::new(INPUT, HIDDEN + 1, CLASSES, &device);
    let config = SubspaceConfig::new(Shape::Line, 0);
    match Subspace::from_region(config, &wider, line) {
        Err(Error::LayoutMismatch {
            what,
            expected,
            found,
        }) => {
            assert_eq!(what, "the region");
            assert_eq!(expected[0], format!("fc1.weight {:?}", [INPUT, HIDDEN + 1]));
            assert_eq!(found[0], format!("fc1.weight {:?}", [INPUT, HIDDEN]));
        }
        other => panic!("expected a layout error, got {other:?}"),
    }
}
