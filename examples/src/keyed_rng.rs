//! Seeded generators keyed by `(seed, index, stream)`: every random choice of the protocol
//! (batch order, augmentation, ensemble points) is a pure function of the run's seed, the
//! epoch or step, and what it is for, so a resumed run draws the same numbers.

use rand::{SeedableRng, rngs::ChaCha8Rng};

/// What a keyed generator draws; distinct streams of one `(seed, index)` are independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The order of the training examples in an epoch (index: the epoch).
    EpochOrder,
    /// Random crops and flips of a training batch (index: the step).
    Augment,
    /// The members of a simplex's ensemble (index: 0).
    EnsembleMembers,
}

impl Stream {
    /// The 8 key bytes naming the stream (the epoch order's are zero).
    fn tag(self) -> [u8; 8] {
        match self {
            Self::EpochOrder => [0; 8],
            Self::Augment => *b"augment\0",
            Self::EnsembleMembers => *b"ensemble",
        }
    }
}

/// A `ChaCha8Rng` keyed with `seed`, `index` and `stream`: key bytes `0..8` are `seed`, `8..16`
/// are `index` (both little-endian), `16..24` name the stream, the rest are zero.
pub fn keyed_rng(seed: u64, index: u64, stream: Stream) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    key[16..24].copy_from_slice(&stream.tag());
    ChaCha8Rng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    fn first(seed: u64, index: u64, stream: Stream) -> u64 {
        keyed_rng(seed, index, stream).next_u64()
    }

    #[test]
    fn each_key_part_changes_the_draws() {
        let base = first(1, 2, Stream::Augment);
        assert_eq!(base, first(1, 2, Stream::Augment));
        assert_ne!(base, first(0, 2, Stream::Augment));
        assert_ne!(base, first(1, 3, Stream::Augment));
        assert_ne!(base, first(1, 2, Stream::EpochOrder));
        assert_ne!(base, first(1, 2, Stream::EnsembleMembers));
    }

    #[test]
    fn the_key_layout_is_seed_index_tag() {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&7u64.to_le_bytes());
        key[8..16].copy_from_slice(&9u64.to_le_bytes());
        key[16..24].copy_from_slice(b"augment\0");
        assert_eq!(
            keyed_rng(7, 9, Stream::Augment).next_u64(),
            ChaCha8Rng::from_seed(key).next_u64()
        );
        // The epoch order's tag is zero: the same batches as before the streams had names.
        key[16..24].copy_from_slice(&[0; 8]);
        assert_eq!(
            keyed_rng(7, 9, Stream::EpochOrder).next_u64(),
            ChaCha8Rng::from_seed(key).next_u64()
        );
    }
}
