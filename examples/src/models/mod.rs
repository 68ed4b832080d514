//! The networks of the experiments, all for 28×28 grey images and 10 classes.
//!
//! Each is an ordinary burn `#[derive(Module)]` type with no knowledge of subspaces: the
//! experiment hands it to the burn adapter exactly as a user would.

mod cnn;
mod mlp;
mod resnet;

use burn::module::{Module, ModuleDisplay};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use cnn::SmallCnn;
pub use mlp::Mlp;
pub use resnet::{BasicBlock, ResNet20};

/// Side length of the (square) input images.
pub const IMAGE_SIDE: usize = 28;
/// Number of classes of Fashion-MNIST and MNIST.
pub const CLASSES: usize = 10;

/// A network that maps a batch of images `[n, 1, 28, 28]` to logits `[n, 10]`.
pub trait Classifier: Module + ModuleDisplay {
    /// The logits of a batch of images.
    fn forward(&self, images: Tensor<4>) -> Tensor<2>;
}

/// Which network an experiment trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// The paper's CIFAR ResNet-20 adapted to 28×28×1.
    ///
    /// The network is [`ResNet20`].
    Resnet20,
    /// Two conv layers and a hidden linear layer, with BatchNorm.
    ///
    /// The network is [`SmallCnn`].
    SmallCnn,
    /// Two hidden linear layers with BatchNorm.
    ///
    /// The network is [`Mlp`].
    Mlp,
}

impl ModelKind {
    /// Whether the training images get random crops and flips: only convolutional models do.
    pub fn augments(self) -> bool {
        matches!(self, Self::Resnet20 | Self::SmallCnn)
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Resnet20 => "resnet20",
            Self::SmallCnn => "small-cnn",
            Self::Mlp => "mlp",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A freshly initialised network of a known type.
pub trait Init: Classifier + Sized {
    /// Initialises the network's parameters on `device` (from the device's random seed).
    fn init(device: &Device) -> Self;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits_shape<M: Init>(batch: usize) -> [usize; 2] {
        let device = Device::flex();
        let model = M::init(&device);
        let images = Tensor::<4>::zeros([batch, 1, IMAGE_SIDE, IMAGE_SIDE], &device);
        model.forward(images).dims()
    }

    #[test]
    fn every_model_maps_images_to_ten_logits() {
        assert_eq!(logits_shape::<Mlp>(3), [3, CLASSES]);
        assert_eq!(logits_shape::<SmallCnn>(2), [2, CLASSES]);
        assert_eq!(logits_shape::<ResNet20>(2), [2, CLASSES]);
    }

    #[test]
    fn only_convolutional_models_augment() {
        assert!(ModelKind::Resnet20.augments());
        assert!(ModelKind::SmallCnn.augments());
        assert!(!ModelKind::Mlp.augments());
    }
}
