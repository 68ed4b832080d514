//! The MLP of the step-overhead target: `784 → 512 → 512 → 10` with ReLU, no normalisation
//! (the network behind the "a plain PyTorch line costs about 1.9× standard" figure).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use subspace_examples::models::{CLASSES, Classifier, IMAGE_SIDE, Init};

/// Width of both hidden layers.
const HIDDEN: usize = 512;

/// `linear → ReLU → linear → ReLU → linear` on the flattened 28×28 image.
#[derive(Module, Debug)]
pub struct Mlp512 {
    hidden1: Linear,
    hidden2: Linear,
    output: Linear,
}

impl Init for Mlp512 {
    fn init(device: &Device) -> Self {
        Self {
            hidden1: LinearConfig::new(IMAGE_SIDE * IMAGE_SIDE, HIDDEN).init(device),
            hidden2: LinearConfig::new(HIDDEN, HIDDEN).init(device),
            output: LinearConfig::new(HIDDEN, CLASSES).init(device),
        }
    }
}

impl Classifier for Mlp512 {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x: Tensor<2> = images.flatten(1, 3);
        let x = relu(self.hidden1.forward(x));
        let x = relu(self.hidden2.forward(x));
        self.output.forward(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_images_to_logits_with_the_stated_parameter_count() {
        let device = Device::flex();
        let model = Mlp512::init(&device);
        let logits = model.forward(Tensor::zeros([3, 1, IMAGE_SIDE, IMAGE_SIDE], &device));
        assert_eq!(logits.dims(), [3, CLASSES]);
        let expected = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10;
        assert_eq!(model.num_params(), expected);
    }
}
