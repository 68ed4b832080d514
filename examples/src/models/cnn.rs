//! A small convolutional network for 28×28 images.
//!
//! `conv3×3(16) → BN → ReLU → maxpool2 → conv3×3(32) → BN → ReLU → maxpool2 → linear(128) →
//! BN → ReLU → linear(10)`.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::{CLASSES, Classifier, IMAGE_SIDE, Init};

const CHANNELS: [usize; 2] = [16, 32];
const HIDDEN: usize = 128;

/// Two conv blocks and a hidden linear layer, each followed by BatchNorm and ReLU.
#[derive(Module, Debug)]
pub struct SmallCnn {
    conv1: Conv2d,
    norm1: BatchNorm,
    conv2: Conv2d,
    norm2: BatchNorm,
    pool: MaxPool2d,
    hidden: Linear,
    norm3: BatchNorm,
    output: Linear,
}

fn conv3x3(input: usize, output: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([input, output], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_bias(false)
        .init(device)
}

impl Init for SmallCnn {
    fn init(device: &Device) -> Self {
        let side = IMAGE_SIDE / 4;
        Self {
            conv1: conv3x3(1, CHANNELS[0], device),
            norm1: BatchNormConfig::new(CHANNELS[0]).init(device),
            conv2: conv3x3(CHANNELS[0], CHANNELS[1], device),
            norm2: BatchNormConfig::new(CHANNELS[1]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            hidden: LinearConfig::new(CHANNELS[1] * side * side, HIDDEN).init(device),
            norm3: BatchNormConfig::new(HIDDEN).init(device),
            output: LinearConfig::new(HIDDEN, CLASSES).init(device),
        }
    }
}

impl Classifier for SmallCnn {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self
            .pool
            .forward(relu(self.norm1.forward(self.conv1.forward(images))));
        let x = self
            .pool
            .forward(relu(self.norm2.forward(self.conv2.forward(x))));
        let x: Tensor<2> = x.flatten(1, 3);
        let x = relu(self.norm3.forward(self.hidden.forward(x)));
        self.output.forward(x)
    }
}
