//! An RGB frame encoded as PNG bytes in memory (so a figure can be written atomically with
//! `subspace_core::write_atomic`, like every other file of a run).
//!
//! The PNG layout (RFC 2083): the signature, then chunks `length (u32 BE) | type | data |
//! CRC-32 of type and data`: `IHDR` (width, height, bit depth 8, colour type 2 = RGB, no
//! interlace), one `IDAT` holding the zlib stream of the rows, each prefixed by filter type 0,
//! and `IEND`.

use std::io::Write;

use flate2::{Compression, Crc, write::ZlibEncoder};

/// The eight bytes every PNG file starts with.
pub const PNG_SIGNATURE: [u8; 8] = *b"\x89PNG\r\n\x1a\n";

/// `rgb` (`width · height` pixels of 3 bytes, row-major) as a PNG file.
///
/// Errors if `rgb` does not hold `width · height · 3` bytes or compression fails.
pub fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> std::io::Result<Vec<u8>> {
    let row = width as usize * 3;
    if rgb.len() != row * height as usize {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "an RGB frame of {width}×{height} pixels has {} bytes, found {}",
                row * height as usize,
                rgb.len()
            ),
        ));
    }
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    for line in rgb.chunks(row.max(1)) {
        zlib.write_all(&[0])?;
        zlib.write_all(line)?;
    }
    let mut header = Vec::with_capacity(13);
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    let mut png = PNG_SIGNATURE.to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib.finish()?);
    chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

/// Appends one chunk: `length | kind | data | CRC-32(kind, data)`.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend((data.len() as u32).to_be_bytes());
    png.extend(kind);
    png.extend(data);
    png.extend(crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::ZlibDecoder;

    use super::*;

    /// The chunks of `png` as `(type, data)`, each CRC checked.
    fn chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!(png[..8], PNG_SIGNATURE);
        let mut rest = &png[8..];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = rest[4..8].try_into().unwrap();
            let data = rest[8..8 + len].to_vec();
            let mut crc = Crc::new();
            crc.update(&rest[4..8 + len]);
            let stored = u32::from_be_bytes(rest[8 + len..12 + len].try_into().unwrap());
            assert_eq!(
                crc.sum(),
                stored,
                "CRC of {:?}",
                String::from_utf8_lossy(&kind)
            );
            out.push((kind, data));
            rest = &rest[12 + len..];
        }
        out
    }

    #[test]
    fn the_pixels_come_back_row_by_row_behind_filter_zero() {
        let (w, h) = (3u32, 2u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|v| (v * 13) as u8).collect();
        let png = encode_png(&rgb, (w, h)).unwrap();
        let chunks = chunks(&png);
        let kinds: Vec<&[u8; 4]> = chunks.iter().map(|c| &c.0).collect();
        assert_eq!(kinds, [b"IHDR", b"IDAT", b"IEND"]);
        assert_eq!(chunks[0].1, [0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
        let mut raw = Vec::new();
        ZlibDecoder::new(&chunks[1].1[..])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(raw.len(), (h * (3 * w + 1)) as usize);
        for (r, line) in raw.chunks(3 * w as usize + 1).enumerate() {
            assert_eq!(line[0], 0, "filter type of row {r}");
            assert_eq!(line[1..], rgb[r * 9..(r + 1) * 9]);
        }
    }

    #[test]
    fn a_frame_of_the_wrong_size_is_an_error() {
        assert!(encode_png(&[0; 5], (1, 2)).is_err());
    }

    #[test]
    fn the_crc_is_png_s_crc_32() {
        // The IEND chunk of every PNG file ends with the same CRC, AE 42 60 82.
        let png = encode_png(&[0; 3], (1, 1)).unwrap();
        assert_eq!(png[png.len() - 4..], [0xAE, 0x42, 0x60, 0x82]);
    }
}
