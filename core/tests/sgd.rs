//! `sgd_step` on the reference backend: the update of the module docs, worked by hand; which
//! groups step; momentum variants against their formulas.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

use subspace_core::{
    Backend, Cos2, Cos2Config, Group, HostTensor, Momentum, Pair, Point, Region, SgdConfig,
    SgdState, Shape, StepPoints, sgd_step,
};
use subspace_reference::{Cpu, Reference};

type T = <Reference as Backend>::Tensor;

fn tensor(data: &[f32]) -> T {
    Reference::from_host(
        &HostTensor::new(vec![data.len()], data.to_vec()).unwrap(),
        &Cpu,
    )
}

fn values(t: &T) -> Vec<f32> {
    Reference::tensor_to_host(t.clone()).unwrap().into_data()
}

/// A line with copies `w_0 = [1, -2]`, `w_1 = [2, 4]` in group `w` (regularized) and
/// `w_0 = [1]`, `w_1 = [3]` in group `b` (not).
fn line() -> Region<Reference> {
    let group = |name: &str, regularized, copies| Group {
        name: name.into(),
        layer: 0,
        regularized,
        copies,
    };
    Region::new(
        Shape::Line,
        vec![
            group("w", true, vec![tensor(&[1.0, -2.0]), tensor(&[2.0, 4.0])]),
            group("b", false, vec![tensor(&[1.0]), tensor(&[3.0])]),
        ],
    )
    .unwrap()
}

fn at_quarter() -> StepPoints {
    StepPoints::Shared(Point::curve(0.25).unwrap())
}

fn assert_close(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (f64::from(*g) - w).abs() <= 1e-6 * (1.0 + w.abs()),
            "{what}: {got:?} vs {want:?}"
        );
    }
}

#[test]
fn two_momentum_steps_worked_by_hand() {
    // c = [0.75, 0.25] at a = 0.25; λ = 0.5, μ = 0.9, η = 0.1; g_w = [1, 2], g_b = [4].
    let mut region = line();
    let mut state = SgdState::new();
    let config = SgdConfig::new()
        .with_momentum(Momentum::new(0.9))
        .with_weight_decay(0.5);
    let step = |region: &mut Region<Reference>, state: &mut SgdState<T>| {
        let grads = vec![Some(tensor(&[1.0, 2.0])), Some(tensor(&[4.0]))];
        sgd_step(region, grads, &at_quarter(), None, state, &config, 0.1).unwrap();
    };

    step(&mut region, &mut state);
    // w_0: G = 0.75 g + 0.5 w_0 = [1.25, 0.5]; v = G; w_0 − 0.1 v.
    let w = &region.groups()[0].copies;
    assert_close("w_0 after 1", &values(&w[0]), &[0.875, -2.05]);
    // w_1: G = 0.25 g + 0.5 w_1 = [1.25, 2.5].
    assert_close("w_1 after 1", &values(&w[1]), &[1.875, 3.75]);
    let v = &state.velocities()[0];
    assert_close("v_0 after 1", &values(v[0].as_ref().unwrap()), &[1.25, 0.5]);
    // b_1: G = 0.25 · 4 + 0.5 · 3 = 2.5.
    assert_close(
        "b_1 after 1",
        &values(&region.groups()[1].copies[1]),
        &[2.75],
    );

    step(&mut region, &mut state);
    // w_0[0]: G = 0.75 + 0.5 · 0.875 = 1.1875; v = 1.1875 + 0.9 · 1.25 = 2.3125.
    let w = &region.groups()[0].copies;
    assert_close("w_0[0] after 2", &values(&w[0])[..1], &[0.875 - 0.23125]);
    let v = &state.velocities()[0];
    assert_close(
        "v_0[0] after 2",
        &values(v[0].as_ref().unwrap())[..1],
        &[2.3125],
    );
}

#[test]
fn nesterov_dampening_and_plain_sgd_follow_their_formulas() {
    // One copy of one element: w = 2, g = 1, λ = 0, η = 0.5, from velocity 4.
    let run = |momentum: Option<Momentum>, velocity: Option<f32>| {
        let mut region = Region::<Reference>::new(
            Shape::Point,
            vec![Group {
                name: "w".into(),
                layer: 0,
                regularized: false,
                copies: vec![tensor(&[2.0])],
            }],
        )
        .unwrap();
        let mut state = SgdState::from_velocities(vec![vec![velocity.map(|v| tensor(&[v]))]]);
        let config = SgdConfig {
            momentum,
            weight_decay: 0.0,
        };
        let points = StepPoints::Shared(Point::Origin);
        sgd_step(
            &mut region,
            vec![Some(tensor(&[1.0]))],
            &points,
            None,
            &mut state,
            &config,
            0.5,
        )
        .unwrap();
        let v = state.velocities()[0][0].as_ref().map(|v| values(v)[0]);
        (values(&region.groups()[0].copies[0])[0], v)
    };
    // Plain: w − η g.
    assert_eq!(run(None, None), (1.5, None));
    // v = (1 − τ) g + μ v = 0.75 + 0.5 · 4 = 2.75; w − η v.
    let damped = Momentum {
        momentum: 0.5,
        dampening: 0.25,
        nesterov: false,
    };
    assert_eq!(run(Some(damped), Some(4.0)), (2.0 - 0.5 * 2.75, Some(2.75)));
    // A first step ignores dampening: v = g.
    assert_eq!(run(Some(damped), None), (1.5, Some(1.0)));
    // Nesterov: v = g + μ v = 3; u = g + μ v = 2.5.
    let nesterov = Momentum {
        momentum: 0.5,
        dampening: 0.0,
        nesterov: true,
    };
    assert_eq!(run(Some(nesterov), Some(4.0)), (2.0 - 0.5 * 2.5, Some(3.0)));
}

#[test]
fn groups_without_a_gradient_step_only_on_their_regularizer_term() {
    let mut region = line();
    let before = region.to_host().unwrap();
    let reg = Cos2::from_sums(
        Pair::new(0, 1, 2).unwrap(),
        1.0,
        2.0,
        3.0,
        Cos2Config::default(),
    );
    let mut state = SgdState::new();
    let config = SgdConfig::new().with_momentum(Momentum::new(0.9));
    sgd_step(
        &mut region,
        vec![None, None],
        &at_quarter(),
        Some(&reg),
        &mut state,
        &config,
        0.1,
    )
    .unwrap();
    let after = region.to_host().unwrap();
    // `w` is regularized: w_0 ← w_0 − η (c_self w_0 + c_other w_1).
    let (c_self, _, c_other) = reg.grad_terms(0).unwrap();
    let w0: Vec<f64> = [(1.0, 2.0), (-2.0, 4.0)]
        .iter()
        .map(|&(a, b): &(f64, f64)| a - 0.1 * (c_self * a + c_other * b))
        .collect();
    assert_close("w_0", after[0].copies[0].data(), &w0);
    // `b` is not, and has no gradient: untouched, without a velocity.
    assert_eq!(after[1].copies[1].data(), before[1].copies[1].data());
    assert!(state.velocities()[1].iter().all(Option::is_none));
    assert!(state.velocities()[0].iter().all(Option::is_some));
}

#[test]
fn copies_outside_the_pair_of_a_group_without_a_gradient_keep_weight_and_velocity() {
    // A simplex with three vertices; the pair (0, 1) leaves copy 2 out. After a first step with
    // a gradient every copy has a velocity; in the second the loss does not reach the group.
    let mut region = Region::<Reference>::new(
        Shape::simplex(3).unwrap(),
        vec![Group {
            name: "w".into(),
            layer: 0,
            regularized: true,
            copies: vec![
                tensor(&[1.0, 0.0]),
                tensor(&[0.0, 2.0]),
                tensor(&[3.0, 1.0]),
            ],
        }],
    )
    .unwrap();
    let points = StepPoints::Shared(Point::simplex(vec![0.2, 0.3, 0.5]).unwrap());
    let reg = Cos2::from_sums(
        Pair::new(0, 1, 3).unwrap(),
        0.5,
        1.0,
        4.0,
        Cos2Config::default(),
    );
    let config = SgdConfig::new()
        .with_momentum(Momentum::new(0.9))
        .with_weight_decay(0.1);
    let mut state = SgdState::new();
    let mut step = |grad: Option<T>, state: &mut SgdState<T>| {
        sgd_step(
            &mut region,
            vec![grad],
            &points,
            Some(&reg),
            state,
            &config,
            0.1,
        )
        .unwrap();
        region.to_host().unwrap().remove(0).copies
    };
    let first = step(Some(tensor(&[1.0, -1.0])), &mut state);
    let v2 = values(state.velocities()[0][2].as_ref().unwrap());
    let second = step(None, &mut state);
    assert_eq!(second[2].data(), first[2].data(), "copy 2 moved");
    assert_eq!(values(state.velocities()[0][2].as_ref().unwrap()), v2);
    assert_ne!(second[0].data(), first[0].data(), "copy 0 is in the pair");
    assert_ne!(second[1].data(), first[1].data(), "copy 1 is in the pair");
}
