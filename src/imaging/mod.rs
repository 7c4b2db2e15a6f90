//! Pixels: opening images from anywhere (learners' files, bundles, servers, exercise
//! assets) with one set of limits, so no file can cost unbounded time or
//! memory: at most [`MAX_FILE_BYTES`] read, at most [`MAX_DECODE_SIDE`] px a
//! side and [`MAX_DECODE_ALLOC`] bytes decoded, and pixels kept for the
//! checks at most [`KEEP_SIDE`] px a side.

pub mod analysis;
pub mod color;
pub mod control_maps;
/// Image embeddings from a user's ONNX model; without `--features
/// embedding`, the same names and a model that cannot be loaded.
#[cfg(feature = "embedding")]
pub mod embedding;
#[cfg(not(feature = "embedding"))]
#[path = "embedding_off.rs"]
pub mod embedding;
pub mod font;
pub mod keypoints;
pub mod repeat;
pub mod resize;
pub mod sheet;
pub mod subject;

use std::io::{Cursor, Read};
use std::path::Path;

use image::{DynamicImage, RgbImage};

/// Largest side genpath will decode; bigger images are refused, not read.
pub const MAX_DECODE_SIDE: u32 = 8192;
/// Largest allocation a decoder may make (an 8192² RGBA image with 16-bit
/// channels is 512 MiB).
pub const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
/// Largest image file genpath reads.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// The largest side any check measures at (recipes are at most 2048 px a
/// side); larger images are area-averaged down to it once, when decoded.
pub const KEEP_SIDE: u32 = 2048;

/// The 4-connected neighbours of pixel `i` in a `w`×`h` grid: left, right,
/// up, down (the order flood fills visit them in).
pub fn neighbours4(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [(x > 0).then(|| i - 1), (x + 1 < w).then(|| i + 1), (y > 0).then(|| i - w), (y + 1 < h).then(|| i + w)]
        .into_iter()
        .flatten()
}

/// Read an image file, refusing one larger than [`MAX_FILE_BYTES`]. The size
/// on disk is not trusted (a device or a growing file has none): at most one
/// byte past the limit is read.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is larger than the {} MiB genpath reads as an image", MAX_FILE_BYTES / (1024 * 1024)),
        ));
    }
    Ok(bytes)
}

/// Decode an image with the limits above; the error says why in words.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            format!("the image is larger than genpath will decode ({MAX_DECODE_SIDE} px a side)")
        }
        other => other.to_string(),
    })
}

/// Colour pixels with transparent areas composited over white, and whether
/// every pixel was fully transparent. Opaque images are converted without
/// compositing; the rest in integer arithmetic (exact rounding).
pub fn over_white(img: DynamicImage) -> (RgbImage, bool) {
    if !img.color().has_alpha() {
        return (img.into_rgb8(), false);
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = vec![0u8; w as usize * h as usize * 3];
    // One pass into a buffer of the final size (no push per channel), the
    // alpha's OR kept on the side: the compiler vectorises it.
    let mut any_alpha = 0u8;
    for (o, p) in out.chunks_exact_mut(3).zip(rgba.as_raw().chunks_exact(4)) {
        let a = u32::from(p[3]);
        any_alpha |= p[3];
        for (o, &c) in o.iter_mut().zip(&p[..3]) {
            // c·a/255 + 255·(1 − a/255), rounded to nearest.
            *o = ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    let transparent = w > 0 && h > 0 && any_alpha == 0;
    (RgbImage::from_raw(w, h, out).unwrap_or_default(), transparent)
}

/// `img` with its longer side at most `side`, each output pixel the mean of
/// the source pixels it covers (an area/box filter: right for shrinking, and
/// one pass over the source). Smaller images are returned as they are.
pub fn shrink(img: RgbImage, side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    if w.max(h) <= side || w == 0 || h == 0 {
        return img;
    }
    let scale = f64::from(side) / f64::from(w.max(h));
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, side);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, side);
    // Source span [start, end) of each output column and row.
    let spans = |from: u32, to: u32| -> Vec<(usize, usize)> {
        (0..to)
            .map(|i| {
                let a = (u64::from(i) * u64::from(from) / u64::from(to)) as usize;
                let b = ((u64::from(i) + 1) * u64::from(from)).div_ceil(u64::from(to)) as usize;
                (a, b.max(a + 1).min(from as usize))
            })
            .collect()
    };
    let (xs, ys) = (spans(w, nw), spans(h, nh));
    let src = img.as_raw();
    let stride = w as usize * 3;
    let mut out = Vec::with_capacity(nw as usize * nh as usize * 3);
    let mut row_sum = vec![0u32; stride];
    for &(y0, y1) in &ys {
        row_sum.iter_mut().for_each(|s| *s = 0);
        for y in y0..y1 {
            for (s, &v) in row_sum.iter_mut().zip(&src[y * stride..(y + 1) * stride]) {
                *s += u32::from(v);
            }
        }
        let rows = (y1 - y0) as u32;
        for &(x0, x1) in &xs {
            let n = rows * (x1 - x0) as u32;
            for k in 0..3 {
                let sum: u32 = (x0..x1).map(|x| row_sum[x * 3 + k]).sum();
                out.push(((sum + n / 2) / n) as u8);
            }
        }
    }
    RgbImage::from_raw(nw, nh, out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_over_white_is_exact_and_skips_opaque_images() {
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 128]));
        rgba.put_pixel(1, 0, image::Rgba([200, 10, 30, 255]));
        let (rgb, transparent) = over_white(DynamicImage::ImageRgba8(rgba));
        assert!(!transparent);
        // 255·127/255 = 127
        assert_eq!(rgb.get_pixel(0, 0).0, [127, 127, 127]);
        assert_eq!(rgb.get_pixel(1, 0).0, [200, 10, 30]);
        let (_, all_clear) = over_white(DynamicImage::ImageRgba8(image::RgbaImage::new(3, 3)));
        assert!(all_clear);
        let opaque = RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3]));
        assert_eq!(over_white(DynamicImage::ImageRgb8(opaque.clone())).0, opaque);
    }

    #[test]
    fn shrinking_averages_areas_and_keeps_the_aspect() {
        let img = RgbImage::from_fn(8, 4, |x, _| if x % 2 == 0 { image::Rgb([0, 0, 0]) } else { image::Rgb([255; 3]) });
        let small = shrink(img, 4);
        assert_eq!(small.dimensions(), (4, 2));
        assert!(small.pixels().all(|p| p.0 == [128, 128, 128]), "{small:?}");
        let odd = shrink(RgbImage::from_pixel(3000, 1000, image::Rgb([9, 9, 9])), 2048);
        assert_eq!(odd.dimensions(), (2048, 683));
        assert!(odd.pixels().all(|p| p.0 == [9, 9, 9]));
        assert_eq!(shrink(RgbImage::new(10, 10), 2048).dimensions(), (10, 10));
    }

    #[test]
    fn oversized_files_and_images_are_refused() {
        // A PNG header claiming 100000×100000 pixels: refused before any allocation.
        let mut png = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png, 1, 1);
            enc.set_color(png::ColorType::Rgb);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[0, 0, 0]).unwrap();
        }
        // Patch IHDR's width and height (bytes 16..24) and its CRC.
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        let e = decode(&png).unwrap_err();
        assert!(e.contains("larger than genpath will decode"), "{e}");
    }
}
