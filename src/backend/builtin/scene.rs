//! Backgrounds: sky and ground for the light, then the scene's elements.
//! Elements stay out of calm areas (copy space) and vanish when the negative
//! prompt names them. A seg map's scenery classes are painted where they
//! are; a depth map scales, spreads and hazes the scenery by its depth.

#![allow(clippy::needless_range_loop)] // pixel kernels index several buffers in step

use tiny_skia::Pixmap;

use super::control::{DepthGuide, Guide, SegGuide};
use super::paint::*;
use super::plan::{Frac, Plan, Rgb};
use super::rng::{self, Rng, hash};
use crate::imaging::color::{mix, shade};
use crate::imaging::control_maps::{SEG_CLASSES, SegRole};
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
    depth: Option<&'p DepthGuide>,
    /// Elements drawn after the aerial-perspective pass take their own haze.
    hazed: bool,
}

impl Ctx<'_> {
    /// Whether an element with this pixel box may be drawn (not in a calm area).
    fn free(&self, x: f32, y: f32, w: f32, h: f32) -> bool {
        let f = Frac { x: x / self.w, y: y / self.h, w: w / self.w, h: h / self.h };
        !self.plan.calm.iter().any(|c| c.intersects(&f))
    }

    /// How large a thing standing at this pixel is drawn: 1 without a depth
    /// map; with one, its apparent size at the map's depth there.
    fn scale_at(&self, x: f32, y: f32) -> f32 {
        self.depth.map_or(1.0, |d| d.scale(d.at(x / self.w, y / self.h)))
    }

    /// A colour seen through the air between the viewer and a thing
    /// standing at this pixel (see [`aerial_perspective`]).
    fn through_air(&self, c: Rgb, x: f32, y: f32) -> Rgb {
        match self.depth {
            Some(d) if self.hazed => {
                let far = 1.0 - d.at(x / self.w, y / self.h);
                mix(c, sky(self.plan.lighting).1, d.t * HAZE * air(self.plan.scene) * far.powf(1.5))
            }
            _ => c,
        }
    }

    fn indoor(&self) -> bool {
        matches!(self.plan.scene, Scene::Studio | Scene::Kitchen | Scene::Office)
    }
}

pub fn draw(c: &mut Canvas<'_>, plan: &Plan, w: u32, h: u32, guide: &Guide) {
    let depth = guide.depth.as_ref();
    let mut x = Ctx { w: w as f32, h: h as f32, plan, rng: Rng::new(plan.detail_seed), depth, hazed: false };
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
    if let Some(d) = depth {
        ground_texture(c, &mut x, hy, d);
    }
    if let Some(seg) = &guide.seg {
        seg_classes(c.pix, &mut x, seg);
    }
    if let Some(d) = depth {
        aerial_perspective(c.pix, &x, hy, d);
        // Scenery spread over the ground by depth (unless a seg map says
        // where scenery goes), each element hazed by the depth it stands at.
        if guide.seg.is_none() {
            x.hazed = true;
            depth_scenery(c, &mut x, hy, d);
        }
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
    let size = size * x.scale_at(tx, base);
    if !x.plan.has("trees") || !x.free(tx - size * 0.4, base - size, size * 0.8, size) {
        return;
    }
    let leaf = x.through_air(leaf, tx, base);
    c.fill_c(
        rect(tx - size * 0.05, base - size * 0.35, size * 0.1, size * 0.35),
        x.through_air([110, 75, 45], tx, base),
        1.0,
    );
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

// ---------------------------------------------------------------------------
// Depth: the scene laid out by a depth map.

/// How much air there is to see through: indoors little, in space none.
fn air(scene: Scene) -> f32 {
    match scene {
        Scene::Space => 0.0,
        Scene::Studio | Scene::Kitchen | Scene::Office => 0.4,
        _ => 1.0,
    }
}

/// Share of the horizon's colour a pixel at the far end of a depth map
/// takes (aerial perspective); indoors the air is thin, in space there is none.
const HAZE: f32 = 0.55;

/// A depth map marks the ground with texture whose size follows the depth
/// (small and dense far off, large near).
fn ground_texture(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32, d: &DepthGuide) {
    let marks = match x.plan.scene {
        Scene::Park | Scene::Forest | Scene::Mountains => Some(Mark::Tuft),
        Scene::Beach | Scene::Desert => Some(Mark::Ripple),
        Scene::Snow => Some(Mark::Drift),
        _ => None,
    };
    if let Some(mark) = marks {
        ground_marks(c, x, hy, d, mark);
    }
}

/// A depth map spreads the scene's free-standing scenery over the ground
/// at several depths — far rows small, near ones large and at the sides,
/// clear of the subject.
fn depth_scenery(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32, d: &DepthGuide) {
    let (leaf, round) = match x.plan.scene {
        Scene::Forest => ([40, 100, 55], false),
        Scene::Snow => ([50, 100, 80], false),
        Scene::Park => ([80, 160, 80], true),
        _ => return,
    };
    let sb = x.plan.subject_box;
    let clear = Frac { x: sb.x - 0.02, y: 0.0, w: sb.w + 0.04, h: 1.0 };
    for frac in [0.1f32, 0.3, 0.62, 0.95] {
        let base = hy + (x.h - hy) * frac;
        let size = x.h * 0.3;
        let step = size * x.scale_at(x.w / 2.0, base) * 0.75;
        let mut tx = x.rng.range(0.0, step);
        while tx < x.w {
            let s = size * x.scale_at(tx, base);
            let near_side = frac < 0.5 || tx < x.w * 0.16 || tx > x.w * 0.84;
            let f = Frac { x: (tx - s * 0.4) / x.w, y: 0.0, w: s * 0.8 / x.w, h: 1.0 };
            if near_side && !f.intersects(&clear) && x.rng.chance(d.t * 0.8) {
                let leaf = shade(leaf, x.rng.range(-0.08, 0.08));
                let at = base + x.rng.range(-0.01, 0.01) * x.h;
                tree(c, x, tx, at, size, leaf, round);
            }
            tx += step * x.rng.range(0.8, 1.25);
        }
    }
}

#[derive(Clone, Copy)]
enum Mark {
    Tuft,
    Ripple,
    Drift,
}

fn ground_marks(c: &mut Canvas<'_>, x: &mut Ctx<'_>, hy: f32, d: &DepthGuide, mark: Mark) {
    let mut y = hy + x.h * 0.01;
    while y < x.h {
        let row = x.h * 0.02 * x.scale_at(x.w / 2.0, y);
        let mut mx = x.rng.range(0.0, row * 3.0);
        while mx < x.w {
            let s = x.h * 0.02 * x.scale_at(mx, y);
            let my = y + x.rng.range(-0.4, 0.4) * row;
            if x.rng.chance(d.t * 0.85) && x.free(mx - s, my - s, 2.0 * s, 2.0 * s) {
                let under = c.pix.pixel(mx.clamp(0.0, x.w - 1.0) as u32, my.clamp(0.0, x.h - 1.0) as u32);
                let ground = under.map_or([128; 3], |p| [p.red(), p.green(), p.blue()]);
                let width = (s * 0.18).max(0.8);
                match mark {
                    Mark::Tuft => {
                        let col = shade(ground, -0.22);
                        for k in [-1.0f32, 0.0, 1.0] {
                            c.stroke(line(&[(mx + k * s * 0.15, my), (mx + k * s * 0.45, my - s)]), col, 0.9, width);
                        }
                    }
                    Mark::Ripple => {
                        let col = shade(ground, -0.1);
                        c.stroke(curve((mx - s, my), (mx, my - s * 0.25), (mx + s, my)), col, 0.6, width);
                    }
                    Mark::Drift => {
                        c.fill_c(ellipse(mx, my, s * 1.3, s * 0.22), mix(ground, [150, 170, 205], 0.3), 0.5);
                    }
                }
            }
            mx += row * x.rng.range(2.4, 3.6);
        }
        y += row * 1.3;
    }
}

/// Aerial perspective: the farther a pixel is on the depth map, the more it
/// takes the colour of the sky behind it at the horizon and the softer its
/// detail; near pixels stay crisp and saturated. Drawn before the subject.
fn aerial_perspective(pix: &mut Pixmap, x: &Ctx<'_>, hy: f32, d: &DepthGuide) {
    let air = air(x.plan.scene);
    let (w, h) = (pix.width() as usize, pix.height() as usize);
    let (top, bottom, _) = sky(x.plan.lighting);
    let mut soft = super::effects::Buf::from_rgba(pix.data(), w, h);
    super::effects::box_blur(&mut soft, ((w.min(h) as f32) * 0.004).round().max(1.0) as usize);
    let data = pix.data_mut();
    for y in 0..h {
        let fy = (y as f32 + 0.5) / h as f32;
        let t = ((y as f32) / hy.max(1.0)).min(1.0);
        let behind: [f32; 3] =
            std::array::from_fn(|k| f32::from(top[k]) + (f32::from(bottom[k]) - f32::from(top[k])) * t);
        for xx in 0..w {
            let far = 1.0 - d.at((xx as f32 + 0.5) / w as f32, fy);
            let (blur, haze) = (d.t * far * 0.85, d.t * HAZE * air * far.powf(1.5));
            let i = y * w + xx;
            for k in 0..3 {
                let v = f32::from(data[i * 4 + k]);
                let v = v + (soft.px[i][k] - v) * blur;
                data[i * 4 + k] = super::effects::byte(v + (behind[k] - v) * haze);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Segmentation: each scenery class painted where its colour is.

/// One class's region at the render's size: coverage per pixel (soft at
/// the edge, shrunk by a loose weight), its box and per column its extent.
struct Region {
    w: usize,
    alpha: Vec<f32>,
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    top: Vec<f32>,
    bottom: Vec<f32>,
}

impl Region {
    fn new(alpha: Vec<f32>, w: usize, h: usize) -> Option<Region> {
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let (mut top, mut bottom) = (vec![f32::NAN; w], vec![f32::NAN; w]);
        for y in 0..h {
            for x in 0..w {
                if alpha[y * w + x] > 0.0 {
                    (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                    if top[x].is_nan() {
                        top[x] = y as f32;
                    }
                    bottom[x] = y as f32 + 1.0;
                }
            }
        }
        (x0 <= x1).then_some(Region { w, alpha, x0, y0, x1, y1, top, bottom })
    }

    fn inside(&self, x: f32, y: f32) -> bool {
        let (xi, yi) = (x.round() as isize, y.round() as isize);
        xi >= 0
            && yi >= 0
            && (xi as usize) < self.w
            && self.alpha.get(yi as usize * self.w + xi as usize).is_some_and(|a| *a > 0.0)
    }

    /// How far down the region a pixel is: 0 at its top, 1 at its bottom
    /// (over the whole region, so neighbouring columns match).
    fn down(&self, _x: usize, y: usize) -> f32 {
        ((y as f32 - self.y0 as f32) / (self.y1 - self.y0).max(1) as f32).clamp(0.0, 1.0)
    }

    fn size(&self) -> (f32, f32) {
        ((self.x1 + 1 - self.x0) as f32, (self.y1 + 1 - self.y0) as f32)
    }
}

/// Pixels of a region shrink by this share of the image's short side at
/// weight 0 (a loosely followed map puts each class roughly where it is).
const SEG_LOOSENESS: f32 = 0.1;

/// How far (share of the short side) tree crowns may rise past their
/// region's edge.
const TREELINE: f32 = 0.03;

/// Each scenery, ground and backdrop class of the map is painted where its
/// colour is, as that class: trees, mountains, water, grass, sand, road,
/// buildings … in the scene's light and style (the style and grade passes
/// come after). Indoors, wall and floor are the scene's own.
fn seg_classes(pix: &mut Pixmap, x: &mut Ctx<'_>, seg: &SegGuide) {
    if seg.t <= 0.0 {
        return;
    }
    let (w, h) = (pix.width() as usize, pix.height() as usize);
    let mut classes: Vec<Option<u8>> =
        (0..w * h).map(|i| seg.at(((i % w) as f32 + 0.5) / w as f32, ((i / w) as f32 + 0.5) / h as f32)).collect();
    behind_subject(&mut classes, w, h, (x.plan.horizon * h as f32) as usize);
    let shrink = (1.0 - seg.t) * SEG_LOOSENESS * w.min(h) as f32;
    for (k, &(name, _, _, role)) in SEG_CLASSES.iter().enumerate() {
        if !matches!(role, SegRole::Scenery | SegRole::Ground | SegRole::Backdrop)
            || (x.indoor() && matches!(name, "wall" | "floor"))
        {
            continue;
        }
        let here = classes.iter().filter(|c| **c == Some(k as u8)).count();
        if here * 400 < w * h {
            continue;
        }
        let dist = super::effects::chamfer(classes.iter().map(|c| *c != Some(k as u8)), w, h);
        let alpha: Vec<f32> = dist.iter().map(|d| ((d - shrink) / 1.5).clamp(0.0, 1.0)).collect();
        let Some(r) = Region::new(alpha, w, h) else { continue };
        let Some(mut layer) = Pixmap::new(w as u32, h as u32) else { return };
        let mut rng = Rng::new(hash(&[b"seg", &x.plan.detail_seed.to_le_bytes(), name.as_bytes()]));
        paint_class(&mut layer, x, &r, name, &mut rng);
        // Crowns may rise a little past the region's edge (a treeline, not a cut).
        let reach = if matches!(name, "tree" | "plant") {
            let out = super::effects::chamfer(r.alpha.iter().map(|a| *a > 0.0), w, h);
            let margin = w.min(h) as f32 * TREELINE;
            let alpha = r.alpha.iter().zip(&out).map(|(a, d)| a.max(((margin - d) / 1.5).clamp(0.0, 1.0))).collect();
            Region::new(alpha, w, h)
        } else {
            None
        };
        composite(pix, &layer, reach.as_ref().unwrap_or(&r));
    }
}

/// Behind the subject the scene goes on: each subject-class pixel takes
/// the class of the nearest other pixel above it when it is above the
/// horizon (sky, backdrop, scenery behind a standing subject), below it
/// when under the horizon (the ground it stands on), else the other way.
fn behind_subject(classes: &mut [Option<u8>], w: usize, h: usize, horizon: usize) {
    let subject = |c: Option<u8>| c.is_some_and(|k| SEG_CLASSES[k as usize].3 == SegRole::Subject);
    for x in 0..w {
        let at = |y: usize| y * w + x;
        let mut above: Vec<Option<Option<u8>>> = vec![None; h];
        let mut last = None;
        for y in 0..h {
            if subject(classes[at(y)]) {
                above[y] = last;
            } else {
                last = Some(classes[at(y)]);
            }
        }
        let mut below = None;
        for y in (0..h).rev() {
            if !subject(classes[at(y)]) {
                below = Some(classes[at(y)]);
                continue;
            }
            let (first, second) = if y < horizon { (above[y], below) } else { (below, above[y]) };
            classes[at(y)] = first.or(second).flatten();
        }
    }
}

fn composite(pix: &mut Pixmap, layer: &Pixmap, r: &Region) {
    let w = r.w;
    let (dst, src) = (pix.data_mut(), layer.data());
    for y in r.y0..=r.y1 {
        for x in r.x0..=r.x1 {
            let i = y * w + x;
            let a = r.alpha[i];
            if a <= 0.0 {
                continue;
            }
            let sa = f32::from(src[i * 4 + 3]) / 255.0 * a;
            for k in 0..3 {
                let v = f32::from(src[i * 4 + k]) * a + f32::from(dst[i * 4 + k]) * (1.0 - sa);
                dst[i * 4 + k] = super::effects::byte(v);
            }
        }
    }
}

/// Per-pixel fill of a region: `colour(x, y, down)` with `down` 0 at the
/// region's top and 1 at its bottom.
fn fill_region(layer: &mut Pixmap, r: &Region, colour: impl Fn(usize, usize, f32) -> Rgb) {
    let w = r.w;
    let data = layer.data_mut();
    for y in r.y0..=r.y1 {
        for x in r.x0..=r.x1 {
            let i = y * w + x;
            if r.alpha[i] > 0.0 {
                let c = colour(x, y, r.down(x, y));
                data[i * 4..i * 4 + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
            }
        }
    }
}

/// Smooth 1-D value noise in [0, 1) along x, with features `period` pixels apart.
fn noise1(seed: u64, x: f32, period: f32) -> f32 {
    let p = x / period.max(1.0);
    let (i, f) = (p.floor(), p - p.floor());
    let a = rng::at(seed, i as i32 as u32, 0);
    let b = rng::at(seed, (i as i32 + 1) as u32, 0);
    a + (b - a) * f * f * (3.0 - 2.0 * f)
}

fn paint_class(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region, name: &str, rng: &mut Rng) {
    let night = matches!(x.plan.lighting, Lighting::Night | Lighting::Neon);
    let (_, horizon, light) = sky(x.plan.lighting);
    match name {
        "tree" => {
            let (leaf, round) = match x.plan.scene {
                Scene::Forest => ([50, 112, 62], false),
                Scene::Snow => ([50, 100, 80], false),
                Scene::Mountains => ([56, 116, 72], false),
                Scene::Park => ([80, 160, 80], true),
                _ => ([70, 142, 72], true),
            };
            woods(layer, x, r, rng, leaf, round, 1.0);
        }
        "plant" => woods(layer, x, r, rng, [112, 170, 64], true, 0.45),
        "mountain" => mountain(layer, x, r, rng, night, horizon),
        "water" | "sea" => water(layer, x, r, rng, name == "sea", horizon, light),
        "grass" => ground_class(layer, x, r, rng, [140, 200, 110], [96, 166, 78], Mark::Tuft),
        "field" => ground_class(layer, x, r, rng, [214, 196, 110], [188, 160, 72], Mark::Tuft),
        "sand" => ground_class(layer, x, r, rng, [236, 212, 160], [226, 196, 140], Mark::Ripple),
        "earth" => ground_class(layer, x, r, rng, [160, 130, 92], [132, 102, 70], Mark::Ripple),
        "road" => road(layer, x, r),
        "sidewalk" => paving(layer, x, r, [196, 192, 184], x.h * 0.05),
        "floor" => paving(layer, x, r, [176, 136, 98], x.h * 0.03),
        "wall" => fill_region(layer, r, |_, _, v| mix([226, 222, 214], [210, 205, 196], v)),
        "building" => buildings(layer, x, r, rng, night),
        _ => {}
    }
}

/// Trees (or bushes, at a smaller `scale`) filling a region: rows of crowns
/// from its top down, the lower (nearer) rows over the upper, over a dark
/// understory; sizes follow a depth map when there is one.
#[allow(clippy::too_many_arguments)]
fn woods(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region, rng: &mut Rng, leaf: Rgb, round: bool, scale: f32) {
    let under = shade(leaf, -0.5);
    let (rw, rh) = r.size();
    let size = (rw.min(rh) * 0.6).clamp(x.h * 0.1, x.h * 0.32) * scale;
    // The understory shows between trunks, not above the treetops.
    let canopy = size * 0.5;
    fill_region(layer, r, |xx, y, v| if (y as f32) < r.top[xx] + canopy { [0, 0, 0] } else { shade(under, -0.15 * v) });
    clear_above(layer, r, canopy);
    let mut c = Canvas::new(layer);
    // Rows from the region's top down to its bottom, where the last row's trunks stand.
    let (first, last) = (r.y0 as f32 + size * 1.05, r.y1 as f32 + 1.0);
    let rows = ((last - first) / (size * 0.4)).round().max(0.0) as usize;
    for row in 0..=rows {
        let base = if rows == 0 { last } else { first + (last - first) * row as f32 / rows as f32 };
        let step = size * 0.5;
        let mut tx = r.x0 as f32 - step * 0.5 + (row % 2) as f32 * step * 0.5;
        while tx < r.x1 as f32 + step {
            let s = size * x.scale_at(tx, base) * rng.range(0.85, 1.15);
            let (cx, cy) = (tx + rng.range(-0.1, 0.1) * s, base + rng.range(-0.06, 0.0) * s);
            if r.inside(cx, cy - s * 0.6) || r.inside(cx, cy - s * 0.2) {
                let col = shade(leaf, rng.range(-0.12, 0.1));
                crown(&mut c, cx, cy, s, col, round, scale >= 1.0);
            }
            tx += step * x.scale_at(tx, base) * rng.range(0.8, 1.2);
        }
    }
}

/// Make the layer transparent where it is within `depth` of its column's top.
fn clear_above(layer: &mut Pixmap, r: &Region, depth: f32) {
    let w = r.w;
    let data = layer.data_mut();
    for y in r.y0..=r.y1 {
        for x in r.x0..=r.x1 {
            if (y as f32) < r.top[x] + depth {
                data[(y * w + x) * 4..(y * w + x) * 4 + 4].copy_from_slice(&[0, 0, 0, 0]);
            }
        }
    }
}

/// One tree standing at (tx, base), `s` tall: a trunk and a crown lit from
/// the upper left (round: a leafy ball; else a conifer's tiers).
fn crown(c: &mut Canvas<'_>, tx: f32, base: f32, s: f32, col: Rgb, round: bool, trunk: bool) {
    if trunk {
        c.fill_c(rect(tx - s * 0.05, base - s * 0.4, s * 0.1, s * 0.4), [98, 68, 44], 1.0);
    }
    if round {
        let (cy, rx, ry) = (base - s * 0.62, s * 0.34, s * 0.36);
        c.fill_c(ellipse(tx, cy, rx, ry), col, 1.0);
        c.fill_c(ellipse(tx + rx * 0.22, cy + ry * 0.25, rx * 0.74, ry * 0.66), shade(col, -0.22), 0.45);
        c.fill_c(ellipse(tx - rx * 0.3, cy - ry * 0.3, rx * 0.5, ry * 0.42), shade(col, 0.2), 0.85);
    } else {
        for k in 0..3 {
            let k = k as f32;
            let foot = base - s * (0.2 + 0.22 * k);
            let (apex, half) = (foot - s * 0.42, s * (0.36 - 0.08 * k));
            c.fill_c(poly(&[(tx, apex), (tx - half, foot), (tx + half, foot)]), col, 1.0);
            c.fill_c(poly(&[(tx, apex), (tx - half, foot), (tx - half * 0.1, foot)]), shade(col, 0.16), 1.0);
        }
    }
}

/// A mountain filling its region: the region's upper edge is the ridge;
/// faces turned left are lit, faces turned right in shadow; snow on the
/// high parts, rock striations running down the slopes, a hazy foot.
fn mountain(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region, rng: &mut Rng, night: bool, horizon: Rgb) {
    let rock: Rgb = if night { [62, 72, 104] } else { [116, 124, 152] };
    let seed = rng.next_u64();
    let w = r.w;
    let top_min = r.top.iter().filter(|t| !t.is_nan()).fold(f32::MAX, |a, b| a.min(*b));
    let foot = r.y1 as f32 + 1.0;
    let height = (foot - top_min).max(1.0);
    let k = ((x.w * 0.02) as usize).max(2);
    let ridge = |xx: usize| {
        let t = r.top[xx.clamp(r.x0, r.x1)];
        if t.is_nan() { foot } else { t }
    };
    // Slope of the ridge above each column (positive: it falls to the right, a shaded face).
    let slope: Vec<f32> =
        (0..w).map(|xx| (ridge((xx + k).min(w - 1)) - ridge(xx.saturating_sub(k))) / (2 * k) as f32).collect();
    let stripe = x.w * 0.03;
    fill_region(layer, r, |xx, y, _| {
        let (yf, top) = (y as f32, ridge(xx));
        let below = yf - top;
        let high = (foot - top) / height; // 1 under the highest peak
        let lit = slope[xx] <= 0.0;
        let n = noise1(seed, xx as f32, x.w * 0.015);
        let snowline = ((high - 0.4) / 0.6).max(0.0) * height * 0.3 * (0.6 + 0.8 * n);
        if below < snowline {
            return if lit { [246, 248, 252] } else { [198, 210, 232] };
        }
        let mut c = if lit { shade(rock, 0.08) } else { shade(rock, -0.22) };
        let run = if slope[xx] > 0.0 { -0.7 } else { 0.7 };
        let phase = ((xx as f32 + below * run) / stripe).rem_euclid(1.0);
        if phase < 0.12 {
            c = shade(c, -0.14);
        }
        let v = ((yf - top_min) / height).clamp(0.0, 1.0);
        mix(c, horizon, 0.4 * v * v)
    });
}

/// Water filling its region: deep and sky-tinted toward its far (upper)
/// edge, lighter near, with light glinting in horizontal strokes that
/// shorten with distance.
#[allow(clippy::too_many_arguments)]
fn water(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region, rng: &mut Rng, sea: bool, horizon: Rgb, light: Rgb) {
    let (deep, near): (Rgb, Rgb) = if sea { ([26, 84, 150], [62, 150, 190]) } else { ([50, 116, 166], [98, 172, 204]) };
    let deep = mix(deep, horizon, 0.22);
    fill_region(layer, r, |_, _, v| mix(deep, near, v));
    let (rw, rh) = r.size();
    let glint = mix(light, [255, 255, 255], 0.5);
    let mut c = Canvas::new(layer);
    let n = ((rw * rh) / (x.w * x.h) * 160.0) as usize + 6;
    for _ in 0..n {
        let gx = rng.range(r.x0 as f32, r.x1 as f32);
        let gy = rng.range(r.y0 as f32, r.y1 as f32);
        if !r.inside(gx, gy) {
            continue;
        }
        let v = r.down(gx as usize, gy as usize);
        let s = (0.35 + 0.65 * v) * x.scale_at(gx, gy);
        let len = x.w * rng.range(0.02, 0.06) * s;
        let width = (x.h * 0.005 * s).max(1.0);
        c.stroke(line(&[(gx - len / 2.0, gy), (gx + len / 2.0, gy)]), glint, 0.75, width);
    }
}

/// Open ground: a gradient from far (top) to near (bottom) and its texture
/// (tufts, ripples), larger toward the viewer.
#[allow(clippy::too_many_arguments)]
fn ground_class(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region, rng: &mut Rng, far: Rgb, near: Rgb, mark: Mark) {
    fill_region(layer, r, |_, _, v| mix(far, near, v));
    let mut c = Canvas::new(layer);
    let (rw, rh) = r.size();
    let n = ((rw * rh) / (x.w * x.h) * 420.0) as usize;
    for _ in 0..n {
        let (mx, my) = (rng.range(r.x0 as f32, r.x1 as f32), rng.range(r.y0 as f32, r.y1 as f32));
        if !r.inside(mx, my) {
            continue;
        }
        let v = r.down(mx as usize, my as usize);
        let s = x.h * 0.018 * (0.45 + 0.55 * v) * x.scale_at(mx, my);
        let col = shade(mix(far, near, v), -0.2);
        let width = (s * 0.18).max(0.8);
        match mark {
            Mark::Tuft => {
                for k in [-1.0f32, 0.0, 1.0] {
                    c.stroke(line(&[(mx + k * s * 0.15, my), (mx + k * s * 0.45, my - s)]), col, 0.9, width);
                }
            }
            Mark::Ripple | Mark::Drift => {
                c.stroke(curve((mx - s, my), (mx, my - s * 0.5), (mx + s, my)), col, 0.8, width)
            }
        }
    }
}

/// A road: asphalt, darker far, with a dashed centre line along the
/// middle of the region in each column.
fn road(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region) {
    let night = matches!(x.plan.lighting, Lighting::Night | Lighting::Neon);
    let asphalt: Rgb = if night { [44, 44, 56] } else { [118, 118, 124] };
    let dash = x.w * 0.05;
    let line_h = (x.h * 0.008).max(1.0);
    fill_region(layer, r, |xx, y, v| {
        let mid = (r.top[xx] + r.bottom[xx]) / 2.0;
        let on_line = (y as f32 - mid).abs() < line_h * (0.5 + v) && (xx as f32 / dash).rem_euclid(2.0) < 1.0;
        if on_line && r.bottom[xx] - r.top[xx] > line_h * 6.0 {
            [236, 232, 210]
        } else {
            shade(asphalt, -0.12 * (1.0 - v))
        }
    });
}

/// Paving or floorboards: a base colour with joints every `step` pixels
/// across and staggered joints along.
fn paving(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region, base: Rgb, step: f32) {
    let joint = shade(base, -0.2);
    let width = (x.h * 0.003).max(1.0);
    fill_region(layer, r, |xx, y, v| {
        let row = (y as f32 / step).floor();
        let along = (xx as f32 + row * step * 1.7) / (step * 3.0);
        let on = (y as f32).rem_euclid(step) < width || (along.fract() * step * 3.0) < width;
        if on { joint } else { shade(base, 0.06 * (1.0 - v)) }
    });
}

/// Buildings filling a region: facades side by side, each its own colour,
/// cut to the region's skyline, with a cornice and rows of windows (lit
/// at night).
fn buildings(layer: &mut Pixmap, x: &Ctx<'_>, r: &Region, rng: &mut Rng, night: bool) {
    let mut c = Canvas::new(layer);
    let mut bx = r.x0 as f32;
    let end = r.x1 as f32 + 1.0;
    while bx < end {
        let bw = (x.w * rng.range(0.09, 0.16)).min(end - bx);
        let col: Rgb =
            if night { [30 + rng.below(24) as u8, 34, 62] } else { mix([150, 160, 175], [206, 190, 176], rng.unit()) };
        let (c0, c1) = (bx as usize, ((bx + bw) as usize).min(r.x1));
        let top = (c0..=c1).filter_map(|i| Some(r.top[i]).filter(|t| !t.is_nan())).fold(f32::MAX, f32::min);
        let top = if top == f32::MAX { r.y0 as f32 } else { top };
        let foot = r.y1 as f32 + 1.0;
        c.fill_c(rect(bx, r.y0 as f32, bw, foot - r.y0 as f32), col, 1.0);
        c.fill_c(rect(bx, r.y0 as f32, bw * 0.07, foot - r.y0 as f32), shade(col, -0.18), 1.0);
        c.fill_c(rect(bx, top, bw, x.h * 0.012), shade(col, -0.25), 1.0);
        let ww = bw * 0.15;
        let mut wy = top + ww * 1.4;
        while wy < foot - ww * 2.0 {
            for k in 0..3 {
                let wx = bx + bw * (0.17 + 0.26 * k as f32);
                let lit = night && rng.chance(0.55);
                let wc = if lit {
                    [255, 220, 120]
                } else if night {
                    [45, 50, 80]
                } else {
                    [196, 214, 234]
                };
                c.fill_c(rect(wx, wy, ww, ww * 1.3), wc, 1.0);
                if !night {
                    c.fill_c(rect(wx, wy, ww * 0.35, ww * 1.3), [226, 236, 246], 1.0);
                }
            }
            wy += ww * 2.2;
        }
        bx += bw;
    }
}
