//! Thin helpers over tiny-skia: fill and stroke shapes in solid colours or
//! gradients. Everything the renderer draws goes through these.

use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Mask, Paint, Path, PathBuilder, Pixmap, Point, RadialGradient, Rect,
    Shader, SpreadMode, Stroke, Transform,
};

use super::plan::Rgb;

pub fn color(c: Rgb, alpha: f32) -> Color {
    Color::from_rgba8(c[0], c[1], c[2], (alpha.clamp(0.0, 1.0) * 255.0).round() as u8)
}

pub fn solid(c: Rgb, alpha: f32) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(color(c, alpha));
    p.anti_alias = true;
    p
}

pub fn linear(x0: f32, y0: f32, x1: f32, y1: f32, stops: &[(f32, Rgb, f32)]) -> Paint<'static> {
    let first = stops.first().map_or(Color::BLACK, |(_, c, a)| color(*c, *a));
    let stops: Vec<GradientStop> = stops.iter().map(|(t, c, a)| GradientStop::new(*t, color(*c, *a))).collect();
    let shader = LinearGradient::new(
        Point::from_xy(x0, y0),
        Point::from_xy(x1, y1),
        stops,
        SpreadMode::Pad,
        Transform::identity(),
    )
    .unwrap_or(Shader::SolidColor(first));
    Paint { shader, anti_alias: true, ..Paint::default() }
}

pub fn radial(cx: f32, cy: f32, r: f32, stops: &[(f32, Rgb, f32)]) -> Paint<'static> {
    let first = stops.first().map_or(Color::BLACK, |(_, c, a)| color(*c, *a));
    let stops: Vec<GradientStop> = stops.iter().map(|(t, c, a)| GradientStop::new(*t, color(*c, *a))).collect();
    let shader = RadialGradient::new(
        Point::from_xy(cx, cy),
        0.0,
        Point::from_xy(cx, cy),
        r.max(0.001),
        stops,
        SpreadMode::Pad,
        Transform::identity(),
    )
    .unwrap_or(Shader::SolidColor(first));
    Paint { shader, anti_alias: true, ..Paint::default() }
}

pub fn rect(x: f32, y: f32, w: f32, h: f32) -> Option<Path> {
    Rect::from_xywh(x, y, w.max(0.001), h.max(0.001)).map(PathBuilder::from_rect)
}

pub fn ellipse(cx: f32, cy: f32, rx: f32, ry: f32) -> Option<Path> {
    Rect::from_xywh(cx - rx, cy - ry, (2.0 * rx).max(0.001), (2.0 * ry).max(0.001)).and_then(PathBuilder::from_oval)
}

pub fn rounded(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<Path> {
    let r = r.min(w / 2.0).min(h / 2.0).max(0.0);
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
    pb.finish()
}

pub fn poly(points: &[(f32, f32)]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    pb.close();
    pb.finish()
}

/// An open polyline (for strokes).
pub fn line(points: &[(f32, f32)]) -> Option<Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    pb.finish()
}

/// A smooth closed shape through points (Catmull-Rom turned into cubics).
pub fn blob(points: &[(f32, f32)]) -> Option<Path> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let mut pb = PathBuilder::new();
    pb.move_to(points[0].0, points[0].1);
    for i in 0..n {
        let p0 = points[(i + n - 1) % n];
        let p1 = points[i];
        let p2 = points[(i + 1) % n];
        let p3 = points[(i + 2) % n];
        let c1 = (p1.0 + (p2.0 - p0.0) / 6.0, p1.1 + (p2.1 - p0.1) / 6.0);
        let c2 = (p2.0 - (p3.0 - p1.0) / 6.0, p2.1 - (p3.1 - p1.1) / 6.0);
        pb.cubic_to(c1.0, c1.1, c2.0, c2.1, p2.0, p2.1);
    }
    pb.close();
    pb.finish()
}

/// A quadratic curve stroke.
pub fn curve(a: (f32, f32), ctrl: (f32, f32), b: (f32, f32)) -> Option<Path> {
    let mut pb = PathBuilder::new();
    pb.move_to(a.0, a.1);
    pb.quad_to(ctrl.0, ctrl.1, b.0, b.1);
    pb.finish()
}

/// Drawing surface with a current transform (for subjects drawn in a unit box).
pub struct Canvas<'a> {
    pub pix: &'a mut Pixmap,
    pub ts: Transform,
    pub mask: Option<&'a Mask>,
}

impl<'a> Canvas<'a> {
    pub fn new(pix: &'a mut Pixmap) -> Self {
        Canvas { pix, ts: Transform::identity(), mask: None }
    }

    pub fn fill(&mut self, path: Option<Path>, paint: &Paint<'_>) {
        if let Some(p) = path {
            self.pix.fill_path(&p, paint, FillRule::Winding, self.ts, self.mask);
        }
    }

    pub fn fill_c(&mut self, path: Option<Path>, c: Rgb, alpha: f32) {
        self.fill(path, &solid(c, alpha));
    }

    pub fn stroke(&mut self, path: Option<Path>, c: Rgb, alpha: f32, width: f32) {
        if let Some(p) = path {
            let stroke = Stroke {
                width,
                line_cap: tiny_skia::LineCap::Round,
                line_join: tiny_skia::LineJoin::Round,
                ..Stroke::default()
            };
            self.pix.stroke_path(&p, &solid(c, alpha), &stroke, self.ts, self.mask);
        }
    }
}
