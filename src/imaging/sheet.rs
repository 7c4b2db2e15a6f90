//! Contact sheets: pictures laid out in labelled rows on paper, with the
//! 5×7 font for labels (`genpath grid`, `genpath compare`, a pipeline run's
//! `contact-sheet.png`).

use image::RgbImage;

use super::font;

/// Margins and text of a sheet, in pixels.
pub const PAD: u32 = 8;
pub const SCALE: u32 = 2;
pub const LINE: u32 = 7 * SCALE + 6;
pub const PAPER: [u8; 3] = [250, 250, 247];
pub const INK: [u8; 3] = [30, 30, 36];

/// A contact sheet of labelled rows (attempts side by side, a pipeline
/// run's jobs): each row's label above its images, every image fitted into
/// a `cell`-pixel square.
pub fn contact(rows: &[(String, Vec<RgbImage>)], cell: u32) -> RgbImage {
    let most = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(1) as u32;
    let label_w = rows.iter().map(|r| font::width(&r.0, SCALE)).max().unwrap_or(0);
    let w = (PAD + most * (cell + PAD)).max(label_w + 2 * PAD);
    let h = PAD + rows.len().max(1) as u32 * (LINE + cell + PAD);
    let mut out = RgbImage::from_pixel(w, h, image::Rgb(PAPER));
    for (r, (label, images)) in rows.iter().enumerate() {
        let y0 = PAD + r as u32 * (LINE + cell + PAD);
        font::draw(&mut out, PAD, y0, SCALE, label, INK);
        for (i, img) in images.iter().enumerate() {
            let (iw, ih) = img.dimensions();
            let k = f64::from(cell) / f64::from(iw.max(ih).max(1));
            let (tw, th) = (((f64::from(iw) * k).round() as u32).max(1), ((f64::from(ih) * k).round() as u32).max(1));
            let thumb = image::imageops::resize(img, tw, th, image::imageops::FilterType::Triangle);
            let x = PAD + i as u32 * (cell + PAD) + (cell - tw) / 2;
            let y = y0 + LINE + (cell - th) / 2;
            image::imageops::replace(&mut out, &thumb, i64::from(x), i64::from(y));
        }
    }
    out
}
