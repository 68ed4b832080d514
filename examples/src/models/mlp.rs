//! A multilayer perceptron: `784 → 256 → 256 → 10`, BatchNorm and ReLU after each hidden layer.

use burn::module::Module;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::{CLASSES, Classifier, IMAGE_SIDE, Init};

/// Width of both hidden layers.
const HIDDEN: usize = 256;

/// `linear → BN → ReLU → linear → BN → ReLU → linear` on the flattened image.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden1: Linear,
    norm1: BatchNorm,
    hidden2: Linear,
    norm2: BatchNorm,
    output: Linear,
}

impl Init for Mlp {
    fn init(device: &Device) -> Self {
        Self {
            hidden1: LinearConfig::new(IMAGE_SIDE * IMAGE_SIDE, HIDDEN).init(device),
            norm1: BatchNormConfig::new(HIDDEN).init(device),
            hidden2: LinearConfig::new(HIDDEN, HIDDEN).init(device),
            norm2: BatchNormConfig::new(HIDDEN).init(device),
            output: LinearConfig::new(HIDDEN, CLASSES).init(device),
        }
    }
}

impl Classifier for Mlp {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x: Tensor<2> = images.flatten(1, 3);
        let x = relu(self.norm1.forward(self.hidden1.forward(x)));
        let x = relu(self.norm2.forward(self.hidden2.forward(x)));
        self.output.forward(x)
    }
}
