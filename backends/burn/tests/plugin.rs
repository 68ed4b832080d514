//! The plugin on a user's burn model: both forms of the contract give the same per-copy
//! gradients, points are exact at vertices, copies keep separate optimizer state, exports are
//! plain standalone models.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use burn::module::{Module, Param};
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::prelude::*;
use common::{Mlp, WithUnused, assert_close, batch, cross_entropy, values};
use subspace_burn::{Error, Subspace, SubspaceConfig};
use subspace_core::{Cos2Config, Point, Shape, Sharing, StepPoints};

fn device() -> Device {
    Device::flex().autodiff()
}

fn subspace(shape: Shape, sharing: Sharing, seed: u64) -> Subspace<Mlp> {
    let device = device();
    let config = SubspaceConfig::new(shape, seed).with_sharing(sharing);
    Subspace::new(config, || Mlp::new(5, 4, 3, &device)).unwrap()
}

/// `(name, grad)` of every parameter of copy `k`, read from `grads` by the copy's ids.
fn copy_grads(sub: &Subspace<Mlp>, grads: &GradientsParams, k: usize) -> Vec<(String, Vec<f32>)> {
    let m = &sub.copies()[k];
    let two =
        |name: &str, p: &Param<Tensor<2>>| (name.to_string(), grads.get::<2>(p.id).map(values));
    let one =
        |name: &str, p: &Param<Tensor<1>>| (name.to_string(), grads.get::<1>(p.id).map(values));
    [
        two("fc1.weight", &m.fc1.weight),
        one("fc1.bias", m.fc1.bias.as_ref().unwrap()),
        two("fc2.weight", &m.fc2.weight),
        one("fc2.bias", m.fc2.bias.as_ref().unwrap()),
    ]
    .into_iter()
    .map(|(name, g)| {
        (
            name.clone(),
            g.unwrap_or_else(|| panic!("copy {k} has no gradient for {name}")),
        )
    })
    .collect()
}

#[test]
fn in_graph_and_scatter_give_the_same_copy_gradients() {
    let shapes = [
        Shape::Line,
        Shape::bezier(2).unwrap(),
        Shape::simplex(3).unwrap(),
    ];
    for shape in shapes {
        for sharing in [Sharing::Shared, Sharing::Layerwise] {
            let sub = subspace(shape, sharing, 11);
            let (x, y) = batch(6, 5, 3, 2, &device());
            for step in [0u64, 7] {
                let points = sub.points(step);

                let model = sub.at(&points).unwrap();
                let loss = cross_entropy(model.forward(x.clone()), &y);
                let loss_in_graph = values(loss.clone())[0];
                let in_graph = sub.gradients(loss.backward(), step).unwrap();

                let mixed = sub.mixed(&points).unwrap();
                let loss = cross_entropy(mixed.forward(x.clone()), &y);
                assert_eq!(
                    values(loss.clone())[0],
                    loss_in_graph,
                    "{shape}: same w(p), same loss"
                );
                let scattered = sub.scatter(loss.backward(), &mixed, &points, step).unwrap();

                assert!(
                    in_graph.regularizer.is_some(),
                    "β = 1 regularizes every step"
                );
                assert_eq!(in_graph.regularizer, scattered.regularizer);
                for k in 0..shape.copies() {
                    let a = copy_grads(&sub, &in_graph.params, k);
                    let b = copy_grads(&sub, &scattered.params, k);
                    for ((name, ga), (_, gb)) in a.iter().zip(&b) {
                        let what = format!("{shape} {sharing:?} step {step} copy {k} {name}");
                        assert_close(&what, ga, gb, 1e-7, 1e-5);
                        assert!(ga.iter().any(|v| *v != 0.0), "{what}: gradient is zero");
                    }
                }
            }
        }
    }
}

#[test]
fn a_layer_the_loss_does_not_reach_gets_the_same_gradients_in_both_forms() {
    // Its weight is regularized: copies in the step's pair get dR/dw, the others nothing.
    let device = device();
    for shape in [Shape::bezier(2).unwrap(), Shape::simplex(3).unwrap()] {
        let sub =
            Subspace::new(SubspaceConfig::new(shape, 5), || WithUnused::new(&device)).unwrap();
        let (x, y) = batch(6, 6, 3, 1, &device);
        for step in 0..6u64 {
            let points = sub.points(step);
            let model = sub.at(&points).unwrap();
            let in_graph = sub
                .gradients(cross_entropy(model.forward(x.clone()), &y).backward(), step)
                .unwrap();
            let mixed = sub.mixed(&points).unwrap();
            let loss = cross_entropy(mixed.forward(x.clone()), &y);
            let scattered = sub.scatter(loss.backward(), &mixed, &points, step).unwrap();
            let reg = in_graph.regularizer.unwrap();
            for k in 0..shape.copies() {
                let id = sub.copies()[k].unused.weight.id;
                let a = in_graph.params.get::<2>(id).map(values);
                let b = scattered.params.get::<2>(id).map(values);
                let what = format!("{shape} step {step} copy {k}");
                assert_eq!(
                    a.is_some(),
                    reg.grad_terms(k).is_some(),
                    "{what}: in the graph"
                );
                assert_eq!(
                    b.is_some(),
                    reg.grad_terms(k).is_some(),
                    "{what}: scattered"
                );
                if let (Some(a), Some(b)) = (a, b) {
                    assert_close(&what, &a, &b, 1e-7, 1e-5);
                }
            }
        }
    }
}

#[test]
fn in_graph_gradient_is_the_coefficient_times_the_gradient_at_the_point() {
    // Without the regularizer, copy i's gradient is exactly c_i(p) · dL/dw(p).
    let device = device();
    let config = SubspaceConfig::new(Shape::Line, 3)
        .with_cos2(subspace_core::Cos2Config::new(0.0, 0.0).unwrap());
    let sub = Subspace::new(config, || Mlp::new(5, 4, 3, &device)).unwrap();
    let a = 0.3;
    let points = StepPoints::Shared(Point::curve(a).unwrap());
    let (x, y) = batch(6, 5, 3, 4, &device);

    let model = sub.at(&points).unwrap();
    let grads = sub
        .gradients(cross_entropy(model.forward(x.clone()), &y).backward(), 0)
        .unwrap();
    assert!(grads.regularizer.is_none());

    let plain = sub.mixed(&points).unwrap();
    let mut raw = cross_entropy(plain.forward(x), &y).backward();
    let g = GradientsParams::from_module(&mut raw, &plain);
    let g_w1 = values(g.get::<2>(plain.fc1.weight.id).unwrap());
    for (k, c) in [(0, 1.0 - a), (1, a)] {
        let got = values(
            grads
                .params
                .get::<2>(sub.copies()[k].fc1.weight.id)
                .unwrap(),
        );
        let expected: Vec<f32> = g_w1.iter().map(|v| (*v as f64 * c) as f32).collect();
        assert_close(&format!("copy {k}"), &got, &expected, 1e-7, 1e-6);
    }
}

#[test]
fn model_at_a_vertex_is_that_copy_exactly() {
    let sub = subspace(Shape::simplex(3).unwrap(), Sharing::Shared, 5);
    let (x, _) = batch(4, 5, 3, 1, &device());
    for k in 0..3 {
        let vertex = StepPoints::Shared(Shape::simplex(3).unwrap().vertex(k).unwrap());
        let at = sub.at(&vertex).unwrap().forward(x.clone());
        let copy = sub.copies()[k].forward(x.clone());
        assert_eq!(values(at), values(copy), "vertex {k}");
    }
}

#[test]
fn every_copy_keeps_its_own_optimizer_state() {
    let mut sub = subspace(Shape::Line, Sharing::Shared, 9);
    let mut optim = SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
        .init();
    let (x, y) = batch(6, 5, 3, 3, &device());
    let before: Vec<Vec<f32>> = sub
        .copies()
        .iter()
        .map(|m| values(m.fc1.weight.val()))
        .collect();
    for step in 0..2 {
        let model = sub.at(&sub.points(step)).unwrap();
        let grads = sub
            .gradients(cross_entropy(model.forward(x.clone()), &y).backward(), step)
            .unwrap();
        sub = optim.step(0.1, sub, grads.params);
    }
    // One velocity per copy of each of the 4 parameters.
    assert_eq!(optim.to_record().len(), 2 * 4);
    for (k, m) in sub.copies().iter().enumerate() {
        assert_ne!(
            values(m.fc1.weight.val()),
            before[k],
            "copy {k} was not trained"
        );
    }
}

#[test]
fn copies_must_be_independent_models() {
    let device = device();
    let config = SubspaceConfig::new(Shape::Line, 0);
    let one = Mlp::new(5, 4, 3, &device);
    let shared = Subspace::from_copies(config, vec![one.clone(), one]);
    assert!(matches!(
        shared,
        Err(Error::SharedParamId { second: 1, .. })
    ));
    let count = Subspace::from_copies(config, vec![Mlp::new(5, 4, 3, &device)]);
    assert!(matches!(
        count,
        Err(Error::CopyCount {
            expected: 2,
            found: 1,
            ..
        })
    ));
    let other = Subspace::from_copies(
        config,
        vec![Mlp::new(5, 4, 3, &device), Mlp::new(5, 6, 3, &device)],
    );
    assert!(matches!(other, Err(Error::LayoutMismatch { .. })));
}

#[test]
fn an_invalid_config_is_refused_before_any_copy_is_built() {
    let device = device();
    let huge = [
        Shape::Simplex {
            vertices: usize::MAX,
        },
        Shape::Bezier { degree: 5000 },
    ];
    let bad_cos2 = [f64::NAN, -1.0, f64::INFINITY].map(|v| {
        [
            Cos2Config { beta: v, eps: 1e-8 },
            Cos2Config { beta: 1.0, eps: v },
        ]
    });
    let configs = huge
        .map(|shape| SubspaceConfig::new(shape, 0))
        .into_iter()
        .chain(
            bad_cos2
                .into_iter()
                .flatten()
                .map(|cos2| SubspaceConfig::new(Shape::Line, 0).with_cos2(cos2)),
        );
    for config in configs {
        let what = format!("{:?} {:?}", config.schedule.shape, config.cos2);
        let mut built = 0;
        let result = Subspace::new(config, || {
            built += 1;
            Mlp::new(5, 4, 3, &device)
        });
        assert!(matches!(result, Err(Error::Core(_))), "{what}: {result:?}");
        assert_eq!(
            built, 0,
            "{what}: copies built before the config was checked"
        );
        assert!(config.validate().is_err(), "{what}");
        let copies = (0..2).map(|_| Mlp::new(5, 4, 3, &device)).collect();
        let from_copies = Subspace::from_copies(config, copies);
        assert!(matches!(from_copies, Err(Error::Core(_))), "{what}");
        let line = subspace(Shape::Line, Sharing::Shared, 0);
        let from_region = Subspace::from_region(config, &line.copies()[0], line.region().unwrap());
        assert!(matches!(from_region, Err(Error::Core(_))), "{what}");
    }
    assert!(SubspaceConfig::new(Shape::Line, 0).validate().is_ok());
}

#[test]
fn layout_names_groups_by_path_with_one_layer_per_module() {
    let sub = subspace(Shape::Line, Sharing::Layerwise, 0);
    let groups = sub.layout().groups();
    let names: Vec<_> = groups.iter().map(|g| g.site.path.as_str()).collect();
    assert_eq!(names, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    let layers: Vec<_> = groups.iter().map(|g| g.layer).collect();
    assert_eq!(layers, [0, 0, 1, 1]);
    let regularized: Vec<_> = groups.iter().map(|g| g.regularized).collect();
    assert_eq!(regularized, [true, false, true, false]);
    assert_eq!(sub.layout().layers(), 2);
    let StepPoints::Layerwise(points) = sub.points(3) else {
        panic!("layerwise config gave shared points")
    };
    assert_eq!(points.len(), 2);
}

#[test]
fn export_is_a_standalone_model_at_the_point() {
    let sub = subspace(Shape::Line, Sharing::Shared, 4);
    let w0 = values(sub.copies()[0].fc1.weight.val());
    let w1 = values(sub.copies()[1].fc1.weight.val());

    let end = sub.export(&Point::curve(1.0).unwrap()).unwrap();
    assert_eq!(values(end.fc1.weight.val()), w1, "a = 1 is copy 1 exactly");
    let mid = sub.export(&Shape::Line.midpoint().unwrap()).unwrap();
    let expected: Vec<f32> = w0.iter().zip(&w1).map(|(a, b)| 0.5 * a + 0.5 * b).collect();
    assert_close(
        "midpoint",
        &values(mid.fc1.weight.val()),
        &expected,
        1e-7,
        1e-6,
    );

    // Fresh ids, same mode (trainable on the autodiff device), usable without the subspace.
    let copy_ids: Vec<_> = sub.copies().iter().map(|m| m.fc1.weight.id).collect();
    assert!(!copy_ids.contains(&mid.fc1.weight.id));
    assert!(mid.fc1.weight.val().is_require_grad());
    let (x, y) = batch(4, 5, 3, 8, &device());
    let grads = cross_entropy(mid.forward(x), &y).backward();
    assert!(mid.fc1.weight.val().grad(&grads).is_some());

    // A plain subspace exports plain models.
    let plain = Subspace::from_copies(
        *sub.config(),
        sub.clone()
            .into_copies()
            .into_iter()
            .map(|m| m.valid())
            .collect(),
    )
    .unwrap();
    let exported = plain.export(&Shape::Line.midpoint().unwrap()).unwrap();
    assert!(!exported.fc1.weight.val().is_autodiff());
}

#[test]
fn a_one_point_region_is_standard_training() {
    let device = device();
    let model = Mlp::new(5, 4, 3, &device);
    let sub =
        Subspace::from_copies(SubspaceConfig::new(Shape::Point, 0), vec![model.clone()]).unwrap();
    let sgd = || {
        SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
            .init()
    };
    let (mut plain, mut plain_optim) = (model, sgd());
    let (mut sub, mut sub_optim) = (sub, sgd());
    for step in 0..3 {
        let (x, y) = batch(6, 5, 3, step, &device);
        let grads = cross_entropy(plain.forward(x.clone()), &y).backward();
        let grads = GradientsParams::from_grads(grads, &plain);
        plain = plain_optim.step(0.1, plain, grads);

        let at = sub.at(&sub.points(step)).unwrap();
        let grads = sub
            .gradients(cross_entropy(at.forward(x), &y).backward(), step)
            .unwrap();
        assert!(grads.regularizer.is_none(), "one copy has no pair");
        sub = sub_optim.step(0.1, sub, grads.params);
    }
    let copy = &sub.copies()[0];
    assert_eq!(
        values(copy.fc1.weight.val()),
        values(plain.fc1.weight.val())
    );
    assert_eq!(
        values(copy.fc2.bias.as_ref().unwrap().val()),
        values(plain.fc2.bias.as_ref().unwrap().val())
    );
}
