//! Text in the picture: the words a prompt puts in quotes (`a sign that says
//! "OPEN"`), lettered on a sign — spelt as well as the model can spell. SD
//! 1.5 garbles letters into look-alike shapes, SDXL spells short words and
//! stumbles on long ones, FLUX and gpt-image spell short phrases right (see
//! `curriculum/physics.md`, "Models").

use tiny_skia::Pixmap;

use super::model::Model;
use super::plan::{Frac, Plan};
use super::rng::{Rng, hash};
use crate::imaging::color::shade;

/// A 5×7 block font: each glyph is 7 rows, the low 5 bits of each a row
/// (bit 4 = leftmost column).
const FONT: &[(char, [u8; 7])] = &[
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
    (' ', [0; 7]),
];

/// The longest text a prompt can ask for (a sign, not a page).
pub const MAX_TEXT: usize = 40;

fn glyph(c: char) -> Option<[u8; 7]> {
    FONT.iter().find(|(k, _)| *k == c).map(|(_, g)| *g)
}

/// The text a prompt quotes: the first `"…"` span, upper-cased, only the
/// characters the lettering knows, at most `MAX_TEXT` of them.
pub fn quoted(prompt: &str) -> Option<String> {
    let start = prompt.find('"')?;
    let len = prompt[start + 1..].find('"')?;
    let text: String = prompt[start + 1..start + 1 + len]
        .chars()
        .flat_map(char::to_uppercase)
        .filter(|c| glyph(*c).is_some())
        .take(MAX_TEXT)
        .collect();
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// The text as this model spells it on this seed: each letter is right,
/// or another letter (a look-alike shape), by the model's per-letter error
/// rate for a text this long.
pub fn spelt(text: &str, model: &Model, seed: u64) -> String {
    let mut rng = Rng::new(hash(&[b"text", text.as_bytes(), &seed.to_le_bytes()]));
    let letters = text.chars().filter(|c| *c != ' ').count();
    let error = model.letter_error(letters);
    const SHAPES: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = String::new();
    for c in text.chars() {
        if c != ' ' && rng.chance(error) {
            out.push(SHAPES[rng.below(SHAPES.len())] as char);
            // A garbling model also doubles or drops a letter now and then.
            if rng.chance(error * 0.3) {
                out.push(SHAPES[rng.below(SHAPES.len())] as char);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Where the sign goes: in the copy space when the prompt asked for one
/// (a poster's headline), else a board in the upper part of the picture
/// clear of the subject.
pub fn sign_box(plan: &Plan, chars: usize) -> Frac {
    let w = (0.08 + 0.055 * chars as f32).min(0.9);
    let h = 0.16;
    if let Some(c) = plan.calm.first() {
        return Frac { x: c.x + (c.w - w.min(c.w * 0.9)) / 2.0, y: c.y + (c.h - h) / 2.0, w: w.min(c.w * 0.9), h };
    }
    let b = plan.subject_box;
    let cx = (b.x + b.w / 2.0).clamp(w / 2.0 + 0.02, 0.98 - w / 2.0);
    let y = (b.y - h - 0.03).max(0.04);
    Frac { x: cx - w / 2.0, y, w, h }
}

/// Letter `text` on a sign at `at` (fractions of the picture).
pub fn draw(pix: &mut Pixmap, plan: &Plan, text: &str, at: Frac) {
    let (w, h) = (pix.width() as f32, pix.height() as f32);
    let (x0, y0, bw, bh) = (at.x * w, at.y * h, at.w * w, at.h * h);
    let board = shade([246, 240, 226], -0.02);
    // Lettering in a dark tint of the accent: readable on the light board whatever the accent.
    let ink = crate::imaging::color::mix(plan.accent, [34, 30, 36], 0.75);
    let mut c = super::paint::Canvas::new(pix);
    c.fill_c(super::paint::rounded(x0, y0, bw, bh, bh * 0.12), board, 1.0);
    let n = text.chars().count().max(1) as f32;
    // Cell size: 7 rows + margins tall, 6 columns per letter wide.
    let cell = (bh / 10.0).min(bw * 0.9 / (6.0 * n - 1.0)).max(0.5);
    let (tw, th) = ((6.0 * n - 1.0) * cell, 7.0 * cell);
    let (tx, ty) = (x0 + (bw - tw) / 2.0, y0 + (bh - th) / 2.0);
    for (i, ch) in text.chars().enumerate() {
        let Some(g) = glyph(ch) else { continue };
        for (row, bits) in g.iter().enumerate() {
            for col in 0..5 {
                if bits & (1 << (4 - col)) != 0 {
                    let (px, py) = (tx + (i as f32 * 6.0 + col as f32) * cell, ty + row as f32 * cell);
                    c.fill_c(super::paint::rect(px, py, cell, cell), ink, 1.0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_text_is_read_upper_case_within_its_limit() {
        assert_eq!(quoted("a sign that says \"Open 24h!\", in a city").as_deref(), Some("OPEN 24H!"));
        assert_eq!(quoted("no quotes"), None);
        assert_eq!(quoted("an \"unclosed quote"), None);
        assert_eq!(quoted(&format!("\"{}\"", "A".repeat(100))).map(|t| t.len()), Some(MAX_TEXT));
        assert!(FONT.iter().all(|(_, g)| g.iter().all(|r| *r < 32)), "5 columns");
    }
}
