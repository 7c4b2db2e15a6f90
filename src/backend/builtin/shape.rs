//! Edge conditioning shapes the subject; it never paints over it.
//!
//! Real behaviour imitated (ControlNet canny/lineart/scribble, Zhang et al.
//! 2023; A1111's ControlNet unit): the model draws *the prompt's subject*
//! with its own materials and detail so that its silhouette and part
//! boundaries fall on the map's lines, and the scene around it where the
//! map is empty. Weight 0 ignores the map; a low weight follows position
//! and scale loosely; about 1 follows the contours closely; well above 1
//! over-constrains: shading flattens, detail is lost, colours band and the
//! contours turn into hard outlines. Empty areas of a canny map are a
//! signal too: the model draws little detail there.
//!
//! Here: the map's closed contours (regions that touch no image border) are
//! the subject's silhouette, and stacked regions its parts (the topmost is
//! the head); a long line between the top region and the rest is the
//! horizon. The subject is drawn on a layer of its own, boxed to the
//! silhouette, then warped row by row — part landmarks vertically, each
//! row's extent horizontally — so its drawing fills the contours. Weight
//! interpolates the warp's targets (never the pixels), so no weight shows
//! two images at once.

#![allow(clippy::needless_range_loop)] // numeric kernels index several buffers in step

use image::GrayImage;
use tiny_skia::Pixmap;

use super::effects::{Buf, box_blur, chamfer};
use super::plan::Frac;

/// How strongly an edge control acts, per aspect, from its effective weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strength {
    /// Position and scale of the subject, and the horizon: loose at low weight.
    pub place: f32,
    /// How far the subject's outline is fitted to the contours.
    pub shape: f32,
    /// Over-constraint above weight ~1.15: flattening, banding, hard outlines.
    pub over: f32,
}

impl Strength {
    pub fn of(weight: f32) -> Strength {
        let x = (weight / 0.7).clamp(0.0, 1.0);
        Strength {
            place: x * x * (3.0 - 2.0 * x),
            shape: ((weight - 0.25) / 0.65).clamp(0.0, 1.0),
            over: ((weight - 1.15) / 0.85).clamp(0.0, 1.0),
        }
    }
}

/// How closely a kind of line map is followed at the same weight: canny
/// edges and line art are precise contours; a scribble ControlNet is
/// trained on rough strokes and follows them loosely (lllyasviel's
/// ControlNet 1.1 notes), here as edges at 0.75 of the weight.
pub fn looseness(kind: crate::recipe::ControlKind) -> f32 {
    if kind == crate::recipe::ControlKind::Scribble { 0.75 } else { 1.0 }
}

/// What an edge map says about a layout.
#[derive(Debug, Clone)]
pub struct EdgeLayout {
    w: usize,
    h: usize,
    /// The map's lines (light on dark, or dark on light).
    line: Vec<bool>,
    /// Each pixel's distance to the nearest line (chamfer, px).
    dist: Vec<f32>,
    /// Inside a closed contour, the contour's own line included.
    inside: Vec<bool>,
    /// The silhouette's parts, top part first when they are stacked (a head
    /// over a body); one part otherwise.
    parts: Vec<Part>,
    /// The silhouette's box, in fractions.
    pub bbox: Option<Frac>,
    /// A line from the top region to the rest, outside the silhouette (fraction of the height).
    pub horizon: Option<f32>,
}

/// One part of a silhouette: per image row, its extent (first, last x).
#[derive(Debug, Clone)]
struct Part {
    rows: Vec<Option<(f32, f32)>>,
    top: f32,
    bottom: f32,
}

impl Part {
    fn of(member: impl Fn(usize) -> bool, w: usize, h: usize) -> Option<Part> {
        let rows: Vec<Option<(f32, f32)>> = (0..h)
            .map(|y| {
                let first = (0..w).find(|&x| member(y * w + x))?;
                let last = (0..w).rev().find(|&x| member(y * w + x))?;
                Some((first as f32, last as f32))
            })
            .collect();
        let top = rows.iter().position(Option::is_some)?;
        let bottom = rows.iter().rposition(Option::is_some)?;
        Some(Part { rows, top: top as f32, bottom: bottom as f32 + 1.0 })
    }
}

/// Largest share of the image a silhouette may cover: beyond it the map is a
/// dense scene (a canny of a photograph), not a subject's contour.
const MAX_SILHOUETTE: f32 = 0.6;

/// How far (px) a contour's line belongs to the region it bounds.
const LINE_REACH: usize = 3;

impl EdgeLayout {
    pub fn read(img: &GrayImage) -> EdgeLayout {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let n = w * h;
        let mean = img.pixels().map(|p| f32::from(p.0[0])).sum::<f32>() / n.max(1) as f32;
        let line: Vec<bool> = img.pixels().map(|p| if mean < 128.0 { p.0[0] >= 128 } else { p.0[0] < 128 }).collect();
        let (label, regions) = label_regions(&line, w, h);
        // A region that touches no border lies inside a closed contour.
        let interior = |r: u32| r != u32::MAX && !regions[r as usize].border;
        // The pixels of regions `f` accepts, and the line pixels within
        // LINE_REACH of one (a square dilation: linear, whatever the reach).
        let with_line = |f: &dyn Fn(u32) -> bool| -> Vec<bool> {
            let own: Vec<bool> = label.iter().map(|&l| f(l)).collect();
            let near = dilate(&own, w, h, LINE_REACH);
            own.iter().zip(&near).zip(&line).map(|((o, n), l)| *o || (*l && *n)).collect()
        };
        let mut inside: Vec<bool> = with_line(&interior);
        let covered = inside.iter().filter(|v| **v).count();
        if covered as f32 > MAX_SILHOUETTE * n as f32 {
            inside.iter_mut().for_each(|v| *v = false);
        }
        let whole = Part::of(|i| inside[i], w, h);
        let parts = match (&whole, stacked_top(&regions, covered)) {
            (Some(_), Some(top)) => {
                let upper = |r: u32| r == top;
                let lower = |r: u32| interior(r) && r != top;
                let (near_upper, near_lower) = (with_line(&upper), with_line(&lower));
                let head = Part::of(|i| inside[i] && near_upper[i], w, h);
                let body = Part::of(|i| inside[i] && label[i] != top && (label[i] != u32::MAX || near_lower[i]), w, h);
                head.zip(body).map_or_else(|| whole.iter().cloned().collect(), |(a, b)| vec![a, b])
            }
            (Some(p), None) => vec![p.clone()],
            (None, _) => Vec::new(),
        };
        let bbox = whole.map(|p| {
            let (x0, x1) = p.rows.iter().flatten().fold((f32::MAX, 0f32), |(a, z), (f, l)| (a.min(*f), z.max(*l)));
            Frac {
                x: x0 / w as f32,
                y: p.top / h as f32,
                w: (x1 - x0 + 1.0) / w as f32,
                h: (p.bottom - p.top) / h as f32,
            }
        });
        let horizon = horizon(&label, &regions, &line, w, h, bbox);
        let dist = chamfer(line.iter().copied(), w, h);
        EdgeLayout { w, h, line, dist, inside, parts, bbox, horizon }
    }
}

#[derive(Debug, Clone, Copy)]
struct Region {
    size: usize,
    border: bool,
    top: bool,
    y0: usize,
    y1: usize,
    sum_y: f64,
}

/// 4-connected regions of the non-line pixels.
fn label_regions(line: &[bool], w: usize, h: usize) -> (Vec<u32>, Vec<Region>) {
    let mut label = vec![u32::MAX; w * h];
    let mut regions = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if line[start] || label[start] != u32::MAX {
            continue;
        }
        let id = regions.len() as u32;
        let mut r = Region { size: 0, border: false, top: false, y0: usize::MAX, y1: 0, sum_y: 0.0 };
        label[start] = id;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            r.size += 1;
            r.sum_y += y as f64;
            r.y0 = r.y0.min(y);
            r.y1 = r.y1.max(y);
            r.top |= y == 0;
            r.border |= x == 0 || y == 0 || x + 1 == w || y + 1 == h;
            for j in crate::imaging::neighbours4(i, w, h) {
                if !line[j] && label[j] == u32::MAX {
                    label[j] = id;
                    stack.push(j);
                }
            }
        }
        regions.push(r);
    }
    (label, regions)
}

/// Whether any pixel within the square of radius `r` around each pixel is
/// set: a row pass then a column pass of running counts.
fn dilate(mask: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let window = |get: &dyn Fn(usize) -> bool, len: usize, out: &mut dyn FnMut(usize, bool)| {
        let mut count = (0..r.min(len)).filter(|&k| get(k)).count();
        for k in 0..len {
            if k + r < len && get(k + r) {
                count += 1;
            }
            if k > r && get(k - r - 1) {
                count -= 1;
            }
            out(k, count > 0);
        }
    };
    let mut rows = vec![false; w * h];
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        window(&|x| row[x], w, &mut |x, v| rows[y * w + x] = v);
    }
    let mut out = vec![false; w * h];
    for x in 0..w {
        window(&|y| rows[y * w + x], h, &mut |y, v| out[y * w + x] = v);
    }
    out
}

/// The topmost of the silhouette's sizeable enclosed regions, when it sits
/// above the others (a head over a body).
fn stacked_top(regions: &[Region], covered: usize) -> Option<u32> {
    let mut parts: Vec<(u32, &Region)> = regions
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.border && r.size as f32 >= 0.08 * covered as f32)
        .map(|(i, r)| (i as u32, r))
        .collect();
    let centre = |r: &Region| r.sum_y / r.size as f64;
    parts.sort_by(|a, b| centre(a.1).total_cmp(&centre(b.1)));
    let ((id, upper), (_, lower)) = (parts.first()?, parts.get(1)?);
    // Stacked: the upper part's centre lies above the lower part's top.
    (centre(upper) < lower.y0 as f64).then_some(*id)
}

/// The horizon: where the region touching the top ends, over the columns
/// clear of the silhouette, when a line runs there across most of them.
fn horizon(label: &[u32], regions: &[Region], line: &[bool], w: usize, h: usize, bbox: Option<Frac>) -> Option<f32> {
    let clear =
        |x: usize| bbox.is_none_or(|b| (x as f32) < b.x * w as f32 - 2.0 || x as f32 > (b.x + b.w) * w as f32 + 2.0);
    let mut ends = Vec::new();
    let mut columns = 0usize;
    for x in (0..w).filter(|&x| clear(x)) {
        columns += 1;
        let sky = (0..h).take_while(|&y| {
            let l = label[y * w + x];
            line[y * w + x] || (l != u32::MAX && regions[l as usize].top)
        });
        let end = sky.last().map_or(0, |y| y + 1);
        if end > h / 10 && end < h * 19 / 20 {
            ends.push(end as f32);
        }
    }
    if columns == 0 || (ends.len() as f32) < 0.6 * columns as f32 {
        return None;
    }
    ends.sort_by(f32::total_cmp);
    Some(ends[ends.len() / 2] / h as f32)
}

/// Premultiplied RGBA in floats.
type Px = [f32; 4];

fn sample(px: &[Px], w: usize, h: usize, x: f32, y: f32) -> Px {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let (a, b, c, d) = (px[y0 * w + x0], px[y0 * w + x1], px[y1 * w + x0], px[y1 * w + x1]);
    std::array::from_fn(|k| {
        let top = a[k] + (b[k] - a[k]) * fx;
        let bottom = c[k] + (d[k] - c[k]) * fx;
        top + (bottom - top) * fy
    })
}

/// Fit the subject drawn on `layer` (boxed to the silhouette already) to the
/// map's contours. `neck` is where the subject's head ends on the layer (in
/// pixels), for characters: with stacked parts in the map, the head fills
/// the top part and the rest of the subject the others.
pub fn fit(layer: &mut Pixmap, map: &EdgeLayout, s: Strength, neck: Option<f32>) {
    let (w, h) = (layer.width() as usize, layer.height() as usize);
    if w != map.w || h != map.h || s.shape <= 0.0 || map.parts.is_empty() {
        return;
    }
    let src: Vec<Px> = layer
        .pixels()
        .iter()
        .map(|p| [f32::from(p.red()), f32::from(p.green()), f32::from(p.blue()), f32::from(p.alpha())])
        .collect();
    let spans: Vec<Option<(f32, f32)>> = (0..h)
        .map(|y| {
            let row = &src[y * w..(y + 1) * w];
            let first = row.iter().position(|p| p[3] > 32.0)?;
            let last = row.iter().rposition(|p| p[3] > 32.0)?;
            Some((first as f32, last as f32))
        })
        .collect();
    let (Some(top), Some(bottom)) = (spans.iter().position(Option::is_some), spans.iter().rposition(Option::is_some))
    else {
        return;
    };
    let (top, bottom) = (top as f32, bottom as f32 + 1.0);
    // The subject's bands, paired with the map's parts (lower parts first, so the head is drawn over them).
    let bands: Vec<((f32, f32), &Part)> = match (map.parts.as_slice(), neck) {
        ([head, body], Some(n)) if n > top + 2.0 && n < bottom - 2.0 => vec![((n, bottom), body), ((top, n), head)],
        _ => {
            let whole = map.parts.iter().fold((f32::MAX, 0f32), |(a, b), p| (a.min(p.top), b.max(p.bottom)));
            let rows: Vec<Option<(f32, f32)>> = (0..h)
                .map(|y| map.parts.iter().filter_map(|p| p.rows[y]).reduce(|(a, b), (c, d)| (a.min(c), b.max(d))))
                .collect();
            return fit_bands(
                layer,
                &src,
                &spans,
                &[((top, bottom), &Part { rows, top: whole.0, bottom: whole.1 })],
                s,
                map,
            );
        }
    };
    fit_bands(layer, &src, &spans, &bands, s, map);
}

fn fit_bands(
    layer: &mut Pixmap,
    src: &[Px],
    spans: &[Option<(f32, f32)>],
    bands: &[((f32, f32), &Part)],
    s: Strength,
    map: &EdgeLayout,
) {
    let (w, h) = (map.w, map.h);
    // A row of the layer with nothing on it (a gap between parts) borrows the nearest drawn row of its band.
    let span_near = |y: f32, (lo, hi): (f32, f32)| -> Option<(f32, f32, f32)> {
        let y0 = y.round().clamp(lo, (hi - 1.0).max(lo)).clamp(0.0, (h - 1) as f32) as usize;
        (0..h / 20 + 1).find_map(|d| {
            [y0.checked_sub(d), Some(y0 + d).filter(|v| *v < h)]
                .into_iter()
                .flatten()
                .find_map(|yy| spans[yy].map(|(a, b)| (a, b, yy as f32 + (y - y0 as f32))))
        })
    };
    let mut out = vec![[0f32; 4]; w * h];
    for &((l0, l1), part) in bands {
        let (t0, t1) = (l0 + (part.top - l0) * s.shape, l1 + (part.bottom - l1) * s.shape);
        for y in t0.floor().max(0.0) as usize..(t1.ceil().max(0.0) as usize).min(h) {
            let u = ((y as f32 + 0.5 - t0) / (t1 - t0).max(1.0)).clamp(0.0, 1.0);
            let ys = l0 + u * (l1 - l0) - 0.5;
            let ym = part.top + u * (part.bottom - part.top) - 0.5;
            let Some((a0, a1, ys)) = span_near(ys, (l0, l1)) else { continue };
            let mine = part.rows.get(ym.round().max(0.0) as usize).copied().flatten().unwrap_or((a0, a1));
            let (o0, o1) = (a0 + (mine.0 - a0) * s.shape, a1 + (mine.1 - a1) * s.shape);
            let scale = (a1 - a0) / (o1 - o0).max(1.0);
            for x in o0.round().max(0.0) as usize..=(o1.round().max(0.0) as usize).min(w - 1) {
                let p = sample(src, w, h, a0 + (x as f32 - o0) * scale, ys);
                if p[3] > 0.0 {
                    out[y * w + x] = p;
                }
            }
        }
    }
    soften_unlined(&mut out, map, s.shape);
    if s.over > 0.0 {
        over_constrain(&mut out, map, s.over);
    }
    // Where the subject meets a contour, the line is its outline in its own
    // colours darkened: faint at weight 1, hard when over-constrained.
    let dark = 0.25 * s.shape + 0.45 * s.over;
    for (i, p) in out.iter_mut().enumerate() {
        if map.line[i] && map.inside[i] {
            p[..3].iter_mut().for_each(|v| *v *= 1.0 - dark);
        }
    }
    for (p, o) in layer.pixels_mut().iter_mut().zip(&out) {
        let a = super::effects::byte(o[3]);
        let c = |v: f32| super::effects::byte(v).min(a);
        *p = tiny_skia::PremultipliedColorU8::from_rgba(c(o[0]), c(o[1]), c(o[2]), a)
            .unwrap_or(tiny_skia::PremultipliedColorU8::TRANSPARENT);
    }
}

/// A premultiplied layer's colour and coverage, each box-blurred at radius
/// `r`: dividing one by the other gives the surroundings' mean colour
/// without the transparent pixels darkening it.
fn blurred(px: &[Px], w: usize, h: usize, r: usize) -> (Buf, Buf) {
    let mut colour = Buf { w, h, px: px.iter().map(|p| [p[0], p[1], p[2]]).collect() };
    let mut cover = Buf { w, h, px: px.iter().map(|p| [p[3]; 3]).collect() };
    box_blur(&mut colour, r);
    box_blur(&mut cover, r);
    (colour, cover)
}

/// Inside the silhouette, away from the map's lines, a canny control asks
/// for no edges: the subject's fine detail (pattern, small marks) keeps its
/// place and colour at lower contrast; its large parts stay distinct.
fn soften_unlined(px: &mut [Px], map: &EdgeLayout, shape: f32) {
    let (w, h) = (map.w, map.h);
    let r = ((w.min(h) as f32) * 0.01).round().max(1.0) as usize;
    let (coarse, cover) = blurred(px, w, h, r);
    let dist = &map.dist;
    let reach = (w.min(h) as f32 * 0.012).max(2.0);
    for (i, (p, (c, a))) in px.iter_mut().zip(coarse.px.iter().zip(&cover.px)).enumerate() {
        if p[3] <= 0.0 || a[0] <= 0.0 {
            continue;
        }
        let keep = 1.0 - DETAIL_LOSS * shape * (dist[i] / reach - 0.5).clamp(0.0, 1.0);
        for k in 0..3 {
            // The blur spreads transparent pixels in: the coarse colour is
            // un-premultiplied by the blurred coverage, then by this pixel's.
            let base = (c[k] / a[0] * p[3]).min(p[3]);
            p[k] = base + (p[k] - base) * keep;
        }
    }
}

/// Share of the fine detail's contrast lost where a weight-1 canny map has no line.
const DETAIL_LOSS: f32 = 0.6;

/// Weight well above 1: shading flattens (each colour pulled toward its
/// surroundings' mean, so contrast inside the subject drops), colours band
/// into few levels, fine detail is lost.
fn over_constrain(px: &mut [Px], map: &EdgeLayout, over: f32) {
    let (w, h) = (map.w, map.h);
    let r = ((w.min(h) as f32) * 0.03).round().max(1.0) as usize;
    let (flat, cover) = blurred(px, w, h, r);
    let levels = 24.0 - 18.0 * over;
    let step = 255.0 / (levels - 1.0);
    for (p, (f, c)) in px.iter_mut().zip(flat.px.iter().zip(&cover.px)) {
        if p[3] <= 0.0 || c[0] <= 0.0 {
            continue;
        }
        let a = p[3] / 255.0;
        for k in 0..3 {
            let own = p[k] / a;
            let mean = f[k] / c[0] * 255.0;
            let straight = own + (mean - own) * FLATTEN * over;
            p[k] = ((straight / step).round() * step).min(255.0) * a;
        }
    }
}

/// Share of the shading contrast an over-constrained map (weight 2) flattens.
const FLATTEN: f32 = 0.6;

/// The scene where the map is empty: the model draws little detail there,
/// so the scene keeps its colour masses and loses its small shapes; along
/// the map's lines (the horizon) it stays sharp.
pub fn calm_background(pix: &mut Pixmap, map: &EdgeLayout, s: Strength) {
    let (w, h) = (pix.width() as usize, pix.height() as usize);
    if s.shape <= 0.0 || w != map.w || h != map.h {
        return;
    }
    let mut buf = Buf::from_rgba(pix.data(), w, h);
    let orig = buf.px.clone();
    let r = ((w.min(h) as f32) * 0.012).round().max(1.0) as usize;
    box_blur(&mut buf, r);
    box_blur(&mut buf, r);
    let dist = &map.dist;
    let reach = (w.min(h) as f32 * 0.012).max(2.0);
    for (i, ((d, b), o)) in pix.data_mut().chunks_exact_mut(4).zip(&buf.px).zip(&orig).enumerate() {
        let t = s.shape * (dist[i] / reach - 0.5).clamp(0.0, 1.0);
        for k in 0..3 {
            d[k] = super::effects::byte(o[k] + (b[k] - o[k]) * t);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dilation_reaches_exactly_the_square_radius() {
        let (w, h) = (9, 7);
        let mut mask = vec![false; w * h];
        mask[3 * w + 4] = true;
        let d = super::dilate(&mask, w, h, 2);
        for y in 0..h {
            for x in 0..w {
                let inside = (2..=6).contains(&x) && (1..=5).contains(&y);
                assert_eq!(d[y * w + x], inside, "({x}, {y})");
            }
        }
    }
}
