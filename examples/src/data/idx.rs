//! The IDX format of (Fashion-)MNIST: a big-endian header, then unsigned bytes.
//!
//! ```text
//! images (idx3-ubyte): 0x00000803, count, rows, cols (u32 BE), then count·rows·cols pixels
//! labels (idx1-ubyte): 0x00000801, count (u32 BE), then count labels
//! ```
//!
//! Files may be gzipped (detected by their first bytes, not their name).

use std::path::Path;

use super::error::{DataError, Result};
use super::read::read_maybe_gz;

/// Magic number of an IDX file of unsigned bytes with three dimensions.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with one dimension.
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const GENERIC_HINT: &str = "expected an IDX file, gzipped or not";

/// The images of an `idx3-ubyte` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Pixel rows per image.
    pub rows: usize,
    /// Pixel columns per image.
    pub cols: usize,
    /// `count · rows · cols` pixels, image by image, row-major.
    pub pixels: Vec<u8>,
}

/// Reads an `idx3-ubyte` image file (gzipped or not).
///
/// Errors if the file is missing or unreadable, its magic number is not [`IMAGES_MAGIC`], or
/// its length differs from `16 + count · rows · cols`.
pub fn read_idx_images(path: &Path) -> Result<IdxImages> {
    read_images(path, GENERIC_HINT)
}

/// Reads an `idx1-ubyte` label file (gzipped or not).
///
/// Errors if the file is missing or unreadable, its magic number is not [`LABELS_MAGIC`], or
/// its length differs from `8 + count`.
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    read_labels(path, GENERIC_HINT)
}

/// [`read_idx_images`] with `hint` saying how to obtain a missing file.
pub(crate) fn read_images(path: &Path, hint: &str) -> Result<IdxImages> {
    let bytes = read_maybe_gz(path, hint)?;
    let header = parse_header(path, &bytes, "images", IMAGES_MAGIC, 3)?;
    let [count, rows, cols] = [header[0], header[1], header[2]];
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: bytes[16..].to_vec(),
    })
}

/// [`read_idx_labels`] with `hint` saying how to obtain a missing file.
pub(crate) fn read_labels(path: &Path, hint: &str) -> Result<Vec<u8>> {
    let bytes = read_maybe_gz(path, hint)?;
    parse_header(path, &bytes, "labels", LABELS_MAGIC, 1)?;
    Ok(bytes[8..].to_vec())
}

/// Checks the magic number and that the file length is exactly header plus data; returns the
/// dimensions.
fn parse_header(
    path: &Path,
    bytes: &[u8],
    kind: &'static str,
    magic: u32,
    ndims: usize,
) -> Result<Vec<usize>> {
    let header_len = 4 * (1 + ndims);
    let size_mismatch = |expected: u64| DataError::SizeMismatch {
        path: path.to_path_buf(),
        expected,
        found: bytes.len() as u64,
    };
    let word = |k: usize| {
        u32::from_be_bytes([
            bytes[4 * k],
            bytes[4 * k + 1],
            bytes[4 * k + 2],
            bytes[4 * k + 3],
        ])
    };
    if bytes.len() < 4 {
        return Err(size_mismatch(header_len as u64));
    }
    if word(0) != magic {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            kind,
            expected: magic,
            found: word(0),
        });
    }
    if bytes.len() < header_len {
        return Err(size_mismatch(header_len as u64));
    }
    let dims: Vec<usize> = (1..=ndims).map(|k| word(k) as usize).collect();
    let expected = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .and_then(|n| n.checked_add(header_len as u64))
        .unwrap_or(u64::MAX);
    if expected != bytes.len() as u64 {
        return Err(size_mismatch(expected));
    }
    Ok(dims)
}
