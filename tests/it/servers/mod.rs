//! Recorded-protocol servers on 127.0.0.1 for the backend clients' tests.

pub mod a1111;
pub mod comfyui;
pub mod openai;

/// A small PNG in one colour with text chunks, as servers return them.
pub fn png(w: u32, h: u32, chunks: &[(&str, &str)]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([120, 80, 40]));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        for (k, v) in chunks {
            enc.add_text_chunk(k.to_string(), v.to_string()).unwrap();
        }
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(img.as_raw()).unwrap();
    }
    out
}
