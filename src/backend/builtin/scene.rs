//! Backgrounds: sky and ground for the light, then the scene's elements.
//! Elements stay out of calm areas (copy space) and vanish when the negative
//! prompt names them.

use super::paint::*;
use super::plan::{Frac, Plan, Rgb};
use super::rng::Rng;
use crate::imaging::color::{mix, shade};
use crate::recipe::vocab::{Lighting, Scene};

/// Sky gradient (top, bottom) and a light colour for a lighting.
pub fn sky(l: Lighting) -> (Rgb, Rgb, Rgb) {
    match l {
        Lighting::Sunrise => ([246, 170, 160], [253, 226, 170], [255, 214, 170]),
        Lighting::Noon => ([92, 180, 245], [214, 238, 252], [255, 252, 235]),
        Lighting::GoldenHour => ([250, 150, 80], [255, 214, 150], [255, 200, 120]),
        Lighting::Night => ([12, 22, 54], [38, 56, 98], [170, 190, 255]),
        Lighting::Neon => ([26, 10, 48], [70, 20, 96], [255, 80, 200]),
        Lighting::Overcast => ([160, 170, 180], [210, 215, 220], [230, 232, 235]),
        Lighting::Soft => ([236, 236, 234], [250, 250, 248], [255, 255, 255]),
    }
}

/// Multiply factors that tint the whole picture for a lighting.
pub fn grade(l: Lighting) -> [f32; 3] {
    match l {
        Lighting::Sunrise => [1.03, 0.97, 0.95],
        Lighting::Noon => [1.0, 1.0, 1.0],
        Lighting::GoldenHour => [1.06, 0.96, 0.84],
        Lighting::Night => [0.55, 0.62, 0.85],
        Lighting::Neon => [0.85, 0.7, 1.0],
        Lighting::Overcast => [0.94, 0.95, 0.97],
        Lighting::Soft => [1.0, 1.0, 1.0],
    }
}

struct Ctx<'p> {
    w: f32,
    h: f32,
    plan: &'p Plan,
    rng: Rng,
}

impl Ctx<'_> {
    /// Whether an element with this pixel box may be drawn (not in a calm area).
    fn free(&self, x: f32, y: f32, w: f32, h: f32) -> bool {
        let f = Frac { x: x / self.w, y: y / self.h, w: w / self.w, h: h / self.h };
        !self.plan.calm.iter().any(|c| c.intersects(&f))
    }
}

pub fn draw(c: &mut Canvas<'_>, plan: &Plan, w: u32, h: u32) {
    let mut x = Ctx { w: w as f32, h: h as f32, plan, rng: Rng::new(plan.detail_seed) };
    let (top, bottom, light) = sky(plan.lighting);
    let hy = plan.horizon * x.h;
    c.fill(rect(0.0, 0.0, x.w, x.h), &linear(0.0, 0.0, 0.0, hy, &[(0.0, top, 1.0), (1.0, bottom, 1.0)]));
    match plan.scene {
        Scene::Beach => beach(c, &mut x, hy, light),
        Scene::Forest => forest(c, &mut x, hy),
        Scene::CityStreet => city(c, &mut x, hy, false),
        Scene::NightCity => city(c, &mut x, hy, true),
        Scene::Studio => studio(c, &mut x, hy),
        Scene::Kitchen => kitchen(c, &mut x, hy),
        Scene::Mountains => mountains(c, &mut x, hy),
        Scene::Snow => snow(c, &mut x, hy),
        Scene::Desert => desert(c, &mut x, hy, light),
        Scene::Office => office(c, &mut x, hy),
        Scene::Park => park(c, &mut x, hy),
        Scene::Space => space(c, &mut x, hy),
    }
    if plan.has("shadow") && plan.scene != Scene::Space {
        let b = plan.subject_box;
        let (sx, sy, sw) = ((b.x + b.w / 2.0) * x.w, (b.y + b.h) * x.h, b.w * x.w);
        c.fill(
            ellipse(sx, sy - sw * 0.02, sw * 0.48, sw * 0.07),
            &radial(sx, sy, sw * 0.5, &[(0.0, [0, 0, 0], 0.28), (1.0, [0, 0, 0], 0.0)]),
        );
    }
}

fn celestial(c: &mut Canvas<'_>, x: &mut Ctx<'_>, light: Rgb) {
    let night = matches!(x.plan.lighting, Lighting::Night | Lighting::Neon);
    let r = x.w.min(x.h) * 0.07;
    let cx = x.w * x.rng.range(0.12, 0.88);
    let cy = x.h * x.rng.range(0.1, 0.22);
    if !x.free(cx - r, cy - r, 2.0 * r, 2.0 * r) {
        return;
    }
    if night && x.plan.has("moon") {
        c.fill_c(ellipse(cx, cy, r * 0.8, r * 0.8), [240, 240, 220], 1.0);
    } else if !night && x.plan.has("sun") && x.plan.lighting != Lighting::Overcast {
        c.fill(ellipse(cx, cy, r * 2.2, r * 2.2), &radial(cx, cy, r * 2.2, &[(0.0, light, 0.5), (1.0, light, 0.0)]));
        c.fill_c(ellipse(cx, cy, r, r), shade(light, 0.3), 1.0);
    }
}

fn clouds(c: &mut Canvas<'_>, x: &mut Ctx<'_>, n: usize) {
    if !x.plan.has("clouds") || matches!(x.plan.lighting, Lighting::Night | Lighting::Neon) {
        return;
    }
    for _ in 0..n {
        let cw = x.w * x.rng.range(0.12, 0.22);
        let cx = x.rng.range(0.0, x.w - cw);
        let cy = x.h * x.rng.range(0.06, 0.3);
        if !x.free(cx, cy - cw * 0.2, cw, cw * 0.4) {
            continue;
        }
        let col = if x.plan.lighting == Lighting::Overcast { [200, 205, 210] } else { [255, 255, 255] };
        for k in 0..3 {
            let fx = cx + cw * (0.25 + 0.25 * k as f32);
            let r = cw * if k == 1 { 0.22 } else { 0.16 };
            c.fill_c(ellipse(fx, cy, r, r * 0.8), col, 0.9);
        }
    }
}

fn stars(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32, n: usize) {
    if !x.plan.has("stars") || !matches!(x.plan.lighting, Lighting::Night | Lighting::Neon) {
        return;
    }
    for _ in 0..n {
        let sx = x.rng.range(0.0, x.w);
        let sy = x.rng.range(0.0, hy * 0.8);
        let r = x.w.min(x.h) * x.rng.range(0.002, 0.005);
        if x.free(sx - r, sy - r, 2.0 * r, 2.0 * r) {
            c.fill_c(ellipse(sx, sy, r, r), [255, 255, 230], 0.9);
        }
    }
}

fn ground(c: &mut Canvas<'_>, x: &Ctx<'_>, hy: f32, near: Rgb, far: Rgb) {
    c.fill(rect(0.0, hy, x.w, x.h - hy), &linear(0.0, hy, 0.0, x.h, &[(0.0, far, 1.0), (1.0, near, 1.0)]));
}

fn tree(c: &mut Canvas<'_>, x: &Ctx<'_>, tx: f32, base: f32, size: f32, leaf: Rgb, round: bool) {
    if !x.plan.has("trees") || !x.free(tx - size * 0.4, base - size, size * 0.8, size) {
        return;
    }
    c.fill_c(rect(tx - size * 0.05, base - size * 0.35, size * 0.1, size * 0.35), [110, 75, 45], 1.0);
    if round {
        c.fill_c(ellipse(tx, base - size * 0.6, size * 0.32, size * 0.36), leaf, 1.0);
    } else {
        c.fill_c(
            poly(&[(tx, base - size), (tx - size * 0.34, base - size * 0.25), (tx + size * 0.34, base - size * 0.25)]),
            leaf,
            1.0,
        );
    }
}

fn beach(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32, light: Rgb) {
    celestial(c, x, light);
    clouds(c, x, 3);
    let sea_end = hy + (x.h - hy) * 0.35;
    if x.plan.has("waves") {
        c.fill(
            rect(0.0, hy, x.w, sea_end - hy),
            &linear(0.0, hy, 0.0, sea_end, &[(0.0, [40, 120, 180], 1.0), (1.0, [90, 190, 210], 1.0)]),
        );
        for i in 0..4 {
            let y = hy + (sea_end - hy) * (0.25 + 0.2 * i as f32);
            let x0 = x.rng.range(0.0, x.w * 0.6);
            let len = x.w * x.rng.range(0.1, 0.25);
            if x.free(x0, y - 2.0, len, 4.0) {
                c.stroke(line(&[(x0, y), (x0 + len, y)]), [230, 245, 250], 0.8, (x.h * 0.004).max(1.0));
            }
        }
        ground(c, x, sea_end, [240, 215, 160], [232, 205, 150]);
    } else {
        ground(c, x, hy, [240, 215, 160], [232, 205, 150]);
    }
}

fn forest(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    clouds(c, x, 2);
    ground(c, x, hy, [70, 130, 60], [95, 150, 80]);
    for row in 0..2 {
        let n = 7 - row * 2;
        for i in 0..n {
            let size = x.h * x.rng.range(0.22, 0.34) * (1.0 + row as f32 * 0.35);
            let tx = x.w * (i as f32 + x.rng.range(0.1, 0.9)) / n as f32;
            let leaf = if row == 0 { [60, 120, 70] } else { [40, 100, 55] };
            tree(c, x, tx, hy + row as f32 * x.h * 0.04, size, leaf, false);
        }
    }
}

fn city(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32, night: bool) {
    if night {
        stars(c, x, hy, 40);
        celestial(c, x, [255, 255, 255]);
    } else {
        clouds(c, x, 2);
    }
    let mut bx = 0.0;
    while bx < x.w {
        let bw = x.w * x.rng.range(0.08, 0.16);
        let bh = (hy) * x.rng.range(0.3, 0.75);
        let top = hy - bh;
        if x.plan.has("buildings") && x.free(bx, top, bw, bh) {
            let col = if night {
                [30 + x.rng.below(20) as u8, 32, 60]
            } else {
                mix([150, 160, 175], [200, 190, 180], x.rng.unit())
            };
            c.fill_c(rect(bx, top, bw - 2.0, bh), col, 1.0);
            if x.plan.has("windows") {
                let ww = bw * 0.16;
                let mut wy = top + bw * 0.15;
                while wy < hy - ww * 2.0 {
                    for k in 0..3 {
                        let wx = bx + bw * (0.15 + 0.27 * k as f32);
                        let lit = x.rng.chance(if night { 0.55 } else { 0.0 });
                        let wc = if lit {
                            [255, 220, 120]
                        } else if night {
                            [45, 50, 80]
                        } else {
                            [210, 225, 240]
                        };
                        c.fill_c(rect(wx, wy, ww, ww * 1.3), wc, 1.0);
                    }
                    wy += ww * 2.2;
                }
            }
        }
        bx += bw;
    }
    let road = if night { [40, 40, 52] } else { [120, 120, 126] };
    ground(c, x, hy, road, shade(road, 0.15));
    let sidewalk = if night { [60, 60, 75] } else { [185, 180, 175] };
    c.fill_c(rect(0.0, hy, x.w, (x.h - hy) * 0.18), sidewalk, 1.0);
    if x.plan.lighting == Lighting::Neon || night {
        for i in 0..3 {
            let sx = x.w * (0.15 + 0.35 * i as f32);
            let sy = hy * 0.55;
            if x.free(sx, sy, x.w * 0.1, x.h * 0.05) && x.plan.has("clutter") {
                let col = if i % 2 == 0 { [255, 60, 200] } else { [60, 230, 255] };
                c.stroke(rounded(sx, sy, x.w * 0.1, x.h * 0.05, 4.0), col, 0.9, (x.h * 0.006).max(1.0));
            }
        }
    }
}

fn studio(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    // A seamless backdrop: neutral, tinted by a reference's light colour in proportion to its weight.
    let base = x.plan.leak.map_or([232, 230, 226], |(c, t)| mix([240, 240, 238], c, t));
    c.fill(
        rect(0.0, 0.0, x.w, x.h),
        &radial(
            x.w * 0.5,
            hy * 0.7,
            x.w.max(x.h) * 0.8,
            &[(0.0, shade(base, 0.35), 1.0), (1.0, shade(base, -0.08), 1.0)],
        ),
    );
    c.fill(
        rect(0.0, hy, x.w, x.h - hy),
        &linear(
            0.0,
            hy - x.h * 0.05,
            0.0,
            x.h,
            &[(0.0, shade(base, 0.2), 0.0), (0.4, shade(base, 0.1), 0.6), (1.0, shade(base, -0.05), 1.0)],
        ),
    );
}

fn kitchen(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    c.fill_c(rect(0.0, 0.0, x.w, hy), [236, 228, 214], 1.0);
    let tile = x.w / 16.0;
    if x.plan.has("clutter") {
        let mut ty = hy * 0.45;
        while ty < hy {
            let mut tx = 0.0;
            while tx < x.w {
                if x.free(tx, ty, tile, tile) {
                    c.stroke(rect(tx, ty, tile, tile), [210, 200, 185], 1.0, 1.0);
                }
                tx += tile;
            }
            ty += tile;
        }
        for i in 0..3 {
            let cx = x.w * (0.05 + 0.33 * i as f32);
            if x.free(cx, hy * 0.05, x.w * 0.28, hy * 0.3) {
                c.fill_c(rounded(cx, hy * 0.05, x.w * 0.28, hy * 0.3, 4.0), [160, 190, 180], 1.0);
                c.fill_c(ellipse(cx + x.w * 0.14, hy * 0.3, x.w * 0.01, x.w * 0.01), [90, 90, 90], 1.0);
            }
        }
    }
    ground(c, x, hy, [190, 160, 120], [205, 178, 140]);
    c.fill_c(rect(0.0, hy, x.w, x.h * 0.02), [150, 120, 90], 1.0);
}

fn mountains(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    celestial(c, x, sky(x.plan.lighting).2);
    clouds(c, x, 2);
    for layer in 0..2 {
        let n = 3 + layer;
        for i in 0..n {
            let mw = x.w * x.rng.range(0.35, 0.6);
            let mx = x.w * (i as f32 + 0.5) / n as f32;
            let mh = hy * x.rng.range(0.35, 0.6) * (1.0 - 0.25 * layer as f32);
            let col = if layer == 0 { [110, 120, 150] } else { [80, 95, 120] };
            let peak = (mx, hy - mh);
            if x.free(mx - mw / 2.0, hy - mh, mw, mh * 0.3) {
                c.fill_c(poly(&[(mx - mw / 2.0, hy), peak, (mx + mw / 2.0, hy)]), col, 1.0);
                let cap = 0.28;
                c.fill_c(
                    poly(&[
                        (peak.0 - mw / 2.0 * cap, hy - mh * (1.0 - cap)),
                        peak,
                        (peak.0 + mw / 2.0 * cap, hy - mh * (1.0 - cap)),
                    ]),
                    [245, 248, 252],
                    1.0,
                );
            }
        }
    }
    ground(c, x, hy, [90, 140, 80], [120, 160, 100]);
}

fn snow(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    ground(c, x, hy, [245, 248, 252], [228, 235, 245]);
    for i in 0..5 {
        let tx = x.w * (i as f32 + x.rng.range(0.2, 0.8)) / 5.0;
        let size = x.h * x.rng.range(0.2, 0.3);
        tree(c, x, tx, hy, size, [50, 100, 80], false);
    }
    if x.plan.has("snowflakes") {
        for _ in 0..60 {
            let (sx, sy) = (x.rng.range(0.0, x.w), x.rng.range(0.0, x.h));
            let r = x.w.min(x.h) * x.rng.range(0.003, 0.007);
            if x.free(sx - r, sy - r, 2.0 * r, 2.0 * r) {
                c.fill_c(ellipse(sx, sy, r, r), [255, 255, 255], 0.9);
            }
        }
    }
}

fn desert(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32, light: Rgb) {
    celestial(c, x, light);
    ground(c, x, hy, [225, 175, 110], [235, 195, 130]);
    for i in 0..3 {
        let dx = x.w * (i as f32 * 0.4 - 0.1);
        let dw = x.w * 0.6;
        if x.free(dx, hy - x.h * 0.05, dw, x.h * 0.08) {
            c.fill_c(ellipse(dx + dw / 2.0, hy + x.h * 0.02, dw / 2.0, x.h * 0.06), [215, 165, 100], 1.0);
        }
    }
    if x.plan.has("plants") {
        for _ in 0..2 {
            let cx = x.rng.range(0.05, 0.95) * x.w;
            let ch = x.h * 0.18;
            if x.free(cx - ch * 0.3, hy - ch, ch * 0.6, ch) {
                c.fill_c(rounded(cx - ch * 0.08, hy - ch, ch * 0.16, ch, ch * 0.08), [70, 140, 80], 1.0);
                c.fill_c(rounded(cx - ch * 0.3, hy - ch * 0.7, ch * 0.12, ch * 0.35, ch * 0.06), [70, 140, 80], 1.0);
                c.fill_c(rounded(cx + ch * 0.18, hy - ch * 0.8, ch * 0.12, ch * 0.35, ch * 0.06), [70, 140, 80], 1.0);
            }
        }
    }
}

fn office(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    c.fill_c(rect(0.0, 0.0, x.w, hy), [228, 232, 236], 1.0);
    let (wx, wy, ww, wh) = (x.w * 0.08, x.h * 0.1, x.w * 0.3, hy * 0.5);
    if x.plan.has("windows") && x.free(wx, wy, ww, wh) {
        c.fill(
            rect(wx, wy, ww, wh),
            &linear(0.0, wy, 0.0, wy + wh, &[(0.0, [150, 200, 240], 1.0), (1.0, [210, 235, 250], 1.0)]),
        );
        c.stroke(rect(wx, wy, ww, wh), [120, 125, 130], 1.0, (x.w * 0.006).max(1.0));
        c.stroke(line(&[(wx + ww / 2.0, wy), (wx + ww / 2.0, wy + wh)]), [120, 125, 130], 1.0, (x.w * 0.004).max(1.0));
    }
    ground(c, x, hy, [150, 150, 160], [170, 170, 178]);
    let (px, ph) = (x.w * 0.85, x.h * 0.22);
    if x.plan.has("plants") && x.free(px - ph * 0.3, hy - ph, ph * 0.6, ph) {
        c.fill_c(rect(px - ph * 0.12, hy - ph * 0.3, ph * 0.24, ph * 0.3), [200, 110, 80], 1.0);
        for k in 0..5 {
            let a = -1.2 + 0.6 * k as f32;
            c.fill_c(ellipse(px + a * ph * 0.12, hy - ph * 0.55, ph * 0.08, ph * 0.25), [70, 140, 80], 1.0);
        }
    }
}

fn park(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    celestial(c, x, sky(x.plan.lighting).2);
    clouds(c, x, 3);
    ground(c, x, hy, [110, 180, 90], [140, 200, 110]);
    for i in 0..4 {
        let tx = x.w * (i as f32 + x.rng.range(0.1, 0.9)) / 4.0;
        let size = x.h * x.rng.range(0.25, 0.35);
        tree(c, x, tx, hy, size, [80, 160, 80], true);
    }
    if x.plan.has("plants") {
        for _ in 0..10 {
            let (fx, fy) = (x.rng.range(0.0, x.w), x.rng.range(hy + 4.0, x.h));
            let r = x.w.min(x.h) * 0.008;
            if x.free(fx - r, fy - r, 2.0 * r, 2.0 * r) {
                c.fill_c(ellipse(fx, fy, r, r), [250, 240, 120], 1.0);
            }
        }
    }
}

fn space(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32) {
    c.fill(rect(0.0, 0.0, x.w, x.h), &linear(0.0, 0.0, 0.0, x.h, &[(0.0, [8, 8, 24], 1.0), (1.0, [30, 20, 60], 1.0)]));
    if x.plan.has("stars") {
        for _ in 0..80 {
            let (sx, sy) = (x.rng.range(0.0, x.w), x.rng.range(0.0, x.h));
            let r = x.w.min(x.h) * x.rng.range(0.0015, 0.004);
            if x.free(sx - r, sy - r, 2.0 * r, 2.0 * r) {
                c.fill_c(ellipse(sx, sy, r, r), [255, 255, 240], 0.9);
            }
        }
    }
    let (pr, px, py) = (x.w.min(x.h) * 0.12, x.w * x.rng.range(0.15, 0.85), x.h * 0.2);
    if x.free(px - pr, py - pr, 2.0 * pr, 2.0 * pr) && x.plan.has("moon") {
        c.fill(
            ellipse(px, py, pr, pr),
            &radial(px - pr * 0.3, py - pr * 0.3, pr * 1.4, &[(0.0, [250, 170, 110], 1.0), (1.0, [150, 70, 90], 1.0)]),
        );
    }
    c.fill(
        ellipse(x.w * 0.5, hy + x.h * 0.6, x.w * 0.9, x.h * 0.62),
        &linear(0.0, hy, 0.0, x.h, &[(0.0, [170, 170, 180], 1.0), (1.0, [110, 110, 125], 1.0)]),
    );
}
