//! `SubspaceSgd`: the fused step gives the bits of `scatter` followed by burn's own SGD, for
//! every kind of shape, shared and layerwise points and every momentum setting, with a parameter the loss does not reach; bad steps
//! change nothing; checkpoints resume its velocities.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions

mod common;

use burn::nn::{Linear, LinearConfig};
use burn::optim::SgdConfig as BurnSgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::prelude::*;
use common::{WithUnused, batch, cross_entropy, values};
use subspace_burn::{
    Checkpoint, CheckpointError, CheckpointOptimizer, Error, MixedStep, Subspace, SubspaceConfig,
    SubspaceSgd, save_checkpoint,
};
use subspace_core::{Momentum, Point, SgdConfig, Shape, Sharing, StepPoints};

fn device() -> Device {
    Device::flex().autodiff()
}

/// Every copy's parameters, in order.
fn copies(sub: &Subspace<WithUnused>) -> Vec<Vec<f32>> {
    let region = sub.region().unwrap();
    region
        .to_host()
        .unwrap()
        .into_iter()
        .flat_map(|g| g.copies.into_iter().map(|c| c.into_data()))
        .collect()
}

const LR: f64 = 0.1;

#[test]
fn the_fused_step_gives_the_bits_of_scatter_then_burns_sgd() {
    let device = device();
    let momenta = [
        None,
        Some((0.9, 0.0, false)),
        Some((0.9, 0.0, true)),
        Some((0.8, 0.25, false)),
    ];
    let shapes = [
        Shape::Point,
        Shape::Line,
        Shape::bezier(2).unwrap(),
        Shape::simplex(3).unwrap(),
    ];
    let cases = shapes.into_iter().flat_map(|shape| {
        [Sharing::Shared, Sharing::Layerwise]
            .into_iter()
            .flat_map(move |sharing| momenta.map(|momentum| (shape, sharing, momentum)))
    });
    for (shape, sharing, momentum) in cases {
        let config = SubspaceConfig::new(shape, 11).with_sharing(sharing);
        let mut fused = Subspace::new(config, || WithUnused::new(&device)).unwrap();
        let template = WithUnused::new(&device);
        let mut plain = Subspace::from_region(config, &template, fused.region().unwrap()).unwrap();
        let mut sgd_config = SgdConfig::new().with_weight_decay(1e-2);
        let mut burn_config =
            BurnSgdConfig::new().with_weight_decay(Some(WeightDecayConfig::new(1e-2)));
        if let Some((mu, dampening, nesterov)) = momentum {
            sgd_config = sgd_config.with_momentum(Momentum {
                momentum: mu,
                dampening,
                nesterov,
            });
            burn_config = burn_config.with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(mu)
                    .with_dampening(dampening)
                    .with_nesterov(nesterov),
            ));
        }
        let mut sgd = SubspaceSgd::new(sgd_config).unwrap();
        let mut optim = burn_config.init();
        let unused_bias_before = unused_bias(&fused);
        let mut unused_weights_before: Vec<Vec<f32>> = (0..shape.copies())
            .map(|k| unused_weight(&fused, k))
            .collect();
        let what = format!("{shape}, {sharing:?}, momentum {momentum:?}");

        for step in 0..4u64 {
            let (x, labels) = batch(8, 6, 3, step, &device);
            let points = fused.points(step);

            let mixed = plain.mixed(&points).unwrap();
            let loss = cross_entropy(mixed.forward(x.clone()), &labels);
            let grads = plain
                .scatter(loss.backward(), &mixed, &points, step)
                .unwrap();
            plain = optim.step(LR, plain, grads.params);

            let mixed = fused.mixed_step(step).unwrap();
            assert_eq!(mixed.points, points);
            let loss = cross_entropy(mixed.model.forward(x), &labels);
            let reg = sgd.step(LR, &mut fused, loss.backward(), mixed).unwrap();

            assert_eq!(reg, grads.regularizer, "{what}, step {step}");
            // The unused weight's copies outside the pair have no gradient: not stepped.
            for (k, before) in unused_weights_before.iter().enumerate() {
                if reg.as_ref().is_some_and(|r| r.grad_terms(k).is_some()) {
                    continue;
                }
                assert_eq!(&unused_weight(&fused, k), before, "{what}, {k}");
                assert_eq!(&unused_weight(&plain, k), before, "{what}, {k}");
            }
            unused_weights_before = (0..shape.copies())
                .map(|k| unused_weight(&fused, k))
                .collect();
            let (a, b) = (copies(&fused), copies(&plain));
            for (k, (a, b)) in a.iter().zip(&b).enumerate() {
                let (a, b): (Vec<u32>, Vec<u32>) = (
                    a.iter().map(|x| x.to_bits()).collect(),
                    b.iter().map(|x| x.to_bits()).collect(),
                );
                assert_eq!(a, b, "{what}, step {step}, tensor {k}");
            }
        }
        // The unused layer's bias has no gradient and no regularizer: never stepped.
        assert_eq!(unused_bias(&fused), unused_bias_before, "{what}");
    }
}

/// A layer of 39 300 weights: on flex, two whole chunks of the fused kernel (16 384 elements)
/// and a partial one of 6 532, which is six whole blocks (1 024) and a partial one.
#[derive(Module, Debug)]
struct Wide {
    fc1: Linear,
    fc2: Linear,
}

impl Wide {
    const INPUT: usize = 131;

    fn new(device: &Device) -> Self {
        Self {
            fc1: LinearConfig::new(Self::INPUT, 300).init(device),
            fc2: LinearConfig::new(300, 3).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.fc2
            .forward(burn::tensor::activation::relu(self.fc1.forward(x)))
    }
}

#[test]
fn the_fused_step_gives_the_bits_of_burns_sgd_across_chunks_and_blocks() {
    let device = device();
    let bits = |sub: &Subspace<Wide>| -> Vec<Vec<u32>> {
        let groups = sub.region().unwrap().to_host().unwrap();
        groups
            .into_iter()
            .flat_map(|g| g.copies)
            .map(|c| c.into_data().into_iter().map(f32::to_bits).collect())
            .collect()
    };
    for (shape, nesterov) in [(Shape::Line, false), (Shape::simplex(3).unwrap(), true)] {
        let config = SubspaceConfig::new(shape, 4);
        let mut fused = Subspace::new(config, || Wide::new(&device)).unwrap();
        assert_eq!(fused.layout().groups()[0].dims, [Wide::INPUT, 300]);
        let mut plain = fused.clone();
        let momentum = Momentum {
            momentum: 0.9,
            dampening: 0.1,
            nesterov,
        };
        let sgd_config = SgdConfig::new()
            .with_momentum(momentum)
            .with_weight_decay(1e-2);
        let mut sgd = SubspaceSgd::new(sgd_config).unwrap();
        let mut optim = BurnSgdConfig::new()
            .with_weight_decay(Some(WeightDecayConfig::new(1e-2)))
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(0.9)
                    .with_dampening(0.1)
                    .with_nesterov(nesterov),
            ))
            .init();
        let before = bits(&fused);
        for step in 0..3u64 {
            let (x, labels) = batch(4, Wide::INPUT, 3, step, &device);
            let points = plain.points(step);
            let mixed = plain.mixed(&points).unwrap();
            let loss = cross_entropy(mixed.forward(x.clone()), &labels);
            let grads = plain
                .scatter(loss.backward(), &mixed, &points, step)
                .unwrap();
            plain = optim.step(LR, plain, grads.params);

            let mixed = fused.mixed_step(step).unwrap();
            let loss = cross_entropy(mixed.model.forward(x), &labels);
            sgd.step(LR, &mut fused, loss.backward(), mixed).unwrap();
            let (a, b) = (bits(&fused), bits(&plain));
            for (t, (a, b)) in a.iter().zip(&b).enumerate() {
                let differ = a.iter().zip(b).position(|(a, b)| a != b);
                assert_eq!(
                    differ, None,
                    "{shape}, step {step}, tensor {t}: first difference"
                );
            }
        }
        assert_ne!(bits(&fused), before, "{shape}: the copies trained");
    }
}

/// Copy `k`'s weight of the layer the forward pass does not use.
fn unused_weight(sub: &Subspace<WithUnused>, k: usize) -> Vec<f32> {
    values(sub.copies()[k].unused.weight.val())
}

/// Copy 0's bias of the layer the forward pass does not use.
fn unused_bias(sub: &Subspace<WithUnused>) -> Vec<f32> {
    values(sub.copies()[0].unused.bias.as_ref().unwrap().val())
}

#[test]
fn the_fused_step_keeps_parameter_ids_and_gradient_settings() {
    let device = device();
    let mut line = Subspace::new(SubspaceConfig::new(Shape::Line, 3), || {
        WithUnused::new(&device)
    })
    .unwrap();
    let ids = |sub: &Subspace<WithUnused>| -> Vec<_> {
        sub.copies().iter().map(|c| c.fc1.weight.id).collect()
    };
    let before = ids(&line);
    let mut sgd = SubspaceSgd::new(SgdConfig::new().with_momentum(Momentum::new(0.9))).unwrap();
    let (x, labels) = batch(4, 6, 3, 0, &device);
    let mixed = line.mixed_step(0).unwrap();
    let loss = cross_entropy(mixed.model.forward(x.clone()), &labels);
    sgd.step(LR, &mut line, loss.backward(), mixed).unwrap();
    assert_eq!(ids(&line), before);
    // The copies are still autodiff leaves: the next step has gradients for them.
    let model = line.at(&line.points(1)).unwrap();
    let loss = cross_entropy(model.forward(x), &labels);
    let grads = line.gradients(loss.backward(), 1).unwrap();
    assert!(
        grads
            .params
            .get::<2>(line.copies()[1].fc1.weight.id)
            .is_some()
    );
    assert_eq!(sgd.state().velocities().len(), 6);
}

#[test]
fn bad_steps_are_errors_and_change_nothing() {
    let device = device();
    let mut line = Subspace::new(SubspaceConfig::new(Shape::Line, 5), || {
        WithUnused::new(&device)
    })
    .unwrap();
    let mut sgd = SubspaceSgd::new(SgdConfig::new().with_momentum(Momentum::new(0.9))).unwrap();
    let before = copies(&line);
    let (x, labels) = batch(4, 6, 3, 0, &device);
    let backward = |model: &WithUnused| cross_entropy(model.forward(x.clone()), &labels).backward();

    let mixed = line.mixed_step(0).unwrap();
    let grads = backward(&mixed.model);
    let err = sgd.step(f64::NAN, &mut line, grads, mixed).unwrap_err();
    assert!(err.to_string().contains("learning rate"), "{err}");

    // A simplex's point for a line.
    let mixed = line.mixed_step(0).unwrap();
    let grads = backward(&mixed.model);
    let simplex_point = StepPoints::Shared(Point::simplex(vec![0.5, 0.5, 0.0]).unwrap());
    let wrong = MixedStep {
        points: simplex_point,
        ..mixed
    };
    let err = sgd.step(LR, &mut line, grads, wrong).unwrap_err();
    assert!(matches!(err, Error::Core(_)), "{err}");

    let other = WithUnused {
        fc1: LinearConfig::new(6, 4).init(&device),
        fc2: LinearConfig::new(4, 3).init(&device),
        unused: LinearConfig::new(2, 2).init(&device),
    };
    let grads = cross_entropy(other.forward(x.clone()), &labels).backward();
    let wrong = MixedStep {
        model: other,
        ..line.mixed_step(0).unwrap()
    };
    let err = sgd.step(LR, &mut line, grads, wrong).unwrap_err();
    assert!(matches!(err, Error::LayoutMismatch { .. }), "{err}");

    assert_eq!(copies(&line), before);
    assert!(sgd.state().velocities().is_empty());
    assert!(SubspaceSgd::new(SgdConfig::new().with_weight_decay(-1.0)).is_err());
}

/// `steps` fused steps of `line` from step `from`.
fn train_fused(
    line: &mut Subspace<WithUnused>,
    sgd: &mut SubspaceSgd,
    steps: std::ops::Range<u64>,
) {
    let device = device();
    for step in steps {
        let (x, labels) = batch(8, 6, 3, step, &device);
        let mixed = line.mixed_step(step).unwrap();
        let loss = cross_entropy(mixed.model.forward(x), &labels);
        sgd.step(LR, line, loss.backward(), mixed).unwrap();
    }
}

#[test]
fn a_checkpoint_resumes_the_velocities_exactly() {
    let device = device();
    let config = SubspaceConfig::new(Shape::Line, 9);
    let sgd_config = SgdConfig::new()
        .with_momentum(Momentum::new(0.9))
        .with_weight_decay(1e-3);
    let fresh = || {
        (
            Subspace::new(config, || WithUnused::new(&device)).unwrap(),
            SubspaceSgd::new(sgd_config).unwrap(),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.ckpt");

    let (mut line, mut sgd) = fresh();
    train_fused(&mut line, &mut sgd, 0..3);
    save_checkpoint(&path, &line, &sgd, 3).unwrap();
    train_fused(&mut line, &mut sgd, 3..5);

    let checkpoint = Checkpoint::read(&path).unwrap();
    assert_eq!(checkpoint.step(), 3);
    let (resumed, resumed_sgd) = fresh();
    let (mut resumed, mut resumed_sgd) = checkpoint.resume(resumed, resumed_sgd).unwrap();
    let mut without_velocities =
        Subspace::from_region(config, &WithUnused::new(&device), resumed.region().unwrap())
            .unwrap();
    train_fused(&mut resumed, &mut resumed_sgd, 3..5);
    assert_eq!(copies(&resumed), copies(&line));

    // Momentum matters: the same copies without their velocities end elsewhere.
    let mut plain_sgd = SubspaceSgd::new(sgd_config).unwrap();
    train_fused(&mut without_velocities, &mut plain_sgd, 3..5);
    assert_ne!(copies(&without_velocities), copies(&line));

    // A checkpoint of SubspaceSgd does not resume into a burn optimizer, nor the reverse.
    let Err(err) = Checkpoint::read(&path)
        .unwrap()
        .resume(fresh().0, BurnSgdConfig::new().init())
    else {
        panic!("SubspaceSgd's state resumed into a burn optimizer");
    };
    assert!(matches!(err, CheckpointError::Mismatch { .. }), "{err}");
    let burn_path = dir.path().join("burn.ckpt");
    save_checkpoint(&burn_path, &line, &BurnSgdConfig::new().init(), 3).unwrap();
    let err = Checkpoint::read(&burn_path)
        .unwrap()
        .resume(fresh().0, SubspaceSgd::new(sgd_config).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("SSSGDV01"), "{err}");

    // Every cut of the state, and a byte too many, is refused without a panic.
    let bytes = sgd.state_bytes().unwrap();
    let mut longer = bytes.clone();
    longer.push(0);
    for wrong in (0..bytes.len())
        .map(|n| bytes[..n].to_vec())
        .chain([longer])
    {
        let fresh_sgd = SubspaceSgd::new(sgd_config).unwrap();
        assert!(fresh_sgd.with_state_bytes(wrong, &line).is_err());
    }
    let loaded = SubspaceSgd::new(sgd_config)
        .unwrap()
        .with_state_bytes(bytes.clone(), &line)
        .unwrap();
    assert_eq!(loaded.state_bytes().unwrap(), bytes);
}
