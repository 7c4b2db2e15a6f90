//! Conditioning and image inputs: control maps that fix the layout, identity
//! references read from pixels, image-to-image and inpainting.

#![allow(clippy::needless_range_loop)] // numeric kernels index several buffers in step

use image::{GrayImage, RgbImage};

use super::effects::Buf;
use super::plan::{Frac, Plan, ReferenceIdentity};
use crate::backend::ControlInput;
use crate::imaging::analysis;
use crate::imaging::control_maps as maps;
use crate::recipe::ControlKind;

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

/// Segmentation maps, poses and depth place the subject; their weight sets
/// how far (edge maps shape it too, in `shape.rs`). Each reads the format
/// the real ControlNet takes; a map in another format moves nothing, as a
/// real model would not understand it either.
pub fn adjust_plan(plan: &mut Plan, c: &ControlInput) {
    let t = follow(c.weight);
    let target = match c.kind {
        ControlKind::Seg => seg_layout(plan, c, t),
        ControlKind::Pose => {
            let skeleton = maps::read_pose(&c.image);
            plan.limbs = limbs(&skeleton, c.image.dimensions(), t);
            pose_box(plan, &skeleton, c.image.dimensions())
        }
        ControlKind::Depth => return depth_layout(plan, &DepthGuide::read(c), t),
        ControlKind::Edges | ControlKind::Lineart | ControlKind::Scribble => None,
    };
    if let Some(b) = target {
        plan.subject_box = lerp_box(plan.subject_box, b, t);
        if c.kind != ControlKind::Seg {
            plan.horizon = (plan.subject_box.y + plan.subject_box.h * 0.82).clamp(0.35, 0.85);
        }
    }
}

/// How closely a control's weight makes the picture follow its map: 0
/// ignores it, from 0.8 it is followed fully.
fn follow(weight: f32) -> f32 {
    (weight / 0.8).clamp(0.0, 1.0)
}

/// What the scene painter reads from the controls beyond the subject's
/// place: the seg map's classes (each drawn where its colour is) and the
/// depth map (scenery scaled and hazed by its depth).
#[derive(Debug, Default)]
pub struct Guide {
    pub seg: Option<SegGuide>,
    pub depth: Option<DepthGuide>,
}

impl Guide {
    /// The strongest seg and depth maps among the controls (one of each
    /// lays out the scene).
    pub fn read(controls: &[ControlInput]) -> Guide {
        let strongest = |kind: ControlKind| {
            controls.iter().filter(|c| c.kind == kind && c.weight > 0.0).max_by(|a, b| a.weight.total_cmp(&b.weight))
        };
        Guide {
            seg: strongest(ControlKind::Seg).and_then(SegGuide::read),
            depth: strongest(ControlKind::Depth).map(DepthGuide::read).filter(|d| d.usable()),
        }
    }
}

/// An ADE20K map's classes, per map pixel, and how closely to follow them.
#[derive(Debug)]
pub struct SegGuide {
    pub w: usize,
    pub h: usize,
    pub classes: Vec<Option<u8>>,
    pub t: f32,
}

impl SegGuide {
    fn read(c: &ControlInput) -> Option<SegGuide> {
        let classes = maps::read_seg(&c.image);
        let (w, h) = (c.image.width() as usize, c.image.height() as usize);
        maps::looks_like_seg(&classes).then_some(SegGuide { w, h, classes, t: follow(c.weight) })
    }

    /// The class at a point given in fractions of the image (nearest map pixel).
    pub fn at(&self, fx: f32, fy: f32) -> Option<u8> {
        let x = ((fx * self.w as f32) as usize).min(self.w.saturating_sub(1));
        let y = ((fy * self.h as f32) as usize).min(self.h.saturating_sub(1));
        self.classes.get(y * self.w + x).copied().flatten()
    }
}

/// A MiDaS-style map (near = bright), normalised to its own range: 0 the
/// farthest the map shows, 1 the nearest. MiDaS predicts relative inverse
/// depth (disparity), and an object's apparent size is proportional to
/// its disparity, so scale follows the value directly.
#[derive(Debug)]
pub struct DepthGuide {
    pub w: usize,
    pub h: usize,
    pub near: Vec<f32>,
    /// The map with what stands out of the scene replaced by what is behind it.
    behind: Vec<f32>,
    pub t: f32,
    range: u8,
}

fn row_median(row: &[f32]) -> f32 {
    let mut row = row.to_vec();
    row.sort_by(f32::total_cmp);
    row.get(row.len() / 2).copied().unwrap_or(0.0)
}

/// Nearer than this share of the map's range is out of the far region
/// (the sky's plateau in a MiDaS map).
const FAR: f32 = 0.12;

impl DepthGuide {
    fn read(c: &ControlInput) -> DepthGuide {
        let luma = c.luma();
        let (lo, hi) = luma.pixels().fold((255u8, 0u8), |(a, b), p| (a.min(p.0[0]), b.max(p.0[0])));
        let span = f32::from(hi.saturating_sub(lo)).max(1.0);
        let near: Vec<f32> = luma.pixels().map(|p| f32::from(p.0[0].saturating_sub(lo)) / span).collect();
        let (w, h) = (luma.width() as usize, luma.height() as usize);
        // Behind whatever stands out is what its row shows elsewhere (the ground, a backdrop).
        let mut behind = near.clone();
        for y in 0..h {
            let median = row_median(&near[y * w..(y + 1) * w]);
            for v in &mut behind[y * w..(y + 1) * w] {
                if *v - median > STANDS_OUT {
                    *v = median;
                }
            }
        }
        DepthGuide { w, h, near, behind, t: follow(c.weight), range: hi.saturating_sub(lo) }
    }

    /// A map with less than an eighth of the range in it carries no layout.
    fn usable(&self) -> bool {
        self.range >= 32 && self.t > 0.0
    }

    /// Nearness (0 far … 1 near) of the scene (ground, backdrop, sky) at a
    /// point in fractions of the image, bilinear; something standing out
    /// of it (where the subject goes) does not count.
    pub fn at(&self, fx: f32, fy: f32) -> f32 {
        let (w, h) = (self.w, self.h);
        let x = (fx * w as f32 - 0.5).clamp(0.0, (w - 1) as f32);
        let y = (fy * h as f32 - 0.5).clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (x as usize, y as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (ax, ay) = (x - x0 as f32, y - y0 as f32);
        let v = |x: usize, y: usize| self.behind[y * w + x];
        let top = v(x0, y0) + (v(x1, y0) - v(x0, y0)) * ax;
        let bottom = v(x0, y1) + (v(x1, y1) - v(x0, y1)) * ax;
        top + (bottom - top) * ay
    }

    /// How large a thing standing at this nearness is drawn, against its
    /// size at [`DEPTH_REFERENCE`], as far as the weight follows the map.
    pub fn scale(&self, near: f32) -> f32 {
        1.0 + (apparent(near) - 1.0) * self.t
    }

    /// Where the ground begins: going down each column, where the map
    /// leaves the far region — the ground's gradient, extrapolated back to
    /// the far level from where it passes [`FAR`] and twice that (a sharp
    /// edge gives that edge, a ground plane rising from the horizon gives the
    /// horizon); the median over the columns that leave it (at least half
    /// of them), else none.
    pub fn horizon(&self) -> Option<f32> {
        let down = |x: usize, level: f32| (0..self.h).find(|&y| self.near[y * self.w + x] > level);
        let mut ends: Vec<f32> = (0..self.w)
            .filter_map(|x| {
                let a = down(x, FAR).filter(|&y| y > 0)?;
                let b = down(x, 2.0 * FAR).unwrap_or(a).max(a);
                Some((2 * a) as f32 - b as f32)
            })
            .collect();
        if ends.len() * 2 < self.w {
            return None;
        }
        ends.sort_by(f32::total_cmp);
        Some(ends[ends.len() / 2].max(0.0) / self.h as f32)
    }

    /// Something standing out of the scene: the largest connected region
    /// clearly nearer than its row's median (what is behind it at that
    /// height: the ground or a backdrop), as a box in fractions.
    fn standing_out(&self) -> Option<Frac> {
        let (w, h) = (self.w, self.h);
        let mut out = vec![false; w * h];
        for y in 0..h {
            let median = row_median(&self.near[y * w..(y + 1) * w]);
            for x in 0..w {
                out[y * w + x] = self.near[y * w + x] - median > STANDS_OUT;
            }
        }
        largest_region(&out, w, h).filter(|n| n.0 * 200 >= w * h).map(|(_, b)| Frac {
            x: b[0] as f32 / w as f32,
            y: b[1] as f32 / h as f32,
            w: (b[2] - b[0] + 1) as f32 / w as f32,
            h: (b[3] - b[1] + 1) as f32 / h as f32,
        })
    }
}

/// Nearer than the row's median by this share of the range: an object, not ground.
const STANDS_OUT: f32 = 0.15;

/// The nearness at which the prompt's own sizes hold (a subject the prompt
/// places stands in the middle-near ground).
pub const DEPTH_REFERENCE: f32 = 0.75;

/// Apparent size against the size at [`DEPTH_REFERENCE`]: proportional to
/// disparity, plus a floor so the far ground is small, not gone.
fn apparent(near: f32) -> f32 {
    (0.25 + near.clamp(0.0, 1.0)) / (0.25 + DEPTH_REFERENCE)
}

/// The largest 4-connected region of `keep`: its pixel count and box (x0, y0, x1, y1).
fn largest_region(keep: &[bool], w: usize, h: usize) -> Option<(usize, [usize; 4])> {
    let mut seen = vec![false; keep.len()];
    let mut best: Option<(usize, [usize; 4])> = None;
    let mut stack = Vec::new();
    for start in 0..keep.len() {
        if !keep[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut n, mut b) = (0, [usize::MAX, usize::MAX, 0, 0]);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            n += 1;
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            for j in crate::imaging::neighbours4(i, w, h) {
                if keep[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        if best.is_none_or(|(m, _)| n > m) {
            best = Some((n, b));
        }
    }
    best
}

/// A depth map lays out the whole scene: the horizon where the far region
/// ends; a thing standing out of the ground is where the subject goes
/// (its silhouette already drawn at its distance); on a map of ground
/// alone the subject stands where the prompt puts it, its size following
/// the nearness under its feet (the same subject further back is smaller).
/// A map with neither puts the subject in its nearest region.
fn depth_layout(plan: &mut Plan, d: &DepthGuide, t: f32) {
    if !d.usable() {
        return;
    }
    let horizon = d.horizon();
    if let Some(y) = horizon {
        plan.horizon += (y.clamp(0.15, 0.85) - plan.horizon) * t;
    }
    let target = match (d.standing_out(), horizon) {
        (Some(b), _) => fill(plan, b),
        (None, Some(horizon)) => {
            let b = plan.subject_box;
            // Standing on the ground, never in the sky.
            let feet = (b.y + b.h).max(horizon + 0.05).min(0.98);
            let cx = b.x + b.w / 2.0;
            let s = apparent(d.at(cx, feet));
            let (w, h) = (b.w * s, b.h * s);
            Frac { x: cx - w / 2.0, y: feet - h, w, h }
        }
        (None, None) => match depth_box(d) {
            Some(b) => fill(plan, b),
            None => return,
        },
    };
    plan.subject_box = lerp_box(plan.subject_box, target, t);
    if horizon.is_none() {
        plan.horizon = (plan.subject_box.y + plan.subject_box.h * 0.82).clamp(0.35, 0.85);
    }
}

/// An ADE20K map (the seg ControlNet's input): the subject classes' region
/// is where the subject goes; the horizon is where the ground classes
/// begin (else the sky's lower edge); wall and sky regions stay plain (no
/// scenery drawn over them). The other classes are painted where they are
/// by the scene (`scene.rs`, [`Guide`]).
fn seg_layout(plan: &mut Plan, c: &ControlInput, t: f32) -> Option<Frac> {
    let classes = maps::read_seg(&c.image);
    if !maps::looks_like_seg(&classes) || t <= 0.0 {
        return None;
    }
    let (w, h) = (c.image.width() as usize, c.image.height() as usize);
    let role = |i: usize| classes[i].map(|k| maps::SEG_CLASSES[k as usize].3);
    let region = |want: maps::SegRole| bbox_where(w, h, |i| role(i) == Some(want));
    // The horizon: where the ground starts in the columns that see it
    // farthest (things in front — trees, the subject — only hide its start,
    // never raise it): the 10th percentile over the columns; without
    // ground, the median of where the sky ends.
    let rank = |mut ends: Vec<usize>, at: f32| {
        (ends.len() * 2 >= w).then(|| {
            ends.sort_unstable();
            ends[((ends.len() - 1) as f32 * at) as usize] as f32 / h as f32
        })
    };
    let ground = (0..w).filter_map(|x| (0..h).find(|&y| role(y * w + x) == Some(maps::SegRole::Ground))).collect();
    let sky = (0..w)
        .filter_map(|x| (0..h).rev().find(|&y| role(y * w + x) == Some(maps::SegRole::Sky)).map(|y| y + 1))
        .filter(|&y| y < h)
        .collect();
    if let Some(y) = rank(ground, 0.1).or_else(|| rank(sky, 0.5)) {
        plan.horizon += (y - plan.horizon) * t;
    }
    // Plain classes stay plain: no scenery is drawn over wall or sky.
    if t > 0.5 {
        let wall = |i: usize| classes[i].is_some_and(|k| maps::SEG_CLASSES[k as usize].0 == "wall");
        plan.calm.extend(bbox_where(w, h, wall));
        plan.calm.extend(region(maps::SegRole::Sky));
    }
    region(maps::SegRole::Subject).map(|b| fill(plan, b))
}

/// Bounding box (fractions) of the pixels where `keep` holds.
fn bbox_where(w: usize, h: usize, keep: impl Fn(usize) -> bool) -> Option<Frac> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for i in (0..w * h).filter(|&i| keep(i)) {
        let (x, y) = (i % w, i / w);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    (x0 <= x1).then(|| Frac {
        x: x0 as f32 / w as f32,
        y: y0 as f32 / h as f32,
        w: (x1 - x0 + 1) as f32 / w as f32,
        h: (y1 - y0 + 1) as f32 / h as f32,
    })
}

/// An OpenPose skeleton (the openpose ControlNet's input): the character's
/// head goes on the skeleton's head (nose, eyes, ears) and its feet on the
/// ankles; without feet, the figure's lowest keypoint. Arms and legs are
/// drawn along the skeleton's limbs (`limbs`, drawn by `subject.rs`).
fn pose_box(plan: &Plan, s: &maps::Skeleton, (w, h): (u32, u32)) -> Option<Frac> {
    let (w, h) = (w as f32, h as f32);
    let (bx0, by0, bx1, by1) = s.bounds()?;
    let (uhx, uhy) = super::subject::head_unit(plan);
    let feet = s.feet().unwrap_or(by1);
    let box_aspect = plan.subject_box.w * w / (plan.subject_box.h * h).max(1e-3);
    match s.head() {
        Some((hx, hy)) if feet > hy + 4.0 => {
            let bh = (feet - hy) / (1.0 - uhy).max(0.2);
            let bw = bh * box_aspect;
            Some(Frac { x: (hx - uhx * bw) / w, y: (hy - uhy * bh) / h, w: bw / w, h: bh / h })
        }
        _ => {
            Some(fill(plan, Frac { x: bx0 / w, y: by0 / h, w: (bx1 - bx0).max(1.0) / w, h: (by1 - by0).max(1.0) / h }))
        }
    }
}

/// The skeleton's arms and legs as joint chains in image fractions: each
/// chain from its root (shoulder, hip) to as far as it is visible.
fn limbs(s: &maps::Skeleton, (w, h): (u32, u32), follow: f32) -> Vec<super::plan::Limb> {
    const CHAINS: [(bool, [usize; 3]); 4] =
        [(true, [2, 3, 4]), (true, [5, 6, 7]), (false, [8, 9, 10]), (false, [11, 12, 13])];
    CHAINS
        .iter()
        .filter_map(|(arm, chain)| {
            let joints: Vec<(f32, f32)> =
                chain.iter().map_while(|&k| s.points[k]).map(|(x, y)| (x / w as f32, y / h as f32)).collect();
            (joints.len() >= 2).then_some(super::plan::Limb { arm: *arm, joints, follow })
        })
        .collect()
}

/// The nearest region of a depth map (the brightest quarter of its range).
fn depth_box(d: &DepthGuide) -> Option<Frac> {
    bbox_where(d.w, d.h, |i| d.near[i] >= 0.75)
}

/// An edge map moves the subject onto its silhouette and the horizon onto
/// its long line, as far as the control's placement strength goes.
pub fn place_on_edges(plan: &mut Plan, map: &super::shape::EdgeLayout, s: super::shape::Strength) {
    if let Some(b) = map.bbox {
        plan.subject_box = lerp_box(plan.subject_box, fill(plan, b), s.place);
    }
    plan.horizon = match map.horizon {
        Some(y) => plan.horizon + (y - plan.horizon) * s.place,
        None => (plan.subject_box.y + plan.subject_box.h * 0.82).clamp(0.35, 0.85),
    };
}

/// Inpainting: the new subject goes where the mask says.
pub fn place_in_mask(plan: &mut Plan, mask: &GrayImage) {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    if let Some(b) = bbox_where(w, h, |i| mask.as_raw()[i] >= 128) {
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

/// Image-to-image (SDEdit, Meng et al. 2021; A1111's "denoising
/// strength"): the init is noised to the strength's level and denoised
/// under the prompt, so what survives is what the noise did not drown.
/// Below [`REDRAW`] the init's shapes survive: the picture is the init,
/// its subject recoloured toward the prompt's colours and its background
/// toward the prompt's scene palette, in proportion to strength (fine
/// texture re-synthesised). From [`REDRAW`] on the shapes are drowned: the
/// picture is the prompt's own render, drawn on the init's layout (see
/// [`follow_init_layout`]) and, just past the threshold, in the init's
/// colours. Either way one picture — never the init and a new image
/// superimposed.
pub fn img2img(buf: &mut Buf, plan: &Plan, init: &RgbImage, strength: f32) {
    let s = strength.clamp(0.0, 1.0);
    let init_px: Vec<[f32; 3]> = init.pixels().map(|p| p.0.map(f32::from)).collect();
    if init_px.len() != buf.px.len() {
        return;
    }
    if s >= REDRAW {
        let amount = INIT_COLOURS * (1.0 - smooth((s - REDRAW) / (1.0 - REDRAW)));
        let (from, to) = (stats(&buf.px, |_| 1.0), stats(&init_px, |_| 1.0));
        transfer(&mut buf.px, from, to, |_| amount);
        return;
    }
    let colour = smooth(s / 0.55);
    let subject = SubjectColours::read(init);
    // Flat art and photos alike repeat colours: each distinct colour is judged once.
    let mut judged: std::collections::HashMap<[u8; 3], f32> = std::collections::HashMap::new();
    let weight: Vec<f32> = (0..init_px.len())
        .map(|i| {
            if !subject.in_box(i) {
                return 0.0;
            }
            let key = init_px[i].map(|v| v as u8);
            *judged.entry(key).or_insert_with(|| subject.membership(init_px[i]))
        })
        .collect();
    let (from, to) = (stats(&init_px, |i| 1.0 - weight[i]), stats(&buf.px, |_| 1.0));
    let mut out = init_px;
    transfer(&mut out, from, to, |i| BACKGROUND_SHIFT * colour * (1.0 - weight[i]));
    let targets = [analysis::lab(plan.body), analysis::lab(plan.accent)];
    let mut recoloured: std::collections::HashMap<[u8; 3], [f32; 3]> = std::collections::HashMap::new();
    for (i, p) in out.iter_mut().enumerate() {
        if weight[i] > 0.0 {
            let key = p.map(|v| v.round().clamp(0.0, 255.0) as u8);
            let rgb = *recoloured
                .entry(key)
                .or_insert_with(|| analysis::lab_to_rgb(subject.recolour(analysis::lab(key), &targets)).map(f32::from));
            let t = colour * weight[i];
            *p = std::array::from_fn(|k| p[k] + (rgb[k] - p[k]) * t);
        }
    }
    let render = std::mem::replace(&mut buf.px, out);
    redraw(buf, &render, &weight, plan, s);
}

/// SD works in a latent 8× smaller than the picture (its VAE's factor), so
/// image-to-image redraws in 8-pixel cells: the noise at strength `s`
/// drowns the init's finest structure and its fine shading, and the model
/// draws them again, its own way (Meng et al. 2021: what survives SDEdit's
/// noise is the low frequencies; Rombach et al. 2022 for the latent).
const LATENT: usize = 8;
/// How far (pixels at strength 1) a redrawn edge may sit from the init's.
const WANDER: f32 = 3.0;
/// Shading the model draws anew, in RGB levels at strength 1, by the
/// style's own texture (flat art has little, a photo or a wash more).
fn shading(style: crate::recipe::vocab::Style) -> f32 {
    use crate::recipe::vocab::Style;
    match style {
        Style::FlatVector | Style::PixelArt | Style::LineArt => 50.0,
        Style::Clay => 55.0,
        Style::Photographic | Style::Watercolor => 60.0,
    }
}
/// Share of the way the background takes the prompt's light where the
/// prompt's picture has it (a sunrise glows at the horizon, not as a tint).
const REGIONAL_LIGHT: f32 = 1.0;

/// The redraw of image-to-image below [`REDRAW`]: `buf` holds the init
/// already recoloured; `render` is the prompt's own picture on the init's
/// layout. The background takes the prompt's light region by region, every
/// edge is redrawn up to `WANDER × s` pixels off, fine shading is drawn
/// anew in latent cells, and the prompt's medium (a wash, pixel blocks)
/// takes over in proportion to strength. None of it is a function of the
/// init's colours alone — what tells a redraw from a colour filter.
fn redraw(buf: &mut Buf, render: &[[f32; 3]], subject: &[f32], plan: &Plan, s: f32) {
    let (w, h) = (buf.w, buf.h);
    // The prompt's light, region by region: light varies mostly with
    // height (a glow at the horizon, a darker zenith), so the regions are
    // wide bands — narrow ones would carry the render's own trees across.
    // Light is smooth, so it is worked out on the latent's grid.
    let (theirs, ours) = (latent_bands(render, w, h), latent_bands(&buf.px, w, h));
    let light = Grid::<3>::from_fn(w, h, LATENT, |c, r| {
        let i = r * theirs.w + c;
        std::array::from_fn(|k| theirs.px[i][k] - ours.px[i][k])
    });
    let t_light = REGIONAL_LIGHT * smooth(s / 0.55);
    // Edges redrawn a little off, and shading drawn anew, in latent cells.
    let seed = plan.noise_seed ^ 0x05ed_ed17;
    let noise = |seed: u64, cell: usize| {
        Grid::from_fn(w, h, cell, |c, r| [super::rng::at(seed, c as u32, r as u32) * 2.0 - 1.0])
    };
    let (dx, dy, fine, broad, wide) = (
        noise(seed, LATENT * 2),
        noise(seed ^ 1, LATENT * 2),
        noise(seed ^ 2, LATENT),
        noise(seed ^ 3, LATENT * 4),
        noise(seed ^ 4, LATENT * 8),
    );
    let (wander, shade) = (WANDER * s, shading(plan.style) * s);
    let mut lit = std::mem::take(&mut buf.px);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let t = t_light * (1.0 - subject[i]);
            let d = light.at(x, y);
            (0..3).for_each(|k| lit[i][k] = (lit[i][k] + t * d[k]).clamp(0.0, 255.0));
        }
    }
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let p = sample(&lit, w, h, x as f32 + wander * dx.at(x, y)[0], y as f32 + wander * dy.at(x, y)[0]);
            let d = shade * (0.3 * fine.at(x, y)[0] + 0.5 * broad.at(x, y)[0] + 0.6 * wide.at(x, y)[0]);
            out.push(p.map(|v| (v + d).clamp(0.0, 255.0)));
        }
    }
    buf.px = out;
    // The prompt's medium, as far as the strength lets the model repaint.
    if !matches!(plan.style, crate::recipe::vocab::Style::FlatVector) {
        let before = buf.px.clone();
        super::effects::style(buf, plan);
        let t = smooth(s / REDRAW);
        for (p, b) in buf.px.iter_mut().zip(before) {
            (0..3).for_each(|k| p[k] = b[k] + (p[k] - b[k]) * t);
        }
    }
}

/// A picture's light in wide bands, on the latent's grid: the mean of each
/// `LATENT`² block around every grid node, blurred a quarter of the width
/// across and a 24th of the height down, twice.
fn latent_bands(px: &[[f32; 3]], w: usize, h: usize) -> Buf {
    let (cols, rows) = (w / LATENT + 2, h / LATENT + 2);
    let mut grid = Buf { w: cols, h: rows, px: vec![[0.0; 3]; cols * rows] };
    for r in 0..rows {
        let ys = (r * LATENT).saturating_sub(LATENT / 2).min(h - 1)..(r * LATENT + LATENT / 2).clamp(1, h);
        for c in 0..cols {
            let xs = (c * LATENT).saturating_sub(LATENT / 2).min(w - 1)..(c * LATENT + LATENT / 2).clamp(1, w);
            let (mut sum, mut n) = ([0f32; 3], 0f32);
            for y in ys.clone() {
                for p in &px[y * w + xs.start..y * w + xs.end.max(xs.start + 1)] {
                    (0..3).for_each(|k| sum[k] += p[k]);
                    n += 1.0;
                }
            }
            grid.px[r * cols + c] = sum.map(|v| v / n.max(1.0));
        }
    }
    let (rx, ry) = ((w / 4 / LATENT).max(1), (h / 24 / LATENT).max(1));
    super::effects::box_blur_xy(&mut grid, rx, ry);
    super::effects::box_blur_xy(&mut grid, rx, ry);
    grid
}

/// Values on every `cell`-th pixel (a grid with a node past each edge),
/// read back anywhere by smoothstep interpolation between the four nodes
/// around; the per-column and per-row positions are worked out once.
struct Grid<const N: usize> {
    cols: usize,
    v: Vec<[f32; N]>,
    xs: Vec<(usize, f32)>,
    ys: Vec<(usize, f32)>,
}

impl<const N: usize> Grid<N> {
    fn from_fn(w: usize, h: usize, cell: usize, node: impl Fn(usize, usize) -> [f32; N]) -> Grid<N> {
        let (cols, rows) = (w / cell + 2, h / cell + 2);
        let v = (0..cols * rows).map(|i| node(i % cols, i / cols)).collect();
        let place = |n: usize| (0..n).map(|p| (p / cell, smooth((p % cell) as f32 / cell as f32))).collect();
        Grid { cols, v, xs: place(w), ys: place(h) }
    }

    fn at(&self, x: usize, y: usize) -> [f32; N] {
        let ((cx, fx), (cy, fy)) = (self.xs[x], self.ys[y]);
        let row = cy * self.cols + cx;
        let (a, b, c, d) = (self.v[row], self.v[row + 1], self.v[row + self.cols], self.v[row + self.cols + 1]);
        std::array::from_fn(|k| {
            let top = a[k] + (b[k] - a[k]) * fx;
            let bottom = c[k] + (d[k] - c[k]) * fx;
            top + (bottom - top) * fy
        })
    }
}

/// Bilinear sample of a `w`×`h` buffer, edges clamped.
fn sample(px: &[[f32; 3]], w: usize, h: usize, x: f32, y: f32) -> [f32; 3] {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |xx: usize, yy: usize| px[yy * w + xx];
    let (a, b, c, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
    std::array::from_fn(|k| {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        top + (bottom - top) * fy
    })
}

/// The strength from which the init's shapes are drowned by the noise and
/// the prompt's picture is drawn on its layout (A1111 and diffusers users
/// see the composition let go between ~0.6 and ~0.8).
pub const REDRAW: f32 = 0.7;
/// Share of the init's colour statistics a render just past [`REDRAW`] keeps.
const INIT_COLOURS: f32 = 0.6;
/// Share of the way the init's background moves to the prompt's scene palette at strength ~0.55.
const BACKGROUND_SHIFT: f32 = 0.5;

fn smooth(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// Per-channel mean and standard deviation, weighted.
fn stats(px: &[[f32; 3]], weight: impl Fn(usize) -> f32) -> ([f32; 3], [f32; 3]) {
    let (mut sum, mut sq, mut n) = ([0f64; 3], [0f64; 3], 0f64);
    for (i, p) in px.iter().enumerate() {
        let w = f64::from(weight(i));
        for k in 0..3 {
            sum[k] += w * f64::from(p[k]);
            sq[k] += w * f64::from(p[k]).powi(2);
        }
        n += w;
    }
    let n = n.max(1e-6);
    let mean = sum.map(|v| (v / n) as f32);
    let sd = std::array::from_fn(|k| ((sq[k] / n - (sum[k] / n).powi(2)).max(1.0)).sqrt() as f32);
    (mean, sd)
}

/// Move colours from one set of statistics toward another (Reinhard et al.
/// 2001), by `amount` per pixel.
fn transfer(px: &mut [[f32; 3]], from: ([f32; 3], [f32; 3]), to: ([f32; 3], [f32; 3]), amount: impl Fn(usize) -> f32) {
    for (i, p) in px.iter_mut().enumerate() {
        let t = amount(i);
        if t <= 0.0 {
            continue;
        }
        for k in 0..3 {
            let moved = (p[k] - from.0[k]) / from.1[k] * to.1[k] + to.0[k];
            p[k] = (p[k] + (moved - p[k]) * t).clamp(0.0, 255.0);
        }
    }
}

/// The init's subject: where it is and its colours (main colour first),
/// against the colours around it.
struct SubjectColours {
    w: usize,
    bbox: Option<[usize; 4]>,
    own: Vec<[f32; 3]>,
    around: Vec<[f32; 3]>,
}

impl SubjectColours {
    fn read(init: &RgbImage) -> SubjectColours {
        let (w, h) = (init.width() as usize, init.height() as usize);
        let found = crate::imaging::subject::find(init);
        let none = SubjectColours { w, bbox: None, own: Vec::new(), around: Vec::new() };
        if !found.has_subject() {
            return none;
        }
        let [x0, y0] = [found.x as usize, found.y as usize];
        let [x1, y1] = [(x0 + found.w as usize).min(w), (y0 + found.h as usize).min(h)];
        let (mut own, mut around) = (Vec::new(), Vec::new());
        let (mx, my) = ((x1 - x0) / 5, (y1 - y0) / 5);
        for (x, y, p) in init.enumerate_pixels().step_by(3) {
            let (x, y) = (x as usize, y as usize);
            if x >= x0 + mx && x < x1 - mx && y >= y0 + my && y < y1 - my {
                own.push(analysis::lab(p.0));
            } else if x < x0 || x >= x1 || y < y0 || y >= y1 {
                around.push(analysis::lab(p.0));
            }
        }
        let around: Vec<[f32; 3]> =
            analysis::dominant(&around, 5).into_iter().filter(|c| c.1 > 0.02).map(|c| c.0).collect();
        // A subject colour the surroundings also have is background seen through the box.
        let own: Vec<[f32; 3]> = analysis::dominant(&own, 4)
            .into_iter()
            .filter(|c| c.1 > 0.04 && around.iter().all(|a| analysis::delta_e(*a, c.0) > 12.0))
            .map(|c| c.0)
            .collect();
        if own.is_empty() {
            return none;
        }
        SubjectColours { w, bbox: Some([x0, y0, x1, y1]), own, around }
    }

    /// Whether pixel `i` lies in the subject's box.
    fn in_box(&self, i: usize) -> bool {
        let Some([x0, y0, x1, y1]) = self.bbox else { return false };
        let (x, y) = (i % self.w, i / self.w);
        x >= x0 && x < x1 && y >= y0 && y < y1
    }

    /// How surely a pixel of colour `p` inside the box is the subject's:
    /// nearer its colours than the surroundings'.
    fn membership(&self, p: [f32; 3]) -> f32 {
        let lab = analysis::lab(p.map(|v| v.round().clamp(0.0, 255.0) as u8));
        let d = |set: &[[f32; 3]]| set.iter().map(|c| analysis::delta_e(*c, lab)).fold(f32::MAX, f32::min);
        (0.5 + (d(&self.around) - d(&self.own)) / 12.0).clamp(0.0, 1.0)
    }

    /// The subject's main colour becomes the prompt's body colour and its
    /// second the accent, each pixel keeping its lightness offset from the
    /// colour it is nearest (its shading and detail).
    fn recolour(&self, lab: [f32; 3], targets: &[[f32; 3]; 2]) -> [f32; 3] {
        let nearest = (0..self.own.len())
            .min_by(|a, b| analysis::delta_e(self.own[*a], lab).total_cmp(&analysis::delta_e(self.own[*b], lab)));
        match nearest {
            Some(j) if j < 2 => {
                let keep = [1.0, 0.3, 0.3];
                std::array::from_fn(|k| targets[j][k] + (lab[k] - self.own[j][k]) * keep[k])
            }
            _ => lab,
        }
    }
}

/// Image-to-image draws the prompt's picture on the init's layout: the
/// subject where the init's subject is.
pub fn follow_init_layout(plan: &mut Plan, init: &RgbImage, strength: f32) {
    let found = crate::imaging::subject::find(init);
    if !found.has_subject() {
        return;
    }
    let [x, y, w, h] = found.fraction(init.width(), init.height());
    let target = Frac { x: x as f32, y: y as f32, w: w as f32, h: h as f32 };
    // Past ~0.9 the layout itself starts to go.
    let t = 1.0 - smooth((strength - 0.85) / 0.15) * 0.5;
    plan.subject_box = lerp_box(plan.subject_box, fill(plan, target), t);
    plan.horizon = (plan.subject_box.y + plan.subject_box.h * 0.82).clamp(0.35, 0.85);
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
///
/// Outpainting (`kept` = the key visual's box `[left, top, width, height]`)
/// continues the picture instead of leaning on the canvas's smeared edge:
/// see [`continue_margins`].
pub fn inpaint(out: &mut RgbImage, init: &RgbImage, mask: &GrayImage, blur: u32, kept: Option<[u32; 4]>) {
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
                o.0[k] = super::effects::byte(f32::from(o.0[k]) + shift[k]);
            }
        }
        // Continuity at the seam: within a few pixels of the kept region the
        // repaint leans toward what lies under the mask there (the original
        // when inpainting, the init's edge carried outward when outpainting),
        // fading with the distance to the seam.
        let dist = super::effects::chamfer(
            mask.as_raw().iter().map(|m| *m == 0),
            mask.width() as usize,
            mask.height() as usize,
        );
        if let Some(kept) = kept {
            continue_margins(out, init, mask, &dist, kept);
            return composite(out, init, mask, blur);
        }
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
    composite(out, init, mask, blur);
}

/// Outside the (optionally blurred) mask the init's pixels, inside the render.
fn composite(out: &mut RgbImage, init: &RgbImage, mask: &GrayImage, blur: u32) {
    let (w, h) = out.dimensions();
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

/// Outpainted margins continue the key visual, as an inpainting model that
/// conditions on the visible pixels continues them (SD inpainting
/// checkpoints, A1111 outpainting with "fill" and mask blur, ComfyUI
/// `ImagePadForOutpaint` + `VAEEncodeForInpaint`):
/// - the light and colour field: the margins' low frequencies (a blur of
///   6% of the short side) are moved to the key visual's along its edge —
///   the sky's gradient row by row, the ground's colour — fading over 30%
///   of the short side into the render's own scenery, on pixels of the
///   same kind (a colour cast: the render's tree is not painted sky-grey);
/// - the structure across the seam: within 10% of the short side of it,
///   what the key visual shows at its edge is continued (reflected across
///   the seam: a tree the edge cuts is completed, the horizon carries on),
///   fading into the render's new content.
///
/// Both read `canvas`: the key visual inside `kept`, its edge repeated
/// outward in the margins (what the model is given).
fn continue_margins(out: &mut RgbImage, canvas: &RgbImage, mask: &GrayImage, dist: &[f32], kept: [u32; 4]) {
    let (w, h) = out.dimensions();
    let [left, top, iw, ih] = kept;
    if iw == 0 || ih == 0 {
        return;
    }
    let short = w.min(h) as f32;
    let buf = |img: &RgbImage| Buf {
        w: w as usize,
        h: h as usize,
        px: img.pixels().map(|p| [p.0[0] as f32, p.0[1] as f32, p.0[2] as f32]).collect(),
    };
    let radius = (short * 0.06).round().max(2.0) as usize;
    let mut field = buf(canvas);
    super::effects::box_blur(&mut field, radius);
    let (light_reach, shape_reach) = (short * 0.3, short * 0.1);
    // The key visual's pixel mirrored across its nearest edge.
    let mirror = |v: u32, start: u32, len: u32| -> u32 {
        let end = start + len - 1;
        let m = if v < start {
            start + (start - 1 - v)
        } else if v > end {
            end - (v - end - 1).min(end)
        } else {
            v
        };
        m.clamp(start, end)
    };
    for (i, (x, y, o)) in out.enumerate_pixels_mut().enumerate() {
        if mask.as_raw()[i] == 0 {
            continue;
        }
        let d = dist[i];
        let light = (-d / light_reach).exp();
        let t = (d / shape_reach).clamp(0.0, 1.0);
        let shape = 0.9 * (1.0 - t * t * (3.0 - 2.0 * t));
        // The model takes the key visual's light, not its content: where the
        // render's own pixel differs in kind from the key visual's field (a
        // tree where the edge shows sky: RGB distance past 50), it is left
        // alone; a near colour (another grey of sky) takes the field's.
        let diff: [f32; 3] = std::array::from_fn(|k| field.px[i][k] - f32::from(o.0[k]));
        let apart = ((diff[0] * diff[0] + diff[1] * diff[1] + diff[2] * diff[2]).sqrt() - 25.0) / 25.0;
        let same_kind = 1.0 - apart.clamp(0.0, 1.0);
        let src = canvas.get_pixel(mirror(x, left, iw), mirror(y, top, ih));
        for k in 0..3 {
            let lit = f32::from(o.0[k]) + diff[k] * light * same_kind;
            o.0[k] = super::effects::byte(lit * (1.0 - shape) + f32::from(src.0[k]) * shape);
        }
    }
}

/// Read an identity from a reference image's pixels: the dominant colours
/// of its salient subject, the subject's proportions, and whether its
/// surface is patterned (edge density inside the subject).
pub fn analyse_reference(img: &RgbImage, weight: f32) -> ReferenceIdentity {
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
    // The subject's own colours, small parts included (a scarf, a belly):
    // what a reference of the same character reinforces.
    let found = crate::imaging::subject::find(img);
    let boxed: Vec<[f32; 3]> = if found.has_subject() {
        image::imageops::crop_imm(img, found.x, found.y, found.w, found.h)
            .to_image()
            .pixels()
            .step_by(2)
            .map(|p| analysis::lab(p.0))
            .collect()
    } else {
        labs.clone()
    };
    let subject_palette =
        analysis::dominant(&boxed, 6).into_iter().filter(|c| c.1 > 0.02).map(|c| analysis::lab_to_rgb(c.0)).collect();
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
    let all: Vec<[f32; 3]> = small.pixels().map(|p| analysis::lab(p.0)).collect();
    let mut whole: Vec<[f32; 3]> =
        analysis::dominant(&all, 5).into_iter().filter(|c| c.1 > 0.04).map(|c| c.0).collect();
    whole.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let palette = whole.into_iter().map(analysis::lab_to_rgb).collect();
    ReferenceIdentity {
        body,
        accent,
        aspect: aspect as f32,
        patterned: n > 0 && e as f32 / n as f32 > 0.12,
        weight,
        subject_palette,
        palette,
    }
}
