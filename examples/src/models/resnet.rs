//! The CIFAR ResNet-20 of the paper's code, adapted to 28×28×1 images.
//!
//! A 3×3 stem conv (16 channels), then three stages of three basic blocks with widths
//! 16/32/64 (the 2nd and 3rd stages halve the resolution: 28 → 14 → 7), global average pooling
//! and a 1×1-conv classifier. Every conv is followed by BatchNorm; a block whose stride or width
//! changes has a projection shortcut (1×1 conv + BatchNorm). Convs have no bias, as in the
//! paper's code.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::{CLASSES, Classifier, Init};

/// Widths of the three stages.
const WIDTHS: [usize; 3] = [16, 32, 64];
/// Basic blocks per stage (`6 · 3 + 2 = 20` layers).
const BLOCKS_PER_STAGE: usize = 3;

fn conv(input: usize, output: usize, kernel: usize, stride: usize, device: &Device) -> Conv2d {
    let pad = kernel / 2;
    Conv2dConfig::new([input, output], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(false)
        .init(device)
}

/// A 1×1 conv and BatchNorm that match the shortcut to a block's output shape.
#[derive(Module, Debug)]
pub struct Projection {
    conv: Conv2d,
    norm: BatchNorm,
}

/// `relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))`.
#[derive(Module, Debug)]
pub struct BasicBlock {
    conv1: Conv2d,
    norm1: BatchNorm,
    conv2: Conv2d,
    norm2: BatchNorm,
    shortcut: Option<Projection>,
}

impl BasicBlock {
    /// A block from `input` to `output` channels; `stride` 2 halves the resolution.
    pub fn new(input: usize, output: usize, stride: usize, device: &Device) -> Self {
        let shortcut = (stride != 1 || input != output).then(|| Projection {
            conv: conv(input, output, 1, stride, device),
            norm: BatchNormConfig::new(output).init(device),
        });
        Self {
            conv1: conv(input, output, 3, stride, device),
            norm1: BatchNormConfig::new(output).init(device),
            conv2: conv(output, output, 3, 1, device),
            norm2: BatchNormConfig::new(output).init(device),
            shortcut,
        }
    }

    /// The block's output.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = relu(self.norm1.forward(self.conv1.forward(x.clone())));
        let y = self.norm2.forward(self.conv2.forward(y));
        let shortcut = match &self.shortcut {
            Some(p) => p.norm.forward(p.conv.forward(x)),
            None => x,
        };
        relu(y + shortcut)
    }
}

/// ResNet-20 with a 1×1-conv classifier.
#[derive(Module, Debug)]
pub struct ResNet20 {
    stem: Conv2d,
    stem_norm: BatchNorm,
    blocks: Vec<BasicBlock>,
    pool: AdaptiveAvgPool2d,
    classifier: Conv2d,
}

impl Init for ResNet20 {
    fn init(device: &Device) -> Self {
        let mut blocks = Vec::with_capacity(WIDTHS.len() * BLOCKS_PER_STAGE);
        let mut input = WIDTHS[0];
        for (stage, &width) in WIDTHS.iter().enumerate() {
            for b in 0..BLOCKS_PER_STAGE {
                let stride = if stage > 0 && b == 0 { 2 } else { 1 };
                blocks.push(BasicBlock::new(input, width, stride, device));
                input = width;
            }
        }
        Self {
            stem: conv(1, WIDTHS[0], 3, 1, device),
            stem_norm: BatchNormConfig::new(WIDTHS[0]).init(device),
            blocks,
            pool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            classifier: Conv2dConfig::new([WIDTHS[2], CLASSES], [1, 1]).init(device),
        }
    }
}

impl Classifier for ResNet20 {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = relu(self.stem_norm.forward(self.stem.forward(images)));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = self.classifier.forward(self.pool.forward(x));
        x.flatten(1, 3)
    }
}
