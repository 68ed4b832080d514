//! Frozen parameters (burn's `freeze` / `no_grad`): the cos² regularizer leaves out a parameter
//! whose copies are all frozen, a frozen copy gets no gradient in either form of the plugin, and
//! neither burn's optimizers nor `SubspaceSgd` move it; the trainable copies train as usual.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use burn::module::{Module, Param, ParamId};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{ModuleOptimizer, SgdConfig as BurnSgdConfig};
use burn::prelude::*;
use common::{Mlp, assert_close, batch, cross_entropy, values};
use subspace_burn::{CopyGradients, ParamSite, Subspace, SubspaceConfig, SubspaceSgd};
use subspace_core::{Momentum, SgdConfig, Shape};

fn device() -> Device {
    Device::flex().autodiff()
}

const LR: f64 = 0.1;
const STEPS: u64 = 3;

/// One parameter of a copy: its id, rank, whether it requires a gradient, and its bits.
#[derive(Debug, Clone, PartialEq)]
struct ParamState {
    id: ParamId,
    rank: usize,
    trains: bool,
    bits: Vec<u32>,
}

fn param_state<const D: usize>(p: &Param<Tensor<D>>) -> ParamState {
    ParamState {
        id: p.id,
        rank: D,
        trains: p.val().is_require_grad(),
        bits: values(p.val()).into_iter().map(f32::to_bits).collect(),
    }
}

/// Every parameter of every copy: `state[k]` is copy `k`'s fc1.weight, fc1.bias, fc2.weight,
/// fc2.bias.
fn state(sub: &Subspace<Mlp>) -> Vec<Vec<ParamState>> {
    sub.copies()
        .iter()
        .map(|m| {
            vec![
                param_state(&m.fc1.weight),
                param_state(m.fc1.bias.as_ref().unwrap()),
                param_state(&m.fc2.weight),
                param_state(m.fc2.bias.as_ref().unwrap()),
            ]
        })
        .collect()
}

/// Whether `grads` holds a gradient for the parameter.
fn has_grad(grads: &CopyGradients, p: &ParamState) -> bool {
    match p.rank {
        1 => grads.params.get::<1>(p.id).is_some(),
        2 => grads.params.get::<2>(p.id).is_some(),
        rank => unreachable!("an MLP has no rank-{rank} parameter"),
    }
}

/// Asserts that every frozen parameter kept its bits and every trainable one moved.
fn assert_only_trainable_moved(what: &str, before: &[Vec<ParamState>], after: &[Vec<ParamState>]) {
    let mut frozen = 0;
    for (k, (b, a)) in before.iter().zip(after).enumerate() {
        for (p, (b, a)) in b.iter().zip(a).enumerate() {
            assert_eq!(
                (a.id, a.trains),
                (b.id, b.trains),
                "{what}: copy {k} param {p}"
            );
            if b.trains {
                assert_ne!(
                    a.bits, b.bits,
                    "{what}: trainable copy {k} param {p} trained"
                );
            } else {
                frozen += 1;
                assert_eq!(a.bits, b.bits, "{what}: frozen copy {k} param {p} moved");
            }
        }
    }
    assert!(frozen > 0, "{what}: the test needs a frozen parameter");
}

fn burn_sgd() -> ModuleOptimizer {
    BurnSgdConfig::new()
        .with_momentum(Some(MomentumConfig::new().with_dampening(0.0)))
        .with_weight_decay(Some(WeightDecayConfig::new(1e-2)))
        .init()
}

fn subspace_sgd() -> SubspaceSgd {
    let config = SgdConfig::new()
        .with_momentum(Momentum::new(0.9))
        .with_weight_decay(1e-2);
    SubspaceSgd::new(config).unwrap()
}

/// `STEPS` steps in the graph (`at` + `gradients`) and by burn's SGD; `check` sees every step's
/// gradients.
fn train_in_graph(
    mut sub: Subspace<Mlp>,
    mut check: impl FnMut(&Subspace<Mlp>, u64, &CopyGradients),
) -> Subspace<Mlp> {
    let mut optim = burn_sgd();
    for step in 0..STEPS {
        let (x, y) = batch(8, 5, 3, step, &device());
        let model = sub.at(&sub.points(step)).unwrap();
        let grads = sub
            .gradients(cross_entropy(model.forward(x), &y).backward(), step)
            .unwrap();
        check(&sub, step, &grads);
        sub = optim.step(LR, sub, grads.params);
    }
    sub
}

/// `STEPS` steps mixed outside (`mixed` + `scatter`) and by burn's SGD, in lockstep with the
/// fused `SubspaceSgd` on `fused`, whose copies must have the same bits after every step.
fn train_scattered_and_fused(
    mut sub: Subspace<Mlp>,
    mut fused: Subspace<Mlp>,
    mut check: impl FnMut(&Subspace<Mlp>, u64, &CopyGradients),
) -> (Subspace<Mlp>, Subspace<Mlp>) {
    let (mut optim, mut sgd) = (burn_sgd(), subspace_sgd());
    for step in 0..STEPS {
        let (x, y) = batch(8, 5, 3, step, &device());
        let points = sub.points(step);
        let mixed = sub.mixed(&points).unwrap();
        let loss = cross_entropy(mixed.forward(x.clone()), &y);
        let grads = sub.scatter(loss.backward(), &mixed, &points, step).unwrap();
        check(&sub, step, &grads);
        sub = optim.step(LR, sub, grads.params);

        let mixed = fused.mixed_step(step).unwrap();
        let loss = cross_entropy(mixed.model.forward(x), &y);
        let reg = sgd.step(LR, &mut fused, loss.backward(), mixed).unwrap();
        assert_eq!(reg, grads.regularizer, "step {step}: the same regularizer");
        let bits = |s: &Subspace<Mlp>| -> Vec<Vec<Vec<u32>>> {
            state(s)
                .into_iter()
                .map(|c| c.into_iter().map(|p| p.bits).collect())
                .collect()
        };
        assert_eq!(
            bits(&fused),
            bits(&sub),
            "step {step}: fused vs scatter + burn"
        );
        // Groups in the order of `state`'s parameters: a velocity for every trainable copy,
        // none for a frozen one.
        for (k, copy) in state(&fused).iter().enumerate() {
            for (p, param) in copy.iter().enumerate() {
                let velocity = &sgd.state().velocities()[p][k];
                assert_eq!(
                    velocity.is_some(),
                    param.trains,
                    "step {step}, copy {k} param {p}"
                );
            }
        }
    }
    (sub, fused)
}

/// An MLP whose first layer is frozen.
fn frozen_backbone(device: &Device) -> Mlp {
    let m = Mlp::new(5, 4, 3, device);
    Mlp {
        fc1: m.fc1.freeze(),
        ..m
    }
}

/// The regularizer's predicate restricted to the head.
fn head_weight(site: &ParamSite) -> bool {
    site.path == "fc2.weight"
}

#[test]
fn a_frozen_backbone_stays_put_and_is_left_out_of_the_regularizer() {
    let device = device();
    for shape in [Shape::Line, Shape::simplex(3).unwrap()] {
        let config = SubspaceConfig::new(shape, 21);
        let sub = Subspace::new(config, || frozen_backbone(&device)).unwrap();
        let region = sub.region().unwrap();
        let regularized: Vec<bool> = region.groups().iter().map(|g| g.regularized).collect();
        assert_eq!(regularized, [false, false, true, false], "{shape}");
        assert!(
            sub.layout().groups()[0].regularized,
            "the predicate's choice"
        );
        let before = state(&sub);

        // The regularizer of the same copies with only the head's weight covered and nothing
        // frozen: the cos² sums run over the trainable weights alone.
        let head_only = |sub: &Subspace<Mlp>, step: u64| {
            let template = Mlp::new(5, 4, 3, &device);
            let config = config.with_regularized(head_weight);
            Subspace::from_region(config, &template, sub.region().unwrap())
                .unwrap()
                .regularizer(step)
                .unwrap()
        };
        let check = |what: &'static str| {
            move |sub: &Subspace<Mlp>, step: u64, grads: &CopyGradients| {
                assert!(grads.regularizer.is_some(), "{what}: β = 1 applies");
                assert_eq!(
                    grads.regularizer,
                    head_only(sub, step),
                    "{what}, step {step}"
                );
                for (k, copy) in state(sub).iter().enumerate() {
                    for (p, param) in copy.iter().enumerate() {
                        let what = format!("{shape} {what}, step {step}, copy {k} param {p}");
                        assert_eq!(has_grad(grads, param), param.trains, "{what}");
                    }
                }
            }
        };

        let in_graph = train_in_graph(sub.clone(), check("in the graph"));
        assert_only_trainable_moved(&format!("{shape} in the graph"), &before, &state(&in_graph));
        let (scattered, fused) =
            train_scattered_and_fused(sub.clone(), sub.clone(), check("scattered"));
        assert_only_trainable_moved(&format!("{shape} scattered"), &before, &state(&scattered));
        assert_only_trainable_moved(&format!("{shape} fused"), &before, &state(&fused));
    }
}

#[test]
fn a_frozen_endpoint_stays_put_while_the_other_trains() {
    let device = device();
    let config = SubspaceConfig::new(Shape::Line, 8);
    // Copy 0 whole frozen (a fixed endpoint), copy 1 trainable.
    let copies = vec![
        Mlp::new(5, 4, 3, &device).freeze(),
        Mlp::new(5, 4, 3, &device),
    ];
    let sub = Subspace::from_copies(config, copies).unwrap();
    let before = state(&sub);
    assert!(before[0].iter().all(|p| !p.trains) && before[1].iter().all(|p| p.trains));
    let regularized: Vec<bool> = sub
        .region()
        .unwrap()
        .groups()
        .iter()
        .map(|g| g.regularized)
        .collect();
    assert_eq!(
        regularized,
        [true, false, true, false],
        "copy 1's weights train"
    );

    // Both forms give copy 1 the same gradient (c_1 g and its cos² term), copy 0 none.
    let (x, y) = batch(8, 5, 3, 0, &device);
    let points = sub.points(0);
    let model = sub.at(&points).unwrap();
    let in_graph = sub
        .gradients(cross_entropy(model.forward(x.clone()), &y).backward(), 0)
        .unwrap();
    let mixed = sub.mixed(&points).unwrap();
    let loss = cross_entropy(mixed.forward(x), &y);
    let scattered = sub.scatter(loss.backward(), &mixed, &points, 0).unwrap();
    assert!(in_graph.regularizer.is_some());
    assert_eq!(in_graph.regularizer, scattered.regularizer);
    for p in &before[0] {
        assert!(!has_grad(&in_graph, p) && !has_grad(&scattered, p), "{p:?}");
    }
    let grad = |grads: &CopyGradients, p: &ParamState| match p.rank {
        1 => values(grads.params.get::<1>(p.id).unwrap()),
        _ => values(grads.params.get::<2>(p.id).unwrap()),
    };
    for (i, p) in before[1].iter().enumerate() {
        let what = format!("copy 1 param {i}");
        assert_close(&what, &grad(&in_graph, p), &grad(&scattered, p), 1e-7, 1e-5);
    }

    let nothing = |_: &Subspace<Mlp>, _: u64, _: &CopyGradients| {};
    let in_graph = train_in_graph(sub.clone(), nothing);
    assert_only_trainable_moved("in the graph", &before, &state(&in_graph));
    let (scattered, fused) = train_scattered_and_fused(sub.clone(), sub, nothing);
    assert_only_trainable_moved("scattered", &before, &state(&scattered));
    assert_only_trainable_moved("fused", &before, &state(&fused));
}

#[test]
fn a_whole_frozen_model_has_no_regularizer() {
    let device = device();
    let sub = Subspace::new(SubspaceConfig::new(Shape::Line, 1), || {
        Mlp::new(5, 4, 3, &device).freeze()
    })
    .unwrap();
    assert_eq!(sub.regularizer(0).unwrap(), None);
    let trainable = Subspace::new(SubspaceConfig::new(Shape::Line, 1), || {
        Mlp::new(5, 4, 3, &device)
    })
    .unwrap();
    assert!(trainable.regularizer(0).unwrap().is_some());
}
