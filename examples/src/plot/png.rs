//! An RGB frame encoded as PNG bytes in memory, by the `png` crate, so that a figure can be
//! written atomically with `subspace_core::write_atomic` like every other file of a run.

/// `rgb` (`width · height` pixels of 3 bytes, row-major) as a PNG file: 8-bit RGB.
///
/// Errors if `rgb` does not hold `width · height · 3` bytes or the encoder fails.
pub fn encode_png(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixels_come_back() {
        let (w, h) = (3u32, 2u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|v| (v * 13) as u8).collect();
        let png = encode_png(&rgb, (w, h)).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((frame.width, frame.height), (w, h));
        assert_eq!(frame.color_type, png::ColorType::Rgb);
        assert_eq!(&pixels[..frame.buffer_size()], &rgb[..]);
    }

    #[test]
    fn a_frame_of_the_wrong_size_is_an_error() {
        assert!(encode_png(&[0; 5], (1, 2)).is_err());
    }
}
