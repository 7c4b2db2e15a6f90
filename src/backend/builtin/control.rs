//! Conditioning and image inputs: control maps that fix the layout, identity
//! references read from pixels, image-to-image and inpainting.

#![allow(clippy::needless_range_loop)] // numeric kernels index several buffers in step

use image::{GrayImage, RgbImage};

use super::effects::Buf;
use super::plan::{Frac, Plan, ReferenceIdentity, Rgb};
use super::scene;
use crate::backend::ControlInput;
use crate::imaging::color::{mix, shade};
use crate::recipe::ControlKind;

/// Bounding box (fractions) of pixels where `keep` holds, if any.
fn bbox(img: &GrayImage, keep: impl Fn(u8) -> bool) -> Option<Frac> {
    let (w, h) = img.dimensions();
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if keep(p.0[0]) {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    (x0 <= x1).then(|| Frac {
        x: x0 as f32 / w as f32,
        y: y0 as f32 / h as f32,
        w: (x1 - x0 + 1) as f32 / w as f32,
        h: (y1 - y0 + 1) as f32 / h as f32,
    })
}

fn lerp_box(a: Frac, b: Frac, t: f32) -> Frac {
    let t = t.clamp(0.0, 1.0);
    Frac { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, w: a.w + (b.w - a.w) * t, h: a.h + (b.h - a.h) * t }
}

/// The subject box that makes the subject's drawing (not its box) fill `target`.
fn fill(plan: &Plan, target: Frac) -> Frac {
    let (x0, y0, x1, y1) = super::subject::unit_extent(plan);
    let (ew, eh) = ((x1 - x0).max(0.05), (y1 - y0).max(0.05));
    let w = target.w / ew;
    let h = target.h / eh;
    Frac { x: target.x - x0 * w, y: target.y - y0 * h, w, h }
}

/// Region maps and poses move the subject; their weight sets how far.
pub fn adjust_plan(plan: &mut Plan, c: &ControlInput) {
    let t = (c.weight / 0.8).clamp(0.0, 1.0);
    match c.kind {
        ControlKind::Mask => {
            // White = subject, mid grey = keep calm (text), black = background.
            if let Some(b) = bbox(&c.image, |v| v >= 200) {
                plan.subject_box = lerp_box(plan.subject_box, fill(plan, b), t);
                plan.horizon = (plan.subject_box.y + plan.subject_box.h * 0.82).clamp(0.35, 0.85);
            }
            if t > 0.5
                && let Some(calm) = bbox(&c.image, |v| (64..200).contains(&v))
            {
                plan.calm.push(calm);
            }
        }
        ControlKind::Pose => {
            // A stick figure drawn light on dark (or dark on light): the character stands there.
            let mean = c.image.pixels().map(|p| p.0[0] as f32).sum::<f32>() / (c.image.len().max(1) as f32);
            let ink = |v: u8| if mean < 128.0 { v >= 128 } else { v < 128 };
            if let Some(b) = bbox(&c.image, ink) {
                plan.subject_box = lerp_box(plan.subject_box, fill(plan, b), t);
                plan.horizon = (plan.subject_box.y + plan.subject_box.h * 0.82).clamp(0.35, 0.85);
            }
        }
        ControlKind::Edges | ControlKind::Depth => {}
    }
}

/// Inpainting: the new subject goes where the mask says.
pub fn place_in_mask(plan: &mut Plan, mask: &GrayImage) {
    if let Some(b) = bbox(mask, |v| v >= 128) {
        let aspect = plan.subject_box.w / plan.subject_box.h.max(1e-3);
        let (mut w, mut h) = (b.w * 0.9, b.h * 0.9);
        if w / h > aspect {
            w = h * aspect
        } else {
            h = w / aspect
        }
        plan.subject_box = Frac { x: b.x + (b.w - w) / 2.0, y: b.y + (b.h - h) / 2.0, w, h };
    }
}

/// Edge control: the picture is rebuilt from the regions the edge map
/// encloses — sky above, ground below, subject inside — with the map's
/// lines as outlines. Weight below 0.8 blends it with the free render.
pub fn apply_edges(buf: &mut Buf, plan: &Plan, c: &ControlInput) {
    let (w, h) = (buf.w, buf.h);
    let img = &c.image;
    if img.width() as usize != w || img.height() as usize != h {
        return;
    }
    let mean = img.pixels().map(|p| p.0[0] as f32).sum::<f32>() / (w * h).max(1) as f32;
    let edge: Vec<bool> = img.pixels().map(|p| if mean < 128.0 { p.0[0] >= 128 } else { p.0[0] < 128 }).collect();
    // Label the non-edge regions (4-connected) and note which borders they touch.
    let mut label = vec![u32::MAX; w * h];
    let mut regions: Vec<(usize, bool, bool)> = Vec::new(); // (size, touches top, touches other border)
    let mut stack = Vec::new();
    for start in 0..w * h {
        if edge[start] || label[start] != u32::MAX {
            continue;
        }
        let id = regions.len() as u32;
        let (mut size, mut top, mut border) = (0usize, false, false);
        label[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            top |= y == 0;
            border |= x == 0 || x == w - 1 || y == h - 1;
            let mut visit = |j: usize| {
                if !edge[j] && label[j] == u32::MAX {
                    label[j] = id;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
        regions.push((size, top, border));
    }
    // Interior regions are the subject; the largest carries the body colour.
    let mut interior: Vec<usize> = (0..regions.len()).filter(|&r| !regions[r].1 && !regions[r].2).collect();
    interior.sort_by_key(|&r| std::cmp::Reverse(regions[r].0));
    let (sky_top, sky_bottom, _) = scene::sky(plan.lighting);
    let ground = ground_color(buf, plan);
    let outline = shade(plan.body, -0.6);
    let t = (c.weight / 0.8).clamp(0.0, 1.0);
    for i in 0..w * h {
        let y = i / w;
        let target: Rgb = if edge[i] {
            outline
        } else {
            let r = label[i] as usize;
            match interior.iter().position(|&x| x == r) {
                Some(0) => shade(plan.body, 0.12 - 0.24 * (y as f32 / h as f32)),
                Some(k) if k % 2 == 1 => plan.accent,
                Some(_) => shade(plan.body, -0.2),
                None if regions[r].1 => mix(sky_top, sky_bottom, y as f32 / h as f32),
                None => ground,
            }
        };
        let p = &mut buf.px[i];
        for k in 0..3 {
            p[k] += (target[k] as f32 - p[k]) * t;
        }
    }
}

fn ground_color(buf: &Buf, plan: &Plan) -> Rgb {
    let y = ((plan.horizon + 1.0) / 2.0 * buf.h as f32) as usize;
    let row = &buf.px[y.min(buf.h - 1) * buf.w..][..buf.w];
    row.iter().fold([0f32; 3], |a, p| [a[0] + p[0], a[1] + p[1], a[2] + p[2]]).map(|v| (v / buf.w as f32) as u8)
}

/// Image-to-image: low strength keeps the init's structure and palette;
/// middle strength keeps its structure but repaints it in the prompt's
/// palette; high strength keeps little.
pub fn img2img(buf: &mut Buf, plan: &Plan, init: &RgbImage, strength: f32) {
    let restyle = (strength * 1.6).clamp(0.0, 1.0);
    // Structure starts to go past ~0.35 and is mostly gone near 1, as with real models.
    let replace = ((strength - 0.35) / 0.65).clamp(0.0, 1.0).powf(1.5);
    let ramp = [shade(plan.body, -0.55), plan.body, plan.accent, shade(plan.accent, 0.7)];
    for (i, p) in buf.px.iter_mut().enumerate() {
        let o = init.as_raw()[i * 3..i * 3 + 3].iter().map(|v| *v as f32).collect::<Vec<_>>();
        let l = 0.299 * o[0] + 0.587 * o[1] + 0.114 * o[2];
        let t = (l / 255.0) * 3.0;
        let k = (t.floor() as usize).min(2);
        let c = mix(ramp[k], ramp[k + 1], t - k as f32);
        let cl = (0.299 * c[0] as f32 + 0.587 * c[1] as f32 + 0.114 * c[2] as f32).max(1.0);
        // Keep the init's luminance so its structure survives the new palette.
        let styled: [f32; 3] = [0, 1, 2].map(|j| (c[j] as f32 * l / cl).clamp(0.0, 255.0));
        for j in 0..3 {
            let kept = o[j] + (styled[j] - o[j]) * restyle;
            p[j] = kept + (p[j] - kept) * replace;
        }
    }
}

/// How much of the surroundings' light the repainted region takes: the
/// share of the colour difference between the new render and the init,
/// measured where both show the same (outside the mask), applied inside.
const CONTEXT_LIGHT: f32 = 0.7;

/// Inpainting: outside the (optionally blurred) mask the init pixels are kept
/// exactly; inside, the new render shows, lit like its surroundings. A real
/// inpainting model conditions on the unmasked pixels, so a repaint takes
/// the scene's light and colour cast (an outpainted margin continues the
/// init's sky instead of starting its own); here the render's mean colour
/// outside the mask is moved toward the init's there, and the same shift
/// applied inside, before the composite.
pub fn inpaint(out: &mut RgbImage, init: &RgbImage, mask: &GrayImage, blur: u32) {
    let (w, h) = out.dimensions();
    let (mut sum_out, mut sum_init, mut n) = ([0f64; 3], [0f64; 3], 0f64);
    for ((o, px), m) in out.pixels().zip(init.pixels()).zip(mask.pixels()) {
        if m.0[0] == 0 {
            for k in 0..3 {
                sum_out[k] += f64::from(o.0[k]);
                sum_init[k] += f64::from(px.0[k]);
            }
            n += 1.0;
        }
    }
    if n > 0.0 {
        let shift: [f32; 3] = std::array::from_fn(|k| ((sum_init[k] - sum_out[k]) / n) as f32 * CONTEXT_LIGHT);
        for o in out.pixels_mut() {
            for k in 0..3 {
                o.0[k] = (f32::from(o.0[k]) + shift[k]).round().clamp(0.0, 255.0) as u8;
            }
        }
        // Continuity at the seam: within a few pixels of the kept region the
        // repaint leans toward what lies under the mask there (the original
        // when inpainting, the init's edge carried outward when outpainting),
        // fading with the distance to the seam.
        let dist = seam_distance(mask);
        let reach = (w.min(h) as f32 * 0.04).max(2.0);
        for (i, (o, px)) in out.pixels_mut().zip(init.pixels()).enumerate() {
            if mask.as_raw()[i] == 0 {
                continue;
            }
            let keep = 0.8 * (-dist[i] / reach).exp();
            for k in 0..3 {
                o.0[k] = (f32::from(o.0[k]) * (1.0 - keep) + f32::from(px.0[k]) * keep).round() as u8;
            }
        }
    }
    let mut m: Vec<f32> = mask.pixels().map(|p| p.0[0] as f32 / 255.0).collect();
    if blur > 0 {
        let mut b = Buf { w: w as usize, h: h as usize, px: m.iter().map(|v| [*v, *v, *v]).collect() };
        super::effects::box_blur(&mut b, blur as usize);
        m = b.px.iter().map(|p| p[0]).collect();
    }
    for (i, (o, px)) in out.pixels_mut().zip(init.pixels()).enumerate() {
        let a = m[i];
        if a <= 0.0 {
            *o = *px;
        } else if a < 1.0 {
            for k in 0..3 {
                o.0[k] = (px.0[k] as f32 + (o.0[k] as f32 - px.0[k] as f32) * a).round() as u8;
            }
        }
    }
}

/// Distance (chamfer, in pixels) of every masked pixel to the nearest
/// unmasked one; 0 outside the mask.
fn seam_distance(mask: &GrayImage) -> Vec<f32> {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    let mut d: Vec<f32> = mask.as_raw().iter().map(|m| if *m == 0 { 0.0 } else { f32::MAX }).collect();
    let (a, b) = (1.0f32, std::f32::consts::SQRT_2);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut v = d[i];
            if x > 0 {
                v = v.min(d[i - 1] + a);
            }
            if y > 0 {
                v = v.min(d[i - w] + a);
                if x > 0 {
                    v = v.min(d[i - w - 1] + b);
                }
                if x + 1 < w {
                    v = v.min(d[i - w + 1] + b);
                }
            }
            d[i] = v;
        }
    }
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let i = y * w + x;
            let mut v = d[i];
            if x + 1 < w {
                v = v.min(d[i + 1] + a);
            }
            if y + 1 < h {
                v = v.min(d[i + w] + a);
                if x + 1 < w {
                    v = v.min(d[i + w + 1] + b);
                }
                if x > 0 {
                    v = v.min(d[i + w - 1] + b);
                }
            }
            d[i] = v;
        }
    }
    d
}

/// Read an identity from a reference image's pixels: the dominant colours
/// of its salient subject, the subject's proportions, and whether its
/// surface is patterned (edge density inside the subject).
pub fn analyse_reference(img: &RgbImage, weight: f32) -> ReferenceIdentity {
    use crate::imaging::analysis;
    let est = analysis::subject(img);
    let small = analysis::working(img, 128);
    let (w, h) = (small.width() as usize, small.height() as usize);
    let inside =
        |x: usize, y: usize| est.mask.get(y * est.w.max(1) + x).is_some_and(|m| *m > 0) && est.w == w && est.h == h;
    let labs: Vec<[f32; 3]> = small
        .enumerate_pixels()
        .filter(|(x, y, _)| inside(*x as usize, *y as usize))
        .map(|(_, _, p)| analysis::lab(p.0))
        .collect();
    let palette = analysis::dominant(&labs, 4);
    let body = palette.first().map_or([128, 128, 128], |c| analysis::lab_to_rgb(c.0));
    let accent = palette
        .iter()
        .skip(1)
        .find(|c| palette.first().is_some_and(|b| analysis::delta_e(b.0, c.0) > 15.0))
        .map_or(body, |c| analysis::lab_to_rgb(c.0));
    let edges = analysis::canny(&analysis::gray(&small));
    let (mut n, mut e) = (0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            if inside(x, y) {
                n += 1;
                e += edges[y * w + x] as usize;
            }
        }
    }
    let aspect = (est.bbox[2] * w as f64) / (est.bbox[3] * h as f64).max(1.0);
    ReferenceIdentity { body, accent, aspect: aspect as f32, patterned: n > 0 && e as f32 / n as f32 > 0.12, weight }
}
