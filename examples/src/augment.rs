//! Training-time augmentation for the convolutional models: random crop with zero padding and
//! random horizontal flip, on host images stored row-major as `[n, side, side]`.
//!
//! As in the paper's CIFAR pipeline: pad every side by `padding` pixels (zeros), crop a
//! `side × side` window at a uniformly random offset in `[0, 2·padding]²`, and mirror it
//! left-right with probability 1/2.

use rand::{Rng, RngExt};

/// The paper's padding for random crops.
pub const CROP_PADDING: usize = 4;

/// Where one image is cropped from the padded image, and whether it is mirrored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropFlip {
    /// Column offset of the window in the padded image, in `[0, 2·padding]`.
    pub dx: usize,
    /// Row offset of the window in the padded image, in `[0, 2·padding]`.
    pub dy: usize,
    /// Mirror left-right after cropping.
    pub flip: bool,
}

impl CropFlip {
    /// A uniformly random crop offset and a fair coin for the flip.
    pub fn sample(padding: usize, rng: &mut impl Rng) -> Self {
        Self {
            dx: rng.random_range(0..=2 * padding),
            dy: rng.random_range(0..=2 * padding),
            flip: rng.random::<bool>(),
        }
    }

    /// Writes the transformed `image` (`side × side`, row-major) into `out`:
    /// `out[r][c] = padded[r + dy][c' + dx]` with `c' = side − 1 − c` when flipped, else `c`,
    /// where `padded[y][x] = image[y − padding][x − padding]` inside the image and 0 outside.
    pub fn apply(self, image: &[f32], side: usize, padding: usize, out: &mut [f32]) {
        for r in 0..side {
            for c in 0..side {
                let src_c = if self.flip { side - 1 - c } else { c };
                // Coordinates in the unpadded image; outside it the padding is zero.
                let y = (r + self.dy).checked_sub(padding).filter(|&y| y < side);
                let x = (src_c + self.dx).checked_sub(padding).filter(|&x| x < side);
                out[r * side + c] = match (y, x) {
                    (Some(y), Some(x)) => image[y * side + x],
                    _ => 0.0,
                };
            }
        }
    }
}

/// Random crop and flip of every image of a batch (`images.len() = n · side²`), in place.
pub fn augment_batch(images: &mut [f32], side: usize, padding: usize, rng: &mut impl Rng) {
    let mut scratch = vec![0.0; side * side];
    for image in images.chunks_exact_mut(side * side) {
        CropFlip::sample(padding, rng).apply(image, side, padding, &mut scratch);
        image.copy_from_slice(&scratch);
    }
}

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::ChaCha8Rng};

    use super::*;

    /// A 3×3 image with distinct values 1..9.
    const IMAGE: [f32; 9] = [1., 2., 3., 4., 5., 6., 7., 8., 9.];

    fn apply(t: CropFlip, padding: usize) -> Vec<f32> {
        let mut out = vec![f32::NAN; 9];
        t.apply(&IMAGE, 3, padding, &mut out);
        out
    }

    #[test]
    fn centred_crop_without_flip_is_the_identity() {
        let t = CropFlip {
            dx: 1,
            dy: 1,
            flip: false,
        };
        assert_eq!(apply(t, 1), IMAGE);
    }

    #[test]
    fn flip_mirrors_each_row() {
        let t = CropFlip {
            dx: 1,
            dy: 1,
            flip: true,
        };
        assert_eq!(apply(t, 1), [3., 2., 1., 6., 5., 4., 9., 8., 7.]);
    }

    #[test]
    fn corner_crop_shifts_in_zero_padding() {
        // Window at the top-left of the padded image: the image moves down-right by one pixel.
        let t = CropFlip {
            dx: 0,
            dy: 0,
            flip: false,
        };
        assert_eq!(apply(t, 1), [0., 0., 0., 0., 1., 2., 0., 4., 5.]);
        // Bottom-right window: the image moves up-left.
        let t = CropFlip {
            dx: 2,
            dy: 2,
            flip: false,
        };
        assert_eq!(apply(t, 1), [5., 6., 0., 8., 9., 0., 0., 0., 0.]);
    }

    #[test]
    fn crop_and_flip_compose() {
        // Shift right by one (dx = 0), then mirror: the column of zeros ends up on the right.
        let t = CropFlip {
            dx: 0,
            dy: 1,
            flip: true,
        };
        assert_eq!(apply(t, 1), [2., 1., 0., 5., 4., 0., 8., 7., 0.]);
    }

    #[test]
    fn batch_augmentation_is_seeded_and_covers_offsets_and_flips() {
        let images: Vec<f32> = (0..50).flat_map(|_| IMAGE).collect();
        let run = |seed| {
            let mut x = images.clone();
            augment_batch(&mut x, 3, 1, &mut ChaCha8Rng::seed_from_u64(seed));
            x
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
        let out = run(3);
        let distinct: std::collections::HashSet<Vec<u32>> = out
            .chunks_exact(9)
            .map(|c| c.iter().map(|v| v.to_bits()).collect())
            .collect();
        // 9 offsets × 2 flips = 18 possible images; 50 draws see most of them.
        assert!(
            distinct.len() >= 10,
            "only {} distinct augmentations",
            distinct.len()
        );
        // Every pixel value comes from the image or the zero padding.
        assert!(out.iter().all(|v| *v == 0.0 || IMAGE.contains(v)));
    }

    #[test]
    fn sampled_offsets_stay_within_the_padding() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for _ in 0..200 {
            let t = CropFlip::sample(CROP_PADDING, &mut rng);
            assert!(t.dx <= 2 * CROP_PADDING && t.dy <= 2 * CROP_PADDING);
        }
    }
}
