//! Trajectory check: the reference MLP (hand-written backward, SGD, f64 arithmetic) and the
//! same MLP as a burn model trained through the plugin on burn-flex, from the same initial
//! copies, on the same batches and sampled points, end with the same copies.
//!
//! burn's SGD momentum is `v ← (1 − dampening) g + μ v` after a first step `v = g`
//! (burn-optim `momentum.rs`); with dampening 0 that is PyTorch's rule, the reference's.
//! burn's weight decay adds `λ w` to each copy's gradient before the momentum
//! (burn-optim `decay.rs`), the reference's `copy_gradients(.., λ)`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use burn::optim::SgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::prelude::*;
use common::{Mlp, assert_close, cross_entropy};
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use subspace_burn::{Burn, Subspace, SubspaceConfig};
use subspace_core::{Backend, Cos2Config, Momentum, PointSchedule, Region, Shape, Sharing};
use subspace_reference::mlp::{self, Batch, TrainConfig, TrainState};
use subspace_reference::{LrSchedule, Reference};

const INPUT: usize = 6;
const HIDDEN: usize = 8;
const CLASSES: usize = 3;
const STEPS: usize = 25;
const ROWS: usize = 10;

fn batches(seed: u64) -> Vec<Batch> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..STEPS)
        .map(|_| Batch {
            inputs: (0..ROWS * INPUT)
                .map(|_| rng.random::<f32>() * 2.0 - 1.0)
                .collect(),
            labels: (0..ROWS).map(|_| rng.random_range(0..CLASSES)).collect(),
        })
        .collect()
}

fn check(shape: Shape, sharing: Sharing) {
    let device = Device::flex().autodiff();
    let reference = mlp::Mlp::new(INPUT, HIDDEN, CLASSES).unwrap();
    let initial = reference.init_copies(shape, 21);
    let data = batches(22);
    let (lr, momentum, weight_decay) = (
        LrSchedule::WarmupCosine {
            base_lr: 0.2,
            warmup: 5,
            total: STEPS as u64,
        },
        0.9,
        1e-3,
    );
    let schedule = PointSchedule::new(shape, sharing, 23);
    let config = TrainConfig {
        schedule,
        lr,
        sgd: subspace_core::SgdConfig::new()
            .with_momentum(Momentum::new(momentum))
            .with_weight_decay(weight_decay),
        cos2: Cos2Config::default(),
    };
    let start = reference.region(shape, initial.clone()).unwrap();
    let on_burn = Region::<Burn>::from_host(shape, start.to_host().unwrap(), &device).unwrap();
    let (done, _) = mlp::train(&reference, &config, TrainState::new(start), &data).unwrap();

    let mut sub = Subspace::from_region(
        SubspaceConfig {
            schedule,
            ..SubspaceConfig::new(shape, 0)
        },
        &Mlp::new(INPUT, HIDDEN, CLASSES, &device),
        on_burn,
    )
    .unwrap();
    let mut optim = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(momentum)
                .with_dampening(0.0),
        ))
        .with_weight_decay(Some(WeightDecayConfig::new(weight_decay as f32)))
        .init();
    for (step, batch) in data.iter().enumerate() {
        let step = step as u64;
        let x = Tensor::<2>::from_data(
            TensorData::new(batch.inputs.clone(), [ROWS, INPUT]),
            &device,
        );
        let labels: Vec<i64> = batch.labels.iter().map(|&l| l as i64).collect();
        let model = sub.at(&sub.points(step)).unwrap();
        let loss = cross_entropy(model.forward(x), &labels);
        let grads = sub.gradients(loss.backward(), step).unwrap();
        sub = optim.step(lr.lr(step), sub, grads.params);
    }

    let ours = sub.region().unwrap();
    let mut worst = 0.0f32;
    for (g, (theirs, ours)) in done.region.groups().iter().zip(ours.groups()).enumerate() {
        assert_eq!(theirs.name, ours.name);
        let copies = theirs.copies.iter().zip(&ours.copies).zip(&initial[g]);
        for (k, ((theirs, ours_k), start)) in copies.enumerate() {
            let expected = Reference::tensor_to_host(theirs.clone()).unwrap();
            let got = Burn::tensor_to_host(ours_k.clone()).unwrap();
            let what = format!("{shape} {sharing:?}: {} copy {k}", ours.name);
            worst = worst.max(assert_close(&what, got.data(), expected.data(), 1e-6, 1e-5));
            let moved = expected
                .data()
                .iter()
                .zip(start.data())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                moved > 1e-2,
                "{what}: training barely moved the copy ({moved})"
            );
        }
    }
    println!("{shape} {sharing:?}: worst |burn - reference| after {STEPS} steps = {worst:e}");
}

#[test]
fn line_matches_the_reference_trajectory() {
    check(Shape::Line, Sharing::Shared);
}

#[test]
fn layerwise_simplex_matches_the_reference_trajectory() {
    check(Shape::simplex(3).unwrap(), Sharing::Layerwise);
}
