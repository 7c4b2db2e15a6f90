//! PNG files with provenance: the pixels plus a `parameters` chunk (A1111
//! infotext) and a `genpath` chunk (the resolved recipe as JSON), and the
//! reading of text chunks of every kind (tEXt, zTXt, iTXt).

use std::io::Cursor;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::Resolved;

/// The JSON stored in the `genpath` chunk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    pub genpath: String,
    pub backend: String,
    pub seed: i64,
    pub recipe: Resolved,
}

fn latin1(s: &str) -> bool {
    s.chars().all(|c| (c as u32) < 256)
}

/// Encode an RGB image with provenance chunks. Deterministic: same input, same bytes.
pub fn encode(img: &RgbImage, r: &Resolved, seed: i64, backend: &str) -> Result<Vec<u8>, png::EncodingError> {
    let info = super::infotext::format(r, seed, backend);
    let provenance =
        Provenance { genpath: env!("CARGO_PKG_VERSION").into(), backend: backend.into(), seed, recipe: r.clone() };
    let json = serde_json::to_string(&provenance).unwrap_or_default();
    encode_with(img, &[("parameters", &info), ("genpath", &json)])
}

/// Encode with arbitrary text chunks (tEXt when Latin-1, iTXt otherwise, as PIL does).
pub fn encode_with(img: &RgbImage, chunks: &[(&str, &str)]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(Cursor::new(&mut out), img.width(), img.height());
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        for (k, v) in chunks {
            if latin1(v) {
                enc.add_text_chunk(k.to_string(), v.to_string())?;
            } else {
                enc.add_itxt_chunk(k.to_string(), v.to_string())?;
            }
        }
        let mut writer = enc.write_header()?;
        writer.write_image_data(img.as_raw())?;
        writer.finish()?;
    }
    Ok(out)
}

/// At most this many text chunks are read from one PNG (A1111 writes one,
/// ComfyUI two); the rest are ignored.
pub const MAX_TEXT_CHUNKS: usize = 64;
/// A text chunk may inflate to at most this many bytes (real infotext and
/// workflow graphs are a few KB to a few hundred KB).
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// All text chunks of one PNG together, after inflating.
pub const MAX_TOTAL_TEXT_BYTES: usize = 4 * 1024 * 1024;

/// Every text chunk of a PNG as (keyword, text), in file order per kind.
///
/// Reads the chunks without decoding pixels, so the image's declared size
/// costs nothing (a 74-byte file may claim 100000×100000), and bounds what
/// compressed text may inflate to ([`MAX_TEXT_BYTES`] a chunk,
/// [`MAX_TOTAL_TEXT_BYTES`] in all, [`MAX_TEXT_CHUNKS`] chunks).
pub fn text_chunks(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: 64 * 1024 * 1024 });
    decoder.set_ignore_text_chunk(false);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    // Chunks after the image data are seen once the reader reaches the end;
    // `finish` skips the image data instead of decoding it into a buffer.
    reader.finish().map_err(|e| e.to_string())?;
    let info = reader.info();
    let mut out = Vec::new();
    let mut total = 0usize;
    let mut keep = |keyword: &str, text: String| -> Result<(), String> {
        total += text.len();
        if total > MAX_TOTAL_TEXT_BYTES {
            return Err(format!(
                "the PNG's text chunks hold more than {} MiB of text: not generation parameters",
                MAX_TOTAL_TEXT_BYTES / (1024 * 1024)
            ));
        }
        out.push((keyword.to_string(), text));
        Ok(())
    };
    let too_big = |keyword: &str| {
        format!(
            "the PNG's `{keyword}` text chunk inflates to more than {} MiB: not generation parameters",
            MAX_TEXT_BYTES / (1024 * 1024)
        )
    };
    let mut budget = MAX_TEXT_CHUNKS;
    for t in info.uncompressed_latin1_text.iter().take(budget) {
        keep(&t.keyword, t.text.chars().take(MAX_TEXT_BYTES).collect())?;
    }
    budget = budget.saturating_sub(info.uncompressed_latin1_text.len());
    for t in info.compressed_latin1_text.iter().take(budget) {
        let mut t = t.clone();
        t.decompress_text_with_limit(MAX_TEXT_BYTES).map_err(|_| too_big(&t.keyword))?;
        keep(&t.keyword, t.get_text().map_err(|e| e.to_string())?)?;
    }
    budget = budget.saturating_sub(info.compressed_latin1_text.len());
    for t in info.utf8_text.iter().take(budget) {
        let mut t = t.clone();
        t.decompress_text_with_limit(MAX_TEXT_BYTES).map_err(|_| too_big(&t.keyword))?;
        keep(&t.keyword, t.get_text().map_err(|e| e.to_string())?)?;
    }
    Ok(out)
}

/// The text chunk in which a pipeline's `[[post]]` steps record what they
/// did to a picture (JSON: each step with its parameters and result).
pub const POST_CHUNK: &str = "genpath-post";

/// The `[[post]]` record of a PNG, if it has one.
pub fn post_record(bytes: &[u8]) -> Option<serde_json::Value> {
    let chunks = text_chunks(bytes).ok()?;
    let (_, json) = chunks.iter().find(|(k, _)| k == POST_CHUNK)?;
    serde_json::from_str(json).ok()
}

/// The `genpath` provenance of a PNG, if it has one.
pub fn provenance(bytes: &[u8]) -> Option<Provenance> {
    let chunks = text_chunks(bytes).ok()?;
    let (_, json) = chunks.iter().find(|(k, _)| k == "genpath")?;
    serde_json::from_str(json).ok()
}

/// Add text chunks to an existing PNG without touching its pixels or its
/// own metadata (a real backend's `parameters` stay as the backend wrote
/// them): each is written as an iTXt chunk just before IEND.
pub fn add_text_chunks(bytes: &[u8], chunks: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    const SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];
    if bytes.len() < 20 || bytes[..8] != SIGNATURE {
        return Err("not a PNG file".into());
    }
    // Find IEND by walking the chunks (never trusting lengths past the end).
    let mut pos = 8;
    let mut iend = None;
    while pos + 12 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        if kind == b"IEND" {
            iend = Some(pos);
            break;
        }
        pos = pos.checked_add(12 + len).ok_or("corrupt PNG chunk length")?;
    }
    let iend = iend.ok_or("the PNG has no IEND chunk (truncated?)")?;
    let mut out = bytes[..iend].to_vec();
    for (key, text) in chunks {
        let mut data = Vec::new();
        data.extend_from_slice(key.as_bytes());
        data.extend_from_slice(&[0, 0, 0, 0, 0]); // NUL, not compressed, method 0, empty language, empty translated keyword
        data.extend_from_slice(text.as_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(b"iTXt");
        crc.update(&data);
        out.extend_from_slice(b"iTXt");
        out.extend_from_slice(&data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    out.extend_from_slice(&bytes[iend..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::{Limits, Recipe};

    #[test]
    fn chunks_round_trip_including_non_latin1() {
        let r = Recipe::parse("r.toml", "prompt = \"ein Fuchs, 狐, on a beach\"\nseed = 5\n", Limits::default())
            .unwrap()
            .resolve()
            .remove(0);
        let img = RgbImage::from_pixel(8, 8, image::Rgb([10, 20, 30]));
        let bytes = encode(&img, &r, 5, "builtin").unwrap();
        let chunks = text_chunks(&bytes).unwrap();
        let params = &chunks.iter().find(|(k, _)| k == "parameters").unwrap().1;
        assert!(
            params.starts_with(
                "ein Fuchs, 狐, on a beach\nSteps: 28, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512"
            ),
            "{params}"
        );
        let p = provenance(&bytes).unwrap();
        assert_eq!(p.recipe, r);
        assert_eq!(p.seed, 5);
        assert_eq!(image::load_from_memory(&bytes).unwrap().to_rgb8(), img);
    }
}
