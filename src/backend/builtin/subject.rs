//! The subjects: parametric drawings in a unit box (x right, y down, feet at
//! y = 1), mapped onto the plan's subject box. Body parts carry the body
//! colour and the pattern; the accent goes to accessories, trims and chests.

use tiny_skia::{FillRule, Mask, Path, Pixmap, Transform};

use super::paint::*;
use super::plan::{Plan, Rgb};
use crate::imaging::color::shade;
use crate::recipe::vocab::{Accessory, Eyes, Pattern, Style, Subject, SubjectClass};

const DARK: Rgb = [34, 30, 36];
const WHITE: Rgb = [250, 250, 246];

struct Drawer<'a> {
    c: Canvas<'a>,
    plan: &'a Plan,
    /// Where body parts are, for the pattern.
    body_mask: Mask,
    /// Where later parts cover the body (chest, eyes …): no pattern there.
    cover_mask: Mask,
    unit_px: f32,
}

impl Drawer<'_> {
    fn shaded(&self) -> bool {
        matches!(self.plan.style, Style::Clay | Style::Photographic)
    }

    /// Fill a part; shaded styles get a soft light from the top left.
    fn part(&mut self, path: Option<Path>, col: Rgb) {
        let Some(p) = path else { return };
        self.cover_mask.fill_path(&p, FillRule::Winding, true, self.c.ts);
        self.paint(p, col);
    }

    fn paint(&mut self, p: Path, col: Rgb) {
        if self.shaded() {
            let b = p.bounds();
            let (cx, cy) = (b.left() + b.width() * 0.35, b.top() + b.height() * 0.3);
            let r = b.width().max(b.height()) * 0.9;
            let paint =
                radial(cx, cy, r, &[(0.0, shade(col, 0.28), 1.0), (0.6, col, 1.0), (1.0, shade(col, -0.3), 1.0)]);
            self.c.fill(Some(p.clone()), &paint);
        } else {
            self.c.fill_c(Some(p.clone()), col, 1.0);
        }
        if self.plan.style == Style::FlatVector && self.plan.has("outline") {
            // Near-neutral ink, as flat illustration does: it does not add a colour of its own.
            self.c.stroke(Some(p), crate::imaging::color::mix(col, DARK, 0.8), 0.9, 1.6 / self.unit_px);
        }
    }

    /// A body part: also marks where the pattern goes.
    fn body(&mut self, path: Option<Path>) {
        let Some(p) = path else { return };
        self.body_mask.fill_path(&p, FillRule::Winding, true, self.c.ts);
        self.paint(p, self.plan.body);
    }

    fn line(&mut self, path: Option<Path>, col: Rgb, width_px: f32) {
        self.c.stroke(path, col, 1.0, width_px / self.unit_px);
    }
}

/// Draw the plan's subject into `pix`, inside its subject box.
pub fn draw(pix: &mut Pixmap, plan: &Plan) {
    let (w, h) = (pix.width() as f32, pix.height() as f32);
    let b = plan.subject_box;
    let (bx, by, bw, bh) = (b.x * w, b.y * h, b.w * w, b.h * h);
    let (Some(mask), Some(cover)) = (Mask::new(pix.width(), pix.height()), Mask::new(pix.width(), pix.height())) else {
        return;
    };
    let ts = Transform::from_row(bw, 0.0, 0.0, bh, bx, by);
    let mut d = Drawer { c: Canvas::new(pix), plan, body_mask: mask, cover_mask: cover, unit_px: bw.min(bh).max(1.0) };
    d.c.ts = ts;
    match plan.subject.class() {
        SubjectClass::Character => {
            limbs(&mut d, false);
            character(&mut d);
            limbs(&mut d, true);
        }
        SubjectClass::Product => product(&mut d),
    }
    // The pattern goes on the body, not on what covers it.
    let cover = d.cover_mask.data().to_vec();
    for (b, c) in d.body_mask.data_mut().iter_mut().zip(cover) {
        *b = ((*b as u16 * (255 - c as u16)) / 255) as u8;
    }
    pattern(d.c.pix, plan, &d.body_mask, bw.min(bh));
    if plan.subject.class() == SubjectClass::Character {
        face(&mut d);
        accessory_front(&mut d);
    }
}

/// The part of its unit box the subject's drawing covers (x0, y0, x1, y1),
/// measured by drawing it once at 128×128 — so a control region can be
/// filled by the subject itself rather than by its box.
pub fn unit_extent(plan: &Plan) -> (f32, f32, f32, f32) {
    let Some(mut pix) = Pixmap::new(128, 128) else { return (0.0, 0.0, 1.0, 1.0) };
    let mut p = plan.clone();
    p.subject_box = super::plan::Frac { x: 0.0, y: 0.0, w: 1.0, h: 1.0 };
    p.style = Style::FlatVector;
    draw(&mut pix, &p);
    let (mut x0, mut y0, mut x1, mut y1) = (128u32, 128u32, 0u32, 0u32);
    for (i, px) in pix.pixels().iter().enumerate() {
        if px.alpha() > 64 {
            let (x, y) = (i as u32 % 128, i as u32 / 128);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    if x0 > x1 {
        return (0.0, 0.0, 1.0, 1.0);
    }
    (x0 as f32 / 128.0, y0 as f32 / 128.0, (x1 + 1) as f32 / 128.0, (y1 + 1) as f32 / 128.0)
}

/// Where a character's head ends (unit y), the landmark an edge map's top
/// part is fitted to; products have none.
pub fn neck(plan: &Plan) -> Option<f32> {
    (plan.subject.class() == SubjectClass::Character).then(|| {
        let (_, hy, hr) = head(plan.subject);
        hy + hr * 0.95
    })
}

/// Where a character's head centre is in its unit box (products: the top
/// middle), the point a pose's head is matched to.
pub fn head_unit(plan: &Plan) -> (f32, f32) {
    match plan.subject.class() {
        SubjectClass::Character => {
            let (hx, hy, _) = head(plan.subject);
            (hx, hy)
        }
        SubjectClass::Product => (0.5, 0.15),
    }
}

/// Where the head is, per character (centre x, centre y, radius) in unit space.
fn head(s: Subject) -> (f32, f32, f32) {
    match s {
        Subject::Owl | Subject::Penguin => (0.5, 0.36, 0.26),
        Subject::Robot => (0.5, 0.26, 0.22),
        Subject::Rabbit => (0.5, 0.42, 0.22),
        _ => (0.5, 0.34, 0.24),
    }
}

fn character(d: &mut Drawer<'_>) {
    let (body, accent) = (d.plan.body, d.plan.accent);
    let s = d.plan.subject;
    let (hx, hy, hr) = head(s);
    if d.plan.accessory == Accessory::Cape {
        d.part(
            poly(&[(0.34, hy + hr * 0.9), (0.66, hy + hr * 0.9), (0.86, 0.98), (0.14, 0.98)]),
            d.plan.accessory_color,
        );
    }
    match s {
        Subject::Fox => {
            d.body(blob(&[(0.62, 0.8), (0.92, 0.55), (1.0, 0.8), (0.88, 0.98), (0.64, 0.95)]));
            d.part(ellipse(0.95, 0.62, 0.06, 0.07), WHITE);
            d.body(ellipse(0.5, 0.74, 0.25, 0.25));
            d.part(ellipse(0.5, 0.78, 0.14, 0.17), accent);
            d.body(poly(&[(0.3, 0.28), (0.33, 0.02), (0.47, 0.18)]));
            d.body(poly(&[(0.7, 0.28), (0.67, 0.02), (0.53, 0.18)]));
            d.part(poly(&[(0.34, 0.22), (0.35, 0.08), (0.43, 0.18)]), shade(body, -0.4));
            d.part(poly(&[(0.66, 0.22), (0.65, 0.08), (0.57, 0.18)]), shade(body, -0.4));
            d.body(ellipse(hx, hy, hr, hr * 0.92));
            d.part(poly(&[(0.36, 0.42), (0.64, 0.42), (0.5, 0.56)]), WHITE);
            d.part(ellipse(0.5, 0.53, 0.03, 0.022), DARK);
        }
        Subject::Cat => {
            d.line(curve((0.66, 0.9), (0.98, 0.85), (0.9, 0.5)), body, d.unit_px * 0.06);
            d.body(ellipse(0.5, 0.74, 0.24, 0.25));
            d.part(ellipse(0.5, 0.78, 0.12, 0.15), accent);
            d.body(poly(&[(0.3, 0.3), (0.3, 0.08), (0.45, 0.16)]));
            d.body(poly(&[(0.7, 0.3), (0.7, 0.08), (0.55, 0.16)]));
            d.body(ellipse(hx, hy, hr, hr * 0.88));
            d.part(ellipse(0.5, 0.44, 0.025, 0.018), [230, 120, 140]);
            for (y, dy) in [(0.44, -0.02), (0.46, 0.02)] {
                d.line(line(&[(0.28, y + dy), (0.42, y)]), DARK, 1.2);
                d.line(line(&[(0.72, y + dy), (0.58, y)]), DARK, 1.2);
            }
        }
        Subject::Owl => {
            d.body(ellipse(0.5, 0.6, 0.34, 0.4));
            d.part(ellipse(0.5, 0.7, 0.2, 0.24), shade(accent, 0.5));
            d.part(ellipse(0.2, 0.66, 0.1, 0.22), shade(body, -0.25));
            d.part(ellipse(0.8, 0.66, 0.1, 0.22), shade(body, -0.25));
            d.body(poly(&[(0.22, 0.26), (0.26, 0.08), (0.38, 0.22)]));
            d.body(poly(&[(0.78, 0.26), (0.74, 0.08), (0.62, 0.22)]));
            d.part(poly(&[(0.46, 0.44), (0.54, 0.44), (0.5, 0.52)]), accent);
            d.part(ellipse(0.42, 0.98, 0.05, 0.02), accent);
            d.part(ellipse(0.58, 0.98, 0.05, 0.02), accent);
        }
        Subject::Robot => {
            d.line(line(&[(0.5, 0.04), (0.5, 0.1)]), DARK, 2.0);
            d.part(ellipse(0.5, 0.04, 0.03, 0.03), accent);
            d.body(rounded(0.28, 0.08, 0.44, 0.36, 0.06));
            d.part(rounded(0.34, 0.18, 0.32, 0.14, 0.05), DARK);
            d.body(rounded(0.24, 0.46, 0.52, 0.4, 0.05));
            d.part(rounded(0.38, 0.54, 0.24, 0.14, 0.03), accent);
            // A pose's limbs replace the robot's own arms and legs.
            if !d.plan.limbs.iter().any(|l| l.arm) {
                d.body(rounded(0.12, 0.5, 0.1, 0.3, 0.04));
                d.body(rounded(0.78, 0.5, 0.1, 0.3, 0.04));
            }
            if !d.plan.limbs.iter().any(|l| !l.arm) {
                d.part(rect(0.32, 0.86, 0.12, 0.14), shade(body, -0.3));
                d.part(rect(0.56, 0.86, 0.12, 0.14), shade(body, -0.3));
            }
        }
        Subject::Bear => {
            d.body(ellipse(0.5, 0.74, 0.28, 0.26));
            d.part(ellipse(0.5, 0.78, 0.16, 0.16), accent);
            d.body(ellipse(0.3, 0.14, 0.09, 0.09));
            d.body(ellipse(0.7, 0.14, 0.09, 0.09));
            d.part(ellipse(0.3, 0.14, 0.045, 0.045), accent);
            d.part(ellipse(0.7, 0.14, 0.045, 0.045), accent);
            d.body(ellipse(hx, hy, hr * 1.05, hr * 0.95));
            d.part(ellipse(0.5, 0.45, 0.09, 0.07), shade(accent, 0.3));
            d.part(ellipse(0.5, 0.42, 0.03, 0.022), DARK);
        }
        Subject::Astronaut => {
            d.part(rounded(0.2, 0.46, 0.6, 0.36, 0.05), shade(body, -0.2));
            d.body(rounded(0.26, 0.44, 0.48, 0.42, 0.12));
            d.part(rect(0.42, 0.56, 0.16, 0.1), accent);
            d.body(rounded(0.3, 0.84, 0.14, 0.16, 0.04));
            d.body(rounded(0.56, 0.84, 0.14, 0.16, 0.04));
            d.body(ellipse(hx, hy, hr * 1.05, hr * 1.0));
            d.part(rounded(0.34, 0.24, 0.32, 0.2, 0.09), [40, 60, 90]);
            d.part(ellipse(0.42, 0.29, 0.04, 0.025), [200, 220, 255]);
        }
        Subject::Rabbit => {
            d.body(rounded(0.34, 0.0, 0.1, 0.34, 0.05));
            d.body(rounded(0.56, 0.0, 0.1, 0.34, 0.05));
            d.part(rounded(0.365, 0.04, 0.05, 0.26, 0.025), accent);
            d.part(rounded(0.585, 0.04, 0.05, 0.26, 0.025), accent);
            d.body(ellipse(0.5, 0.76, 0.24, 0.24));
            d.part(ellipse(0.74, 0.86, 0.06, 0.06), WHITE);
            d.body(ellipse(hx, hy, hr, hr * 0.9));
            d.part(ellipse(0.5, 0.5, 0.025, 0.02), accent);
        }
        Subject::Penguin => {
            d.body(ellipse(0.5, 0.6, 0.32, 0.4));
            d.part(ellipse(0.5, 0.66, 0.2, 0.3), WHITE);
            d.body(ellipse(0.18, 0.62, 0.07, 0.2));
            d.body(ellipse(0.82, 0.62, 0.07, 0.2));
            d.part(poly(&[(0.44, 0.42), (0.56, 0.42), (0.5, 0.5)]), accent);
            d.part(ellipse(0.4, 0.98, 0.07, 0.025), accent);
            d.part(ellipse(0.6, 0.98, 0.07, 0.025), accent);
        }
        _ => {}
    }
}

/// Where a limb hangs when nothing poses it (unit space): arms down beside
/// the body, legs straight below the hips.
fn rest(root: (f32, f32), arm: bool, n: usize) -> (f32, f32) {
    let (dx, dy) = if arm { (if root.0 < 0.5 { -0.04 } else { 0.04 }, 0.14) } else { (0.0, 0.12) };
    (root.0 + dx * n as f32, root.1 + dy * n as f32)
}

/// A pose's arms (`arms`) or legs, drawn along its joints: legs behind the
/// body, arms in front; each limb in the body's colour with a paw or foot
/// at its end. A limb follows its joints by the control's strength, from
/// hanging at rest (0) to on the skeleton (1).
fn limbs(d: &mut Drawer<'_>, arms: bool) {
    let b = d.plan.subject_box;
    let unit = |(x, y): (f32, f32)| ((x - b.x) / b.w.max(1e-3), (y - b.y) / b.h.max(1e-3));
    let limbs: Vec<_> = d.plan.limbs.iter().filter(|l| l.arm == arms).cloned().collect();
    for l in limbs {
        let joints: Vec<(f32, f32)> = l.joints.iter().map(|&j| unit(j)).collect();
        let root = joints[0];
        let placed: Vec<(f32, f32)> = joints
            .iter()
            .enumerate()
            .map(|(n, &(x, y))| {
                let (rx, ry) = rest(root, l.arm, n);
                (rx + (x - rx) * l.follow, ry + (y - ry) * l.follow)
            })
            .collect();
        let width = if l.arm { 0.085 } else { 0.11 };
        d.line(line(&placed), shade(d.plan.body, -0.08), width * d.unit_px);
        let (ex, ey) = placed[placed.len() - 1];
        let r = width * 0.75;
        d.part(ellipse(ex, ey, r, r * if l.arm { 1.0 } else { 0.7 }), shade(d.plan.body, -0.2));
    }
}

fn face(d: &mut Drawer<'_>) {
    let (hx, hy, hr) = head(d.plan.subject);
    if d.plan.subject == Subject::Robot {
        // The visor is the robot's face; its eyes glow in the accent colour.
        for ex in [hx - 0.07, hx + 0.07] {
            match d.plan.eyes {
                Eyes::Sleepy => d.line(line(&[(ex - 0.03, 0.25), (ex + 0.03, 0.25)]), d.plan.accent, 2.5),
                _ => d.part(ellipse(ex, 0.25, 0.03, 0.03), d.plan.accent),
            }
        }
        return;
    }
    if d.plan.subject == Subject::Astronaut {
        return;
    }
    let big = matches!(d.plan.subject, Subject::Owl);
    let (dx, ey) = (hr * if big { 0.45 } else { 0.4 }, hy - hr * 0.05);
    for ex in [hx - dx, hx + dx] {
        let r = hr * if big { 0.3 } else { 0.17 };
        match d.plan.eyes {
            Eyes::Round => {
                d.part(ellipse(ex, ey, r, r), WHITE);
                d.part(ellipse(ex, ey + r * 0.1, r * 0.55, r * 0.55), DARK);
            }
            Eyes::Sleepy => {
                d.part(ellipse(ex, ey, r, r * 0.6), WHITE);
                d.part(rect(ex - r, ey - r * 0.6, 2.0 * r, r * 0.6), d.plan.body);
                d.line(line(&[(ex - r, ey), (ex + r, ey)]), DARK, 2.0);
            }
            Eyes::Sparkly => {
                d.part(ellipse(ex, ey, r * 0.9, r), DARK);
                d.part(ellipse(ex - r * 0.3, ey - r * 0.35, r * 0.3, r * 0.3), WHITE);
                d.part(ellipse(ex + r * 0.3, ey + r * 0.3, r * 0.15, r * 0.15), WHITE);
            }
            Eyes::Dots => d.part(ellipse(ex, ey, r * 0.45, r * 0.45), DARK),
        }
    }
}

fn accessory_front(d: &mut Drawer<'_>) {
    let (hx, hy, hr) = head(d.plan.subject);
    let accent = d.plan.accessory_color;
    let neck = hy + hr * 0.9;
    match d.plan.accessory {
        Accessory::Scarf => {
            d.part(rounded(hx - hr * 0.85, neck - hr * 0.12, hr * 1.7, hr * 0.26, hr * 0.1), accent);
            d.part(rounded(hx + hr * 0.25, neck, hr * 0.28, hr * 0.8, hr * 0.1), shade(accent, -0.1));
        }
        Accessory::Hat => {
            d.part(ellipse(hx, hy - hr * 0.82, hr * 0.95, hr * 0.16), shade(accent, -0.2));
            d.part(rounded(hx - hr * 0.55, hy - hr * 1.6, hr * 1.1, hr * 0.8, hr * 0.08), accent);
        }
        Accessory::Glasses => {
            let dx = hr * 0.4;
            for ex in [hx - dx, hx + dx] {
                d.line(ellipse(ex, hy - hr * 0.05, hr * 0.25, hr * 0.22), accent, 2.5);
            }
            d.line(line(&[(hx - dx + hr * 0.25, hy - hr * 0.05), (hx + dx - hr * 0.25, hy - hr * 0.05)]), accent, 2.0);
        }
        Accessory::Bowtie => {
            let y = neck;
            d.part(poly(&[(hx, y), (hx - hr * 0.45, y - hr * 0.22), (hx - hr * 0.45, y + hr * 0.22)]), accent);
            d.part(poly(&[(hx, y), (hx + hr * 0.45, y - hr * 0.22), (hx + hr * 0.45, y + hr * 0.22)]), accent);
            d.part(ellipse(hx, y, hr * 0.1, hr * 0.1), shade(accent, -0.2));
        }
        Accessory::Crown => {
            let (top, base) = (hy - hr * 1.45, hy - hr * 0.8);
            let xs = [hx - hr * 0.6, hx - hr * 0.3, hx, hx + hr * 0.3, hx + hr * 0.6];
            d.part(
                poly(&[
                    (xs[0], base),
                    (xs[0], top),
                    (xs[1], base - hr * 0.3),
                    (xs[2], top),
                    (xs[3], base - hr * 0.3),
                    (xs[4], top),
                    (xs[4], base),
                ]),
                [230, 185, 50],
            );
        }
        Accessory::Cape | Accessory::None => {}
    }
}

fn product(d: &mut Drawer<'_>) {
    let (body, accent) = (d.plan.body, d.plan.accent);
    match d.plan.subject {
        Subject::Bottle => {
            d.body(rounded(0.3, 0.26, 0.4, 0.74, 0.1));
            d.body(rounded(0.42, 0.12, 0.16, 0.18, 0.03));
            d.part(rounded(0.4, 0.03, 0.2, 0.11, 0.03), accent);
            d.part(rect(0.3, 0.5, 0.4, 0.2), shade(accent, 0.2));
            d.part(rect(0.34, 0.3, 0.04, 0.5), shade(body, 0.45));
        }
        Subject::Sneaker => {
            d.body(blob(&[
                (0.08, 0.8),
                (0.12, 0.5),
                (0.32, 0.42),
                (0.5, 0.34),
                (0.66, 0.48),
                (0.9, 0.66),
                (0.94, 0.82),
            ]));
            d.part(rounded(0.04, 0.8, 0.93, 0.14, 0.06), WHITE);
            d.line(curve((0.24, 0.74), (0.5, 0.7), (0.78, 0.56)), accent, d.unit_px * 0.04);
            for k in 0..3 {
                let x = 0.42 + 0.07 * k as f32;
                d.line(line(&[(x, 0.44 + 0.04 * k as f32), (x + 0.06, 0.5 + 0.04 * k as f32)]), WHITE, 2.0);
            }
        }
        Subject::Mug => {
            d.line(ellipse(0.78, 0.6, 0.13, 0.17), body, d.unit_px * 0.06);
            d.body(rounded(0.16, 0.26, 0.58, 0.72, 0.08));
            d.part(rect(0.16, 0.46, 0.58, 0.1), accent);
            d.part(ellipse(0.45, 0.28, 0.27, 0.04), [90, 55, 35]);
        }
        Subject::Headphones => {
            d.line(curve((0.2, 0.62), (0.5, -0.25), (0.8, 0.62)), body, d.unit_px * 0.07);
            d.body(rounded(0.1, 0.5, 0.22, 0.4, 0.08));
            d.body(rounded(0.68, 0.5, 0.22, 0.4, 0.08));
            d.part(rounded(0.26, 0.56, 0.08, 0.28, 0.04), accent);
            d.part(rounded(0.66, 0.56, 0.08, 0.28, 0.04), accent);
        }
        Subject::Watch => {
            d.part(rounded(0.38, 0.0, 0.24, 1.0, 0.06), accent);
            d.body(ellipse(0.5, 0.5, 0.3, 0.3));
            d.part(ellipse(0.5, 0.5, 0.23, 0.23), WHITE);
            d.part(rect(0.79, 0.47, 0.05, 0.06), shade(body, -0.2));
            d.line(line(&[(0.5, 0.5), (0.5, 0.34)]), DARK, 2.5);
            d.line(line(&[(0.5, 0.5), (0.62, 0.56)]), DARK, 2.0);
        }
        Subject::Chair => {
            for (x0, x1) in [(0.24, 0.2), (0.76, 0.8)] {
                d.line(line(&[(x0, 0.64), (x1, 1.0)]), shade(body, -0.4), d.unit_px * 0.04);
            }
            d.body(rounded(0.24, 0.04, 0.52, 0.52, 0.08));
            d.part(rounded(0.16, 0.52, 0.68, 0.14, 0.05), accent);
        }
        Subject::Lamp => {
            d.part(ellipse(0.5, 0.95, 0.22, 0.05), accent);
            d.line(line(&[(0.5, 0.93), (0.42, 0.5), (0.56, 0.32)]), accent, d.unit_px * 0.03);
            d.c.fill(
                ellipse(0.5, 0.62, 0.34, 0.3),
                &radial(0.5, 0.62, 0.34, &[(0.0, [255, 240, 180], 0.6), (1.0, [255, 240, 180], 0.0)]),
            );
            d.body(poly(&[(0.36, 0.12), (0.64, 0.12), (0.82, 0.42), (0.18, 0.42)]));
        }
        Subject::Backpack => {
            d.line(curve((0.38, 0.18), (0.5, 0.0), (0.62, 0.18)), shade(body, -0.3), d.unit_px * 0.04);
            d.body(rounded(0.2, 0.14, 0.6, 0.84, 0.14));
            d.part(rounded(0.3, 0.56, 0.4, 0.34, 0.06), accent);
            d.line(line(&[(0.3, 0.3), (0.7, 0.3)]), shade(body, -0.35), 2.0);
        }
        _ => {}
    }
}

/// Stripes, spots or checks over the body parts only.
fn pattern(pix: &mut Pixmap, plan: &Plan, mask: &Mask, size: f32) {
    if plan.pattern == Pattern::Plain || !plan.has("pattern") {
        return;
    }
    let col = shade(plan.body, if crate::imaging::color::to_hsl(plan.body).2 > 0.55 { -0.3 } else { 0.3 });
    let b = plan.subject_box;
    let (w, h) = (pix.width() as f32, pix.height() as f32);
    let (x0, y0, x1, y1) = (b.x * w, b.y * h, (b.x + b.w) * w, (b.y + b.h) * h);
    let step = (size * 0.11).max(4.0);
    let mut c = Canvas::new(pix);
    c.mask = Some(mask);
    match plan.pattern {
        Pattern::Stripes => {
            let mut y = y0;
            while y < y1 {
                c.fill_c(rect(x0, y, x1 - x0, step * 0.45), col, 0.9);
                y += step;
            }
        }
        Pattern::Spots => {
            let mut row = 0;
            let mut y = y0 + step * 0.5;
            while y < y1 {
                let mut x = x0 + if row % 2 == 0 { step * 0.5 } else { step };
                while x < x1 {
                    c.fill_c(ellipse(x, y, step * 0.22, step * 0.22), col, 0.9);
                    x += step;
                }
                y += step * 0.9;
                row += 1;
            }
        }
        Pattern::Checks => {
            let mut yi = 0;
            let mut y = y0;
            while y < y1 {
                let mut x = x0 + if yi % 2 == 0 { 0.0 } else { step * 0.5 };
                while x < x1 {
                    c.fill_c(rect(x, y, step * 0.5, step * 0.5), col, 0.6);
                    x += step;
                }
                y += step * 0.5;
                yi += 1;
            }
        }
        Pattern::Plain => {}
    }
}
