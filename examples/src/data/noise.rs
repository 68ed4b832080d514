//! The label-noise protocol of SPEC.md §6.

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng, seq::SliceRandom};

use super::dataset::check_labels;
use super::error::{DataError, Result};

/// Labels with noise: `round(p · N)` examples, chosen by a shuffle seeded with `seed`, get a
/// label drawn uniformly from `0..classes` (which may equal the true one); the rest keep
/// theirs.
///
/// A pure function of `(labels, p, seed, classes)`, so every method compared sees the same
/// corruption. The examples corrupted at fraction `p` are corrupted the same way at any larger
/// fraction with the same seed. Errors unless `p ∈ [0, 1]`, `classes ≥ 1` and every label is below `classes`.
pub fn corrupt_labels(labels: &[usize], p: f64, seed: u64, classes: usize) -> Result<Vec<usize>> {
    if !(0.0..=1.0).contains(&p) {
        return Err(DataError::InvalidArgument {
            what: "label noise fraction",
            value: p,
            expected: "a fraction in [0, 1]",
        });
    }
    if classes == 0 {
        return Err(DataError::InvalidArgument {
            what: "classes",
            value: 0.0,
            expected: "at least 1",
        });
    }
    check_labels("labels", labels, classes)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.shuffle(&mut rng);
    let noisy = (p * labels.len() as f64).round() as usize;
    let mut out = labels.to_vec();
    for &i in &order[..noisy] {
        out[i] = rng.random_range(0..classes);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<usize> {
        (0..1000).map(|i| i % 10).collect()
    }

    #[test]
    fn same_inputs_same_noise_and_seed_matters() {
        let l = labels();
        let a = corrupt_labels(&l, 0.4, 1, 10).unwrap();
        assert_eq!(a, corrupt_labels(&l, 0.4, 1, 10).unwrap());
        assert_ne!(a, corrupt_labels(&l, 0.4, 2, 10).unwrap());
        assert!(a.iter().all(|&y| y < 10));
    }

    #[test]
    fn changes_about_p_times_one_minus_one_over_classes() {
        let l = labels();
        assert_eq!(corrupt_labels(&l, 0.0, 3, 10).unwrap(), l);
        for p in [0.2, 0.5, 1.0] {
            let changed = corrupt_labels(&l, p, 3, 10)
                .unwrap()
                .iter()
                .zip(&l)
                .filter(|(a, b)| a != b)
                .count() as f64;
            // At most round(pN) change; a new label equals the old one with probability 1/10.
            let expected = p * 1000.0 * 0.9;
            assert!(changed <= p * 1000.0, "p = {p}: {changed} changed");
            assert!(
                (changed - expected).abs() < 40.0,
                "p = {p}: {changed} vs {expected}"
            );
        }
    }

    #[test]
    fn fully_noisy_labels_are_uniform() {
        let l = vec![0; 5000];
        let noisy = corrupt_labels(&l, 1.0, 4, 5).unwrap();
        for class in 0..5 {
            let n = noisy.iter().filter(|&&y| y == class).count();
            assert!((n as i64 - 1000).abs() < 120, "class {class}: {n}");
        }
    }

    #[test]
    fn the_noisy_examples_are_a_prefix_choice_shared_across_fractions() {
        // The chosen set depends only on the seed: a larger p corrupts a superset.
        let l = labels();
        let small = corrupt_labels(&l, 0.1, 5, 10).unwrap();
        let large = corrupt_labels(&l, 0.3, 5, 10).unwrap();
        let changed =
            |n: &[usize]| -> Vec<usize> { (0..l.len()).filter(|&i| n[i] != l[i]).collect() };
        let large_changed = changed(&large);
        assert!(changed(&small).iter().all(|i| large_changed.contains(i)));
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(corrupt_labels(&[0, 1], 1.5, 0, 2).is_err());
        assert!(corrupt_labels(&[0, 1], f64::NAN, 0, 2).is_err());
        assert!(corrupt_labels(&[0, 2], 0.5, 0, 2).is_err());
        assert!(corrupt_labels(&[], 0.5, 0, 0).is_err());
    }
}
