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
use crate::imaging::font::glyph;

/// The longest text a prompt can ask for (a sign, not a page).
pub const MAX_TEXT: usize = 40;

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
    }
}
