//! A 5×7 block font: the letters genpath draws itself — the practice
//! renderer's lettering on signs and the labels of contact sheets. Upper
//! case, digits and a little punctuation; anything else is not drawn.

use image::RgbImage;

/// A 5×7 block font: each glyph is 7 rows, the low 5 bits of each a row
/// (bit 4 = leftmost column).
pub const FONT: &[(char, [u8; 7])] = &[
    ('A', [14, 17, 17, 31, 17, 17, 17]),
    ('B', [30, 17, 17, 30, 17, 17, 30]),
    ('C', [14, 17, 16, 16, 16, 17, 14]),
    ('D', [30, 17, 17, 17, 17, 17, 30]),
    ('E', [31, 16, 16, 30, 16, 16, 31]),
    ('F', [31, 16, 16, 30, 16, 16, 16]),
    ('G', [14, 17, 16, 23, 17, 17, 15]),
    ('H', [17, 17, 17, 31, 17, 17, 17]),
    ('I', [14, 4, 4, 4, 4, 4, 14]),
    ('J', [7, 2, 2, 2, 2, 18, 12]),
    ('K', [17, 18, 20, 24, 20, 18, 17]),
    ('L', [16, 16, 16, 16, 16, 16, 31]),
    ('M', [17, 27, 21, 21, 17, 17, 17]),
    ('N', [17, 17, 25, 21, 19, 17, 17]),
    ('O', [14, 17, 17, 17, 17, 17, 14]),
    ('P', [30, 17, 17, 30, 16, 16, 16]),
    ('Q', [14, 17, 17, 17, 21, 18, 13]),
    ('R', [30, 17, 17, 30, 20, 18, 17]),
    ('S', [15, 16, 16, 14, 1, 1, 30]),
    ('T', [31, 4, 4, 4, 4, 4, 4]),
    ('U', [17, 17, 17, 17, 17, 17, 14]),
    ('V', [17, 17, 17, 17, 17, 10, 4]),
    ('W', [17, 17, 17, 21, 21, 21, 10]),
    ('X', [17, 17, 10, 4, 10, 17, 17]),
    ('Y', [17, 17, 10, 4, 4, 4, 4]),
    ('Z', [31, 1, 2, 4, 8, 16, 31]),
    ('0', [14, 17, 19, 21, 25, 17, 14]),
    ('1', [4, 12, 4, 4, 4, 4, 14]),
    ('2', [14, 17, 1, 2, 4, 8, 31]),
    ('3', [30, 1, 1, 14, 1, 1, 30]),
    ('4', [2, 6, 10, 18, 31, 2, 2]),
    ('5', [31, 16, 30, 1, 1, 17, 14]),
    ('6', [6, 8, 16, 30, 17, 17, 14]),
    ('7', [31, 1, 2, 4, 8, 8, 8]),
    ('8', [14, 17, 17, 14, 17, 17, 14]),
    ('9', [14, 17, 17, 15, 1, 2, 12]),
    ('!', [4, 4, 4, 4, 4, 0, 4]),
    ('?', [14, 17, 1, 2, 4, 0, 4]),
    ('%', [24, 25, 2, 4, 8, 19, 3]),
    ('&', [12, 18, 20, 8, 21, 18, 13]),
    ('-', [0, 0, 0, 31, 0, 0, 0]),
    ('.', [0, 0, 0, 0, 0, 12, 12]),
    (',', [0, 0, 0, 0, 12, 4, 8]),
    ('\'', [4, 4, 8, 0, 0, 0, 0]),
    (':', [0, 12, 12, 0, 12, 12, 0]),
    ('=', [0, 0, 31, 0, 31, 0, 0]),
    ('_', [0, 0, 0, 0, 0, 0, 31]),
    ('/', [1, 1, 2, 4, 8, 16, 16]),
    ('(', [2, 4, 8, 8, 8, 4, 2]),
    (')', [8, 4, 2, 2, 2, 4, 8]),
    ('+', [0, 4, 4, 31, 4, 4, 0]),
    (' ', [0; 7]),
];

/// A character's glyph (lower case reads as upper case).
pub fn glyph(c: char) -> Option<[u8; 7]> {
    let c = c.to_ascii_uppercase();
    FONT.iter().find(|(k, _)| *k == c).map(|(_, g)| *g)
}

/// The width in pixels of `text` drawn at `scale` (6 columns a character, the last without its gap).
pub fn width(text: &str, scale: u32) -> u32 {
    (6 * text.chars().count() as u32).saturating_sub(1) * scale
}

/// Draw `text` with its top-left at (`x`, `y`), each font pixel a
/// `scale`×`scale` square of `ink`; what falls outside the image is cut.
pub fn draw(img: &mut RgbImage, x: u32, y: u32, scale: u32, text: &str, ink: [u8; 3]) {
    for (i, ch) in text.chars().enumerate() {
        let Some(g) = glyph(ch) else { continue };
        for (row, bits) in g.iter().enumerate() {
            for col in 0..5u32 {
                if bits & (1 << (4 - col)) == 0 {
                    continue;
                }
                let (px, py) = (x + (i as u32 * 6 + col) * scale, y + row as u32 * scale);
                for dy in 0..scale {
                    for dx in 0..scale {
                        if px + dx < img.width() && py + dy < img.height() {
                            img.put_pixel(px + dx, py + dy, image::Rgb(ink));
                        }
                    }
                }
            }
        }
    }
}

/// Whether every character of `text` has a glyph (what is not in the font is not drawn).
pub fn covers(text: &str) -> Option<char> {
    text.chars().find(|c| glyph(*c).is_none())
}

/// The largest scale at which `text` fits a `w`×`h` box with a margin (90%
/// of the width, 80% of the height); 0 when it does not fit even at 1.
pub fn fit_scale(text: &str, w: u32, h: u32) -> u32 {
    let (one_w, one_h) = (width(text, 1).max(1), 7);
    ((w * 9 / 10) / one_w).min((h * 8 / 10) / one_h)
}

/// Lettering genpath set on a picture (a pipeline's `[[post]]` text step):
/// where, how large, in which colour, and what the area measured before the
/// letters went on. Written into the PNG beside the pipeline's other post
/// steps, so a check can re-draw the same letters and compare them with the
/// pixels (the exact text, legible, nothing painted over it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Lettering {
    pub text: String,
    /// Top-left of the first glyph, in pixels of the final picture.
    pub x: u32,
    pub y: u32,
    /// Each font pixel is a `scale`×`scale` square.
    pub scale: u32,
    /// The ink as `#RRGGBB`.
    pub color: String,
    /// The text area as fractions `[x, y, w, h]`.
    pub region: [f64; 4],
    /// Canny edge density of the area before lettering (working size).
    pub edge_density: f64,
    /// Share of the area under the subject's box before lettering.
    pub subject_overlap: f64,
    /// WCAG contrast of the ink against the area's mean colour before lettering.
    pub contrast: f64,
}

/// The pixels `draw` would ink for `text`: (x, y) of every one inside `w`×`h`.
pub fn ink_pixels(text: &str, x: u32, y: u32, scale: u32, w: u32, h: u32) -> Vec<(u32, u32)> {
    let mut img = RgbImage::new(w, h);
    draw(&mut img, x, y, scale, text, [255, 255, 255]);
    img.enumerate_pixels().filter(|p| p.2.0[0] > 0).map(|p| (p.0, p.1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_is_five_columns_and_text_lands_where_asked() {
        assert!(FONT.iter().all(|(_, g)| g.iter().all(|r| *r < 32)), "5 columns");
        let mut img = RgbImage::new(40, 10);
        draw(&mut img, 1, 1, 1, "i-1", [255, 255, 255]);
        assert_eq!(width("i-1", 1), 17);
        let lit: Vec<u32> = img.enumerate_pixels().filter(|p| p.2.0[0] > 0).map(|p| p.0).collect();
        assert!(lit.iter().all(|x| (1..18).contains(x)), "{lit:?}");
        assert_eq!(glyph('a'), glyph('A'));
        draw(&mut img, 39, 9, 3, "WIDE", [1, 2, 3]); // cut at the edge, no panic
    }
}
