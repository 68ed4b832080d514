//! Models, data and comparisons shared by the integration tests.

#![allow(dead_code)] // each test file uses a part
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// A two-layer perceptron, the user's own `#[derive(Module)]` type.
#[derive(Module, Debug)]
pub struct Mlp {
    pub fc1: Linear,
    pub fc2: Linear,
}

impl Mlp {
    pub fn new(input: usize, hidden: usize, classes: usize, device: &Device) -> Self {
        Self {
            fc1: LinearConfig::new(input, hidden).init(device),
            fc2: LinearConfig::new(hidden, classes).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(relu(self.fc1.forward(x)))
    }
}

/// An MLP with a layer its forward pass never uses (6 inputs, 3 classes).
#[derive(Module, Debug)]
pub struct WithUnused {
    pub fc1: Linear,
    pub fc2: Linear,
    pub unused: Linear,
}

impl WithUnused {
    pub fn new(device: &Device) -> Self {
        Self {
            fc1: LinearConfig::new(6, 5).init(device),
            fc2: LinearConfig::new(5, 3).init(device),
            unused: LinearConfig::new(2, 2).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(relu(self.fc1.forward(x)))
    }
}

/// A network with BatchNorm on its input and on its hidden layer.
#[derive(Module, Debug)]
pub struct BnNet {
    pub bn_in: BatchNorm,
    pub fc: Linear,
    pub bn: BatchNorm,
    pub out: Linear,
}

impl BnNet {
    pub fn new(input: usize, hidden: usize, classes: usize, device: &Device) -> Self {
        Self {
            bn_in: BatchNormConfig::new(input).with_momentum(0.3).init(device),
            fc: LinearConfig::new(input, hidden).init(device),
            bn: BatchNormConfig::new(hidden).init(device),
            out: LinearConfig::new(hidden, classes).init(device),
        }
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = relu(self.bn.forward(self.fc.forward(self.bn_in.forward(x))));
        self.out.forward(h)
    }
}

/// Mean softmax cross-entropy.
pub fn cross_entropy(logits: Tensor<2>, labels: &[i64]) -> Tensor<1> {
    let device = logits.device();
    let targets =
        Tensor::<1, Int>::from_data(TensorData::new(labels.to_vec(), [labels.len()]), &device);
    CrossEntropyLossConfig::new()
        .init(&device)
        .forward(logits, targets)
}

/// A deterministic batch: `rows × input` features in `[-1, 1)` and labels below `classes`.
pub fn batch(
    rows: usize,
    input: usize,
    classes: usize,
    seed: u64,
    device: &Device,
) -> (Tensor<2>, Vec<i64>) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let x: Vec<f32> = (0..rows * input)
        .map(|_| (2.0 * next() - 1.0) as f32)
        .collect();
    let labels = (0..rows)
        .map(|_| (next() * classes as f64) as i64 % classes as i64)
        .collect();
    (
        Tensor::from_data(TensorData::new(x, [rows, input]), device),
        labels,
    )
}

/// The elements of a tensor.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

/// Panics unless `|a - b| <= abs + rel |b|` everywhere; returns the largest `|a - b|`.
pub fn assert_close(what: &str, a: &[f32], b: &[f32], abs: f32, rel: f32) -> f32 {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    let mut worst = 0.0f32;
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let err = (x - y).abs();
        assert!(
            err <= abs + rel * y.abs(),
            "{what}[{i}]: {x} vs {y} (|diff| {err} > {abs} + {rel}·|{y}|)"
        );
        worst = worst.max(err);
    }
    worst
}
