//! Host batches to burn tensors: augmentation (convolutional models), standardisation, labels.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::data::ExperimentData;
use crate::augment::{CROP_PADDING, augment_batch};
use crate::data::Batch;
use crate::keyed_rng::{Stream, keyed_rng};
use crate::models::IMAGE_SIDE;

/// The images `[n, 1, 28, 28]`, standardised, of `pixels` (`n · 784` values in `[0, 1]`).
pub fn images_tensor(data: &ExperimentData, mut pixels: Vec<f32>, device: &Device) -> Tensor<4> {
    data.standardise(&mut pixels);
    let n = pixels.len() / (IMAGE_SIDE * IMAGE_SIDE);
    Tensor::from_data(
        TensorData::new(pixels, [n, 1, IMAGE_SIDE, IMAGE_SIDE]),
        device,
    )
}

/// The labels as an integer tensor `[n]`.
pub fn labels_tensor(labels: &[usize], device: &Device) -> Tensor<1, Int> {
    let labels: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    let n = labels.len();
    Tensor::from_data(TensorData::new(labels, [n]), device)
}

/// A training batch as tensors; with `augment`, random crops and flips drawn from a generator
/// keyed by `(seed, step)` first.
pub fn training_batch(
    data: &ExperimentData,
    batch: Batch,
    augment: bool,
    seed: u64,
    step: u64,
    device: &Device,
) -> (Tensor<4>, Tensor<1, Int>) {
    let mut pixels = batch.inputs;
    if augment {
        augment_batch(
            &mut pixels,
            IMAGE_SIDE,
            CROP_PADDING,
            &mut keyed_rng(seed, step, Stream::Augment),
        );
    }
    (
        images_tensor(data, pixels, device),
        labels_tensor(&batch.labels, device),
    )
}
