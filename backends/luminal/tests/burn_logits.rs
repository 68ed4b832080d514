//! Cross-framework evaluation: a line of MLPs trained by the burn adapter (burn-flex, the mix
//! built in burn's autodiff graph), written to a region file, read by luminal, gives burn's
//! logits at every point of the sweep and for the endpoint ensemble.

// Test code: a failed unwrap is a failed test (helpers are not #[test]s).
#![allow(clippy::unwrap_used)]

use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig};
use burn::optim::SgdConfig;
use burn::optim::momentum::MomentumConfig;
use burn::prelude::*;
use burn::tensor::activation::relu;
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use subspace_burn::{Burn, Subspace, SubspaceConfig};
use subspace_core::metrics::{Combine, Logits, ensemble, grid};
use subspace_core::{Point, Region, Shape, save_region};
use subspace_luminal::Cpu;
use subspace_luminal::mlp::LuminalMlp;

const INPUT: usize = 5;
const HIDDEN: usize = 9;
const CLASSES: usize = 4;
const ROWS: usize = 12;

/// The user's burn model: the reference MLP's architecture and parameter names.
#[derive(Module, Debug)]
struct Mlp {
    fc1: Linear,
    fc2: Linear,
}

impl Mlp {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(relu(self.fc1.forward(x)))
    }
}

/// `ROWS` inputs in `[-2, 2)` and labels below `CLASSES`.
fn batch(seed: u64) -> (Vec<f32>, Vec<i64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = (0..ROWS * INPUT)
        .map(|_| rng.random::<f32>() * 4.0 - 2.0)
        .collect();
    let y = (0..ROWS)
        .map(|_| rng.random_range(0..CLASSES as i64))
        .collect();
    (x, y)
}

fn tensor(x: &[f32], device: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(x.to_vec(), [x.len() / INPUT, INPUT]),
        device,
    )
}

/// `steps` steps of burn training on a line, from copies drawn by the reference's init.
fn train_line_in_burn(steps: u64, device: &Device) -> Subspace<Mlp> {
    let reference = subspace_reference::mlp::Mlp::new(INPUT, HIDDEN, CLASSES).unwrap();
    let initial = reference
        .region(Shape::Line, reference.init_copies(Shape::Line, 3))
        .unwrap();
    let region =
        Region::<Burn>::from_host(Shape::Line, initial.to_host().unwrap(), device).unwrap();
    let template = Mlp {
        fc1: LinearConfig::new(INPUT, HIDDEN).init(device),
        fc2: LinearConfig::new(HIDDEN, CLASSES).init(device),
    };
    let config = SubspaceConfig::new(Shape::Line, 5);
    let mut sub = Subspace::from_region(config, &template, region).unwrap();
    let mut optim = SgdConfig::new()
        .with_momentum(Some(MomentumConfig::new().with_momentum(0.9)))
        .init();
    let loss = CrossEntropyLossConfig::new().init(device);
    for step in 0..steps {
        let (x, y) = batch(100 + step);
        let targets = Tensor::<1, Int>::from_data(TensorData::new(y, [ROWS]), device);
        let model = sub.at(&sub.points(step)).unwrap();
        let l = loss.forward(model.forward(tensor(&x, device)), targets);
        let grads = sub.gradients(l.backward(), step).unwrap();
        sub = optim.step(0.1, sub, grads.params);
    }
    sub
}

/// burn's logits of the exported network at `point`.
fn burn_logits(sub: &Subspace<Mlp>, point: &Point, x: &[f32], device: &Device) -> Logits {
    let model = sub.export(point).unwrap();
    let data = model
        .forward(tensor(x, device))
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    Logits::new(x.len() / INPUT, CLASSES, data).unwrap()
}

/// `|got - want| <= 1e-5 · max(1, |want|)`: two `f32` evaluations of the same network.
fn assert_close(got: &Logits, want: &Logits, what: &str) {
    assert_eq!((got.rows(), got.classes()), (want.rows(), want.classes()));
    for (k, (g, w)) in got.data().iter().zip(want.data()).enumerate() {
        let err = (g - w).abs();
        assert!(err <= 1e-5 * w.abs().max(1.0), "{what}[{k}]: {g} vs {w}");
    }
}

#[test]
fn luminal_evaluates_burn_trained_copies_like_burn() {
    let device = Device::flex().autodiff();
    let trained = train_line_in_burn(12, &device);
    let untrained = train_line_in_burn(0, &device);
    let path = std::env::temp_dir().join(format!(
        "subspace-burn-to-luminal-{}.safetensors",
        std::process::id()
    ));
    save_region(&trained.region().unwrap(), &path).unwrap();
    let lum =
        LuminalMlp::<Cpu>::new(subspace_reference::mlp::Mlp::new(INPUT, HIDDEN, CLASSES).unwrap());
    let region = lum.load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();

    let (x, _) = batch(7);
    let points = grid(11).unwrap();
    let swept = lum.sweep(&region, &points, &x).unwrap();
    for (p, got) in points.iter().zip(&swept) {
        assert_close(
            got,
            &burn_logits(&trained, p, &x, &device),
            &format!("a = {p}"),
        );
        let before = burn_logits(&untrained, p, &x, &device);
        assert!(
            got.data()
                .iter()
                .zip(before.data())
                .any(|(a, b)| (a - b).abs() > 1e-3),
            "training in burn must have moved the network at {p}"
        );
    }

    let ends = [Point::curve(0.0).unwrap(), Point::curve(1.0).unwrap()];
    let members: Vec<Logits> = ends
        .iter()
        .map(|p| burn_logits(&trained, p, &x, &device))
        .collect();
    for combine in [Combine::LogitMean, Combine::ProbabilityMean] {
        let got = lum.ensemble(&region, &ends, &x, combine).unwrap();
        let want = ensemble(&members, combine).unwrap();
        assert_close(&got, &want, &format!("{combine:?} ensemble"));
    }
}
