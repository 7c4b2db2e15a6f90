//! From prompt, seed and settings to a concrete picture plan: which subject
//! with which identity, where, in which scene, light and style.
//!
//! This is where the renderer teaches: attributes the prompt pins down are
//! kept (with a little seed jitter); attributes it leaves open come from a
//! hash of the seed *and the whole prompt*, so editing the scene words
//! changes an under-specified character, as it does with real models.

#![allow(clippy::needless_range_loop)] // numeric kernels index several buffers in step

use std::collections::BTreeSet;

use super::rng::{Rng, hash};
use crate::imaging::color::{from_hsl, to_hsl};
use crate::recipe::prompt::{Parsed, TermKind};
use crate::recipe::vocab::*;

pub type Rgb = [u8; 3];

/// A box in fractions of the image (x, y, w, h).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frac {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Frac {
    pub fn intersects(&self, o: &Frac) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// Share of a reference's lightest colour that leaks into a plain backdrop
/// at weight 1 (IP-Adapter carries the reference's palette and background
/// into the image in proportion to its weight).
const REFERENCE_LEAK: f32 = 0.45;

/// How far a bled colour moves toward the colour that bled into it.
const BLEED_SHARE: f32 = 0.55;

/// Extra guidance per unit of emphasis past the limit (`(word:2)` overcooks
/// like cfg +4).
const EMPHASIS_BURN: f32 = 8.0;

/// Identity as read from a reference image.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceIdentity {
    pub body: Rgb,
    pub accent: Rgb,
    /// Subject box aspect (w / h) of the reference.
    pub aspect: f32,
    pub patterned: bool,
    pub weight: f32,
    /// The reference subject's dominant colours.
    pub subject_palette: Vec<Rgb>,
    /// The whole reference's dominant colours, darkest first.
    pub palette: Vec<Rgb>,
}

impl ReferenceIdentity {
    /// A colour pulled toward the reference's nearest colour, by weight:
    /// its subject's colours first (within ΔE00 20: identity), else the
    /// whole image's (within 30: palette and background leak).
    pub fn snap(&self, c: Rgb, weight: f32) -> Rgb {
        use crate::imaging::analysis::{delta_e, lab};
        let nearest =
            |set: &[Rgb]| set.iter().map(|p| (delta_e(lab(*p), lab(c)), *p)).min_by(|a, b| a.0.total_cmp(&b.0));
        let target = match (nearest(&self.subject_palette), nearest(&self.palette)) {
            (Some((d, p)), _) if d < 20.0 => Some(p),
            (_, Some((d, p))) if d < 30.0 => Some(p),
            _ => None,
        };
        target.map_or(c, |p| crate::imaging::color::mix(c, p, weight))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub subject: Subject,
    pub body: Rgb,
    pub accent: Rgb,
    pub pattern: Pattern,
    pub accessory: Accessory,
    /// Colour of the accessory (the accent unless the prompt names one).
    pub accessory_color: Rgb,
    pub proportions: Proportions,
    pub eyes: Eyes,
    pub scene: Scene,
    pub lighting: Lighting,
    pub style: Style,
    /// Subject box in fractions of the image.
    pub subject_box: Frac,
    /// Ground line in fractions of the height.
    pub horizon: f32,
    /// Areas to keep calm (copy space, text-safe regions).
    pub calm: Vec<Frac>,
    /// A reference's colour leaking into the backdrop, and how much.
    pub leak: Option<(Rgb, f32)>,
    /// Elements removed by the negative prompt.
    pub removed: BTreeSet<&'static str>,
    /// Seed for background details (changes with steps on ancestral samplers).
    pub detail_seed: u64,
    /// Seed for per-pixel noise.
    pub noise_seed: u64,
    /// Arms and legs posed by an OpenPose skeleton (characters only).
    pub limbs: Vec<Limb>,
    /// Guidance added by overcooking: emphasis past the limit, a LoRA past
    /// its weight (artefacts like a too-high cfg).
    pub burn: f32,
}

impl Plan {
    pub fn has(&self, element: &str) -> bool {
        !self.removed.contains(element)
    }
}

/// One arm or leg: its joints from the body outward (shoulder, elbow,
/// wrist; hip, knee, ankle) in fractions of the image, and how closely the
/// drawing follows them (the pose control's strength, 0–1).
#[derive(Debug, Clone, PartialEq)]
pub struct Limb {
    pub arm: bool,
    pub joints: Vec<(f32, f32)>,
    pub follow: f32,
}

/// The knobs that shape a plan besides the prompt.
pub struct Settings<'a> {
    pub seed: u64,
    pub steps: u32,
    pub cfg: f32,
    pub sampler: &'a str,
    pub aspect: f32,
    pub model: &'a super::model::Model,
}

/// Chance that a pinned attribute is ignored: low cfg loosens adherence;
/// a weight above 1 holds it tighter.
fn ignore_chance(cfg: f32, weight: f32) -> f32 {
    let loose = ((4.5 - cfg) / 4.5).clamp(0.0, 1.0) * 0.7;
    loose / (weight * weight).max(0.25)
}

/// How far a named colour wanders from its table value: a colour word is a
/// family, not a value (real models render "teal" as many teals: measured
/// across seeds, ΔE00 of several units), so an exact brand colour needs an
/// image — a reference or an init — not a word. Hue ±8°, saturation ±0.06,
/// lightness ±0.05.
const NAMED_COLOUR_SPREAD: f32 = 2.0;

fn jitter(c: Rgb, rng: &mut Rng, amount: f32) -> Rgb {
    let (h, s, l) = to_hsl(c);
    from_hsl(
        h + rng.range(-4.0, 4.0) * amount,
        s + rng.range(-0.03, 0.03) * amount,
        l + rng.range(-0.025, 0.025) * amount,
    )
}

pub fn plan(
    written: &Parsed,
    negative: &Parsed,
    prompt: &str,
    s: &Settings<'_>,
    reference: Option<&ReferenceIdentity>,
) -> Plan {
    // The prompt as the model reads it: weights are what reaches the image.
    let (read, overemphasis) = s.model.read(written);
    let parsed = &read;
    let seed_bytes = s.seed.to_le_bytes();
    let normalized = prompt.trim().to_lowercase();
    // Unpinned attributes: seed + whole prompt (entanglement).
    let mut open = Rng::new(hash(&[b"open", &seed_bytes, normalized.as_bytes()]));
    // Pinned attributes' jitter: seed only, so a full character sheet holds across scenes.
    let mut pinned = Rng::new(hash(&[b"pinned", &seed_bytes]));
    // Low-cfg adherence decisions.
    let mut loose = Rng::new(hash(&[b"loose", &seed_bytes, normalized.as_bytes()]));
    let steps_bytes = if is_ancestral(s.sampler) { s.steps.to_le_bytes() } else { [0; 4] };
    let detail_seed = hash(&[b"detail", &seed_bytes, &steps_bytes, normalized.as_bytes()]);
    let noise_seed = hash(&[b"noise", &seed_bytes, &steps_bytes]);

    // Very low cfg can swap what went where.
    let swap_colors = s.cfg < 2.5 && loose.chance(0.5);
    let mut keep = |w: f32| !loose.chance(ignore_chance(s.cfg, w) + s.model.drop_chance(w));

    let subject = parsed
        .best(|k| if let TermKind::Subject(x) = k { Some(*x) } else { None })
        .map(|(x, _)| x)
        .unwrap_or_else(|| open.pick(&SUBJECTS.iter().map(|s| s.subject).collect::<Vec<_>>()));
    let info = subject.info();

    // Colours: tied to a body or accent word when one follows in the same chunk.
    let mut body_c: Option<(Rgb, f32)> = None;
    let mut accent_c: Option<(Rgb, f32)> = None;
    let mut accessory_c: Option<(Rgb, f32)> = None;
    let mut loose_colors: Vec<(Rgb, f32)> = Vec::new();
    // Where each part's colour word sits in the encoder's tokens (body, accent, accessory).
    let mut tokens: [Option<u32>; 3] = [None; 3];
    for (i, t) in parsed.terms.iter().enumerate() {
        let TermKind::Color(c) = t.kind else { continue };
        let next = parsed.terms[i + 1..]
            .iter()
            .take_while(|n| n.chunk == t.chunk)
            .find(|n| !matches!(n.kind, TermKind::Neutral | TermKind::Color(_)));
        let part = match next.map(|n| n.kind) {
            Some(TermKind::BodyWord | TermKind::Subject(_)) if body_c.is_none() => Some(0),
            Some(TermKind::AccentWord) if accent_c.is_none() => Some(1),
            // A product has no accessories: "cap" on a bottle is its cap (its accent part), as on a real model.
            Some(TermKind::Accessory(_)) if info.class == SubjectClass::Product && accent_c.is_none() => Some(1),
            Some(TermKind::Accessory(_)) if accessory_c.is_none() => Some(2),
            _ => None,
        };
        match part {
            Some(k) => {
                *[&mut body_c, &mut accent_c, &mut accessory_c][k] = Some((c, t.weight));
                tokens[k] = Some(t.token);
            }
            None => loose_colors.push((c, t.weight)),
        }
    }
    let mut loose_iter = loose_colors.into_iter();
    let body_c = body_c.or_else(|| loose_iter.next());
    let accent_c = accent_c.or_else(|| loose_iter.next());

    let random_color = |rng: &mut Rng, base: Rgb| {
        let (h, sat, l) = to_hsl(base);
        if rng.chance(0.5) {
            from_hsl(
                h + rng.range(-40.0, 40.0),
                (sat + rng.range(-0.2, 0.2)).clamp(0.15, 0.95),
                (l + rng.range(-0.15, 0.15)).clamp(0.2, 0.85),
            )
        } else {
            let (_, c) = COLORS[rng.below(COLORS.len())];
            c
        }
    };
    let mut body: Rgb = match body_c {
        Some((c, w)) if keep(w) => jitter(c, &mut pinned, NAMED_COLOUR_SPREAD),
        _ => random_color(&mut open, info.colors[0]),
    };
    let mut accent = match accent_c {
        Some((c, w)) if keep(w) => jitter(c, &mut pinned, NAMED_COLOUR_SPREAD),
        _ => random_color(&mut open, info.colors[1]),
    };
    let mut accessory_color = match accessory_c {
        Some((c, w)) if keep(w) => jitter(c, &mut pinned, NAMED_COLOUR_SPREAD),
        _ => accent,
    };
    if swap_colors {
        std::mem::swap(&mut body, &mut accent);
    }
    // Colour bleed: two colours a CLIP chunk reads together leak into each
    // other's parts ("orange fox, teal scarf" gives a teal-tinged fox or an
    // orange scarf); BREAK, or a per-shot prompt, keeps them apart.
    let mut bleed = Rng::new(hash(&[b"bleed", &seed_bytes, normalized.as_bytes()]));
    let colours = [&mut body, &mut accent, &mut accessory_color];
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let (Some(ta), Some(tb)) = (tokens[a], tokens[b]) else { continue };
        if s.model.same_chunk(ta, tb) && bleed.chance(s.model.bleed) {
            // The colour named first bleeds into the part named later.
            let (from, to) = if ta <= tb { (a, b) } else { (b, a) };
            *colours[to] = crate::imaging::color::mix(*colours[to], *colours[from], BLEED_SHARE);
        }
    }

    macro_rules! attribute {
        ($variant:ident, $table:expr) => {{
            let pinned_value = parsed.best(|k| if let TermKind::$variant(x) = k { Some(*x) } else { None });
            match pinned_value {
                Some((x, w)) if keep(w) => Some(x),
                _ => None,
            }
        }};
    }
    let pattern = attribute!(Pattern, PATTERNS).unwrap_or_else(|| {
        if open.chance(0.5) { Pattern::Plain } else { open.pick(&[Pattern::Stripes, Pattern::Spots, Pattern::Checks]) }
    });
    let accessory = if info.class == SubjectClass::Product {
        Accessory::None
    } else {
        attribute!(Accessory, ACCESSORIES).unwrap_or_else(|| {
            if open.chance(0.4) {
                Accessory::None
            } else {
                open.pick(&[
                    Accessory::Scarf,
                    Accessory::Hat,
                    Accessory::Glasses,
                    Accessory::Bowtie,
                    Accessory::Crown,
                    Accessory::Cape,
                ])
            }
        })
    };
    let proportions = attribute!(Proportions, PROPORTIONS).unwrap_or_else(|| {
        open.pick(&[
            Proportions::Regular,
            Proportions::Regular,
            Proportions::Chubby,
            Proportions::Slim,
            Proportions::Tall,
        ])
    });
    let eyes = attribute!(Eyes, EYES)
        .unwrap_or_else(|| open.pick(&[Eyes::Round, Eyes::Round, Eyes::Sleepy, Eyes::Sparkly, Eyes::Dots]));

    let scene_pinned = parsed.best(|k| if let TermKind::Scene(x) = k { Some(*x) } else { None }).map(|(x, _)| x);
    let scene = scene_pinned.unwrap_or_else(|| open.pick(&SCENES.iter().map(|(x, _)| *x).collect::<Vec<_>>()));
    let lighting = parsed
        .best(|k| if let TermKind::Lighting(x) = k { Some(*x) } else { None })
        .map(|(x, _)| x)
        .unwrap_or(match scene {
            Scene::NightCity | Scene::Space => Lighting::Night,
            Scene::Studio | Scene::Office | Scene::Kitchen => Lighting::Soft,
            Scene::Snow => Lighting::Overcast,
            _ => open.pick(&[
                Lighting::Noon,
                Lighting::Noon,
                Lighting::GoldenHour,
                Lighting::Sunrise,
                Lighting::Overcast,
            ]),
        });
    let style = parsed
        .best(|k| if let TermKind::Style(x) = k { Some(*x) } else { None })
        .map(|(x, _)| x)
        .unwrap_or(Style::FlatVector);

    // Reference identity: pull palette, proportions and pattern toward the reference.
    let (mut proportions, mut pattern) = (proportions, pattern);
    if let Some(r) = reference {
        let w = r.weight.clamp(0.0, 1.0);
        // A colour the prompt names takes the reference's nearest colour
        // (the prompt says which goes where, the reference gives the exact
        // value); an unnamed one takes the reference subject's (identity).
        body = match body_c {
            Some(_) => r.snap(body, w),
            None => crate::imaging::color::mix(body, r.body, w),
        };
        accent = match accent_c {
            Some(_) => r.snap(accent, w),
            None => crate::imaging::color::mix(accent, r.accent, w),
        };
        if accessory_c.is_some() {
            accessory_color = r.snap(accessory_color, w);
        }
        if w >= 0.5 {
            proportions = if r.aspect > 1.05 {
                Proportions::Chubby
            } else if r.aspect < 0.72 {
                Proportions::Tall
            } else {
                proportions
            };
            if !r.patterned {
                pattern = Pattern::Plain;
            }
        }
    }

    let leak = reference.and_then(|r| r.palette.last().map(|c| (*c, r.weight.clamp(0.0, 1.0) * REFERENCE_LEAK)));

    // Composition.
    let framing = parsed.best(|k| if let TermKind::Framing(x) = k { Some(*x) } else { None }).map(|(x, _)| x);
    let place = parsed.best(|k| if let TermKind::Place(x) = k { Some(*x) } else { None }).map(|(x, _)| x);
    let copy = parsed.best(|k| if let TermKind::CopySpace(x) = k { Some(*x) } else { None }).map(|(x, _)| x);
    let thirds = parsed.terms.iter().any(|t| t.kind == TermKind::Thirds);
    let mut layout = Rng::new(hash(&[b"layout", &seed_bytes, &steps_bytes, normalized.as_bytes()]));
    let size = match framing {
        Some(Framing::CloseUp) => 0.82,
        Some(Framing::Medium) => 0.56,
        Some(Framing::Wide) => 0.32,
        None => layout.range(0.46, 0.62),
    };
    let mut cx = 0.5 + layout.range(-0.1, 0.1);
    let mut cy = 0.56 + layout.range(-0.04, 0.04);
    match place {
        Some(Side::Left) => cx = 0.3,
        Some(Side::Right) => cx = 0.7,
        Some(Side::Center) => cx = 0.5,
        Some(Side::Top) => cy = 0.36,
        Some(Side::Bottom) => cy = 0.66,
        None => {}
    }
    let mut calm = Vec::new();
    match copy {
        Some(Side::Left) => {
            cx = cx.max(0.66);
            calm.push(Frac { x: 0.0, y: 0.0, w: 0.48, h: 1.0 });
        }
        Some(Side::Right) => {
            cx = cx.min(0.34);
            calm.push(Frac { x: 0.52, y: 0.0, w: 0.48, h: 1.0 });
        }
        Some(Side::Top) => {
            cy = cy.max(0.66);
            calm.push(Frac { x: 0.0, y: 0.0, w: 1.0, h: 0.42 });
        }
        Some(Side::Bottom) => {
            cy = cy.min(0.38);
            calm.push(Frac { x: 0.0, y: 0.58, w: 1.0, h: 0.42 });
        }
        _ => {}
    }
    if thirds {
        cx = match (cx - 0.5).partial_cmp(&0.0) {
            Some(std::cmp::Ordering::Less) => 1.0 / 3.0,
            Some(std::cmp::Ordering::Greater) => 2.0 / 3.0,
            _ if layout.chance(0.5) => 1.0 / 3.0,
            _ => 2.0 / 3.0,
        };
        // Upper thirds line by default: it leaves a little headroom above the subject.
        let low = place == Some(Side::Bottom) || copy == Some(Side::Top) || framing == Some(Framing::Wide);
        // On the upper line, keep a little headroom above a large subject.
        cy = if low { 2.0 / 3.0 } else { (1.0f32 / 3.0).max(0.1 + size / 2.0).min(0.5) };
    }
    let base_aspect = match info.class {
        SubjectClass::Character => 0.78,
        SubjectClass::Product => 0.95,
    };
    let aspect = base_aspect
        * match proportions {
            Proportions::Chubby => 1.22,
            Proportions::Slim => 0.82,
            Proportions::Tall => 0.78,
            _ => 1.0,
        };
    let size = if proportions == Proportions::Tiny { size * 0.7 } else { size };
    let h = size;
    let w = (h * aspect / s.aspect).min(0.95);
    let mut bx = Frac { x: cx - w / 2.0, y: cy - h / 2.0, w, h };
    if framing != Some(Framing::CloseUp) {
        bx.x = bx.x.clamp(0.02, 0.98 - bx.w);
        bx.y = bx.y.clamp(0.04, 0.98 - bx.h);
    }
    let horizon = (bx.y + bx.h * 0.82).clamp(0.35, 0.8);

    let removed: BTreeSet<&'static str> =
        negative.terms.iter().filter_map(|t| if let TermKind::Element(e) = t.kind { Some(e) } else { None }).collect();
    let mut removed = removed;
    // Negative words that name the pinned pattern or accessory remove them too.
    for t in &negative.terms {
        match t.kind {
            TermKind::Pattern(_) => {
                removed.insert("pattern");
            }
            TermKind::Accessory(_) => {
                removed.insert("accessory");
            }
            _ => {}
        }
    }
    let pattern = if removed.contains("pattern") { Pattern::Plain } else { pattern };
    let accessory = if removed.contains("accessory") { Accessory::None } else { accessory };

    Plan {
        subject,
        body,
        accent,
        pattern,
        accessory,
        accessory_color,
        proportions,
        eyes,
        scene,
        lighting,
        style,
        subject_box: bx,
        horizon,
        calm,
        leak,
        removed,
        detail_seed,
        noise_seed,
        burn: EMPHASIS_BURN * overemphasis,
        limbs: Vec::new(),
    }
}
