//! Mini-batches in a seeded random order per epoch.

use rand::seq::SliceRandom;

use super::dataset::Dataset;
use super::error::{DataError, Result};
use crate::keyed_rng::{Stream, keyed_rng};

/// A mini-batch: `labels.len()` images, row-major `[rows, features]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The pixels of every image, in `[0, 1]`.
    pub inputs: Vec<f32>,
    /// The label of every image.
    pub labels: Vec<usize>,
}

/// The order of the `len` examples in epoch `epoch`: a shuffle by the generator keyed with
/// `(seed, epoch)` ([`keyed_rng`]), a pure function of the three.
pub fn epoch_order(len: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.shuffle(&mut keyed_rng(seed, epoch, Stream::EpochOrder));
    order
}

/// The batches of one epoch of `data` in the order of [`epoch_order`]: `ceil(len / size)`
/// batches of `size` examples, the last one smaller when `size` does not divide `len` (as
/// PyTorch's `DataLoader` without `drop_last`).
pub fn epoch_batches(data: &Dataset, size: usize, seed: u64, epoch: u64) -> Result<Batches<'_>> {
    if size == 0 {
        return Err(DataError::InvalidArgument {
            what: "batch size",
            value: 0.0,
            expected: "at least 1",
        });
    }
    Ok(Batches {
        data,
        order: epoch_order(data.len(), seed, epoch),
        size,
        next: 0,
    })
}

/// Iterator over the batches of one epoch, made by [`epoch_batches`].
#[derive(Debug, Clone)]
pub struct Batches<'a> {
    data: &'a Dataset,
    order: Vec<usize>,
    size: usize,
    next: usize,
}

impl Iterator for Batches<'_> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.size).min(self.order.len());
        let rows = &self.order[self.next..end];
        self.next = end;
        Some(Batch {
            inputs: rows
                .iter()
                .flat_map(|&i| {
                    self.data
                        .image(i)
                        .unwrap_or_else(|| unreachable!("the order is a permutation of 0..len"))
                        .iter()
                        .copied()
                })
                .collect(),
            labels: rows.iter().map(|&i| self.data.labels()[i]).collect(),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.order.len() - self.next).div_ceil(self.size);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Batches<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Dataset {
        let images = (0..n * 2).map(|v| v as f32).collect();
        Dataset::new(images, (0..n).map(|i| i % 3).collect(), 1, 2, 3).unwrap()
    }

    #[test]
    fn every_example_once_per_epoch_in_a_seeded_order() {
        let d = data(10);
        let batches: Vec<Batch> = epoch_batches(&d, 4, 1, 0).unwrap().collect();
        assert_eq!(
            batches.iter().map(|b| b.labels.len()).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        let mut seen: Vec<usize> = batches
            .iter()
            .flat_map(|b| b.inputs.chunks(2).map(|p| p[0] as usize / 2))
            .collect();
        for b in &batches {
            for (pixels, &label) in b.inputs.chunks(2).zip(&b.labels) {
                let i = pixels[0] as usize / 2;
                assert_eq!(pixels, d.image(i).unwrap());
                assert_eq!(label, d.labels()[i]);
            }
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(epoch_batches(&d, 4, 1, 0).unwrap().len(), 3);
    }

    #[test]
    fn order_depends_on_seed_and_epoch_only() {
        assert_eq!(epoch_order(50, 1, 2), epoch_order(50, 1, 2));
        assert_ne!(epoch_order(50, 1, 2), epoch_order(50, 1, 3));
        assert_ne!(epoch_order(50, 1, 2), epoch_order(50, 2, 2));
        assert!(epoch_batches(&data(3), 0, 0, 0).is_err());
    }
}
