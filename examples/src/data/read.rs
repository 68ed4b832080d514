//! Reading a whole file, gunzipping it when it starts with the gzip magic bytes `1f 8b`.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::error::{DataError, Result};

/// The first two bytes of every gzip stream (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The contents of `path`, decompressed if gzipped.
///
/// Errors with [`DataError::Missing`] (carrying `hint`) if the file does not exist, and with
/// [`DataError::Io`] if it cannot be read or is a corrupt gzip stream.
pub(crate) fn read_maybe_gz(path: &Path, hint: &str) -> Result<Vec<u8>> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    if !path.exists() {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
            hint: hint.into(),
        });
    }
    let raw = std::fs::read(path).map_err(io)?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(io)?;
    Ok(out)
}
