//! Brand colour checks in CIELAB with CIEDE2000 distances.

use std::collections::HashMap;

use super::registry::params;
use super::{CheckSpec, Image, Outcome, per_image, which};
use crate::imaging::analysis;
use crate::imaging::color::{parse_hex, to_hex};

params! {
    /// Parameters of `palette_coverage`.
    pub struct Coverage {
        colors: Vec<String> = req(of(ParamKind::Colors, "the brand colours")),
        min_coverage: f64 = num(0.0, 1.0, Some(0.75), "lowest share of chromatic pixels near a brand colour"),
        max_delta_e: f64 = num(0.0, 100.0, Some(10.0), "CIEDE2000 distance that counts as near"),
        min_chroma: f64 = num(0.0, 150.0, Some(10.0), "chroma below which a pixel counts as neutral"),
    }
}

params! {
    /// Parameters of `required_colors`.
    pub struct Required {
        colors: Vec<String> = req(of(ParamKind::Colors, "colours that must each appear")),
        min_share: f64 = num(0.0, 1.0, Some(0.03), "lowest share of the image a matching cluster must cover"),
        max_delta_e: f64 = num(0.0, 100.0, Some(6.0), "CIEDE2000 distance for a cluster to match"),
        on: Option<String> = of(
            ParamKind::Choice(&["image", "subject"]),
            "where the colours must be: the whole image (default) or the subject's own pixels",
        ),
    }
}

fn brand(colors: &[String]) -> Vec<([u8; 3], [f32; 3])> {
    colors.iter().filter_map(|h| parse_hex(h)).map(|c| (c, analysis::lab(c))).collect()
}

/// Lab of every pixel of a ≤256 px copy, memoised on 5-bit-per-channel colour.
fn labs(img: &image::RgbImage) -> Vec<[f32; 3]> {
    let small = analysis::working(img, 256);
    let mut cache: HashMap<[u8; 3], [f32; 3]> = HashMap::new();
    small.pixels().map(|p| *cache.entry(p.0).or_insert_with(|| analysis::lab(p.0))).collect()
}

/// `palette_coverage`: of the chromatic pixels (chroma ≥ min_chroma,
/// default 10), the share within CIEDE2000 ≤ max_delta_e (default 10) of some
/// brand colour must be ≥ min_coverage (default 0.75). Neutral greys, black
/// and white do not count against the brand, but an image with no chromatic
/// pixel at all carries no brand colour: it scores 0, not 100%. Measured on
/// a ≤256 px copy.
pub fn coverage(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: Coverage = measured!(super::params(spec));
    let colors = brand(&p.colors);
    let (min_cov, max_de, min_chroma) = (p.min_coverage, p.max_delta_e as f32, p.min_chroma as f32);
    let covs = measured!(per_image(spec, images, |_, d| {
        let mut near: HashMap<[i32; 3], bool> = HashMap::new();
        let (mut chromatic, mut on) = (0usize, 0usize);
        for l in labs(&d.rgb) {
            if analysis::chroma(l) < min_chroma {
                continue;
            }
            chromatic += 1;
            let key = [l[0] as i32, l[1] as i32, l[2] as i32];
            if *near.entry(key).or_insert_with(|| colors.iter().any(|(_, b)| analysis::delta_e(l, *b) <= max_de)) {
                on += 1;
            }
        }
        if chromatic == 0 { (0.0, 0) } else { (on as f64 / chromatic as f64, chromatic) }
    }));
    let names = colors.iter().map(|(c, _)| to_hex(*c)).collect::<Vec<_>>().join(", ");
    let (worst_i, (worst, colourful)) = super::lowest(&covs, |s| s.0);
    if colourful == 0 {
        return Outcome::new(
            spec,
            false,
            Some(0.0),
            Some(min_cov),
            format!(
                "the image{} has no colourful pixel at all, so none of the brand colours {names}: a grey or black-and-white image is not on brand",
                which(images, worst_i)
            ),
        );
    }
    if worst < min_cov {
        return Outcome::new(
            spec,
            false,
            Some(worst),
            Some(min_cov),
            format!(
                "only {:.0}% of the colourful pixels are near the brand colours {names}{} (at least {:.0}% wanted). \
                 Name each colour on a part (\"teal body\"), pick a scene that does not bring its own colours \
                 (a studio backdrop), and for exact values give an image in the brand colours as a [reference].",
                worst * 100.0,
                which(images, worst_i),
                min_cov * 100.0
            ),
        );
    }
    Outcome::new(
        spec,
        true,
        Some(worst),
        Some(min_cov),
        format!(
            "{:.0}% of the colourful pixels are on brand ({names}); at least {:.0}% wanted",
            worst * 100.0,
            min_cov * 100.0
        ),
    )
}

/// `required_colors`: each brand colour is matched (ΔE00 ≤ max_delta_e,
/// default 6) by a k-means cluster (k = 8, Lab, ≤128 px copy) covering at
/// least min_share (default 3%) of the image — or, with `on = "subject"`,
/// of the subject's own pixels (the subject finder's box without the
/// colours around it, [`crate::imaging::subject::own_pixels`]): a brand
/// colour on the backdrop is not a brand colour on the product, and an
/// image with no distinct subject carries none.
pub fn required(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: Required = measured!(super::params(spec));
    let colors = brand(&p.colors);
    let (min_share, max_de) = (p.min_share, p.max_delta_e as f32);
    let on_subject = p.on.as_deref() == Some("subject");
    let found = measured!(per_image(spec, images, |img, d| {
        let small = analysis::working(&d.rgb, 128);
        let pixels: Vec<[f32; 3]> = if on_subject {
            let found = img.subject().ok().filter(super::Found::present)?;
            let (w, h) = (f64::from(small.width()), f64::from(small.height()));
            let [x, y, bw, bh] = found.bbox;
            let bbox =
                [(x * w).round() as u32, (y * h).round() as u32, (bw * w).round() as u32, (bh * h).round() as u32];
            let own = crate::imaging::subject::own_pixels(&small, bbox);
            small.pixels().zip(own).filter(|(_, o)| *o).map(|(p, _)| analysis::lab(p.0)).collect()
        } else {
            small.pixels().map(|p| analysis::lab(p.0)).collect()
        };
        let clusters = analysis::dominant(&pixels, 8);
        Some(
            colors
                .iter()
                .filter(|(_, b)| {
                    !clusters.iter().any(|(c, share)| *share >= min_share && analysis::delta_e(*c, *b) <= max_de)
                })
                .map(|(c, _)| to_hex(*c))
                .collect::<Vec<_>>(),
        )
    }));
    let total = colors.len();
    let all = || colors.iter().map(|(c, _)| to_hex(*c)).collect::<Vec<_>>();
    if let Some(i) = found.iter().position(Option::is_none) {
        return Outcome::new(
            spec,
            false,
            Some(0.0),
            Some(total as f64),
            format!(
                "no distinct subject{} to carry the brand colours {}: put the product on a plain backdrop and name its colours on its parts (\"teal body\")",
                which(images, i),
                all().join(", ")
            ),
        );
    }
    let missing: Vec<Vec<String>> = found.into_iter().map(Option::unwrap_or_default).collect();
    let place = if on_subject { " on the subject" } else { "" };
    let worst = missing.iter().enumerate().max_by_key(|(_, m)| m.len());
    match worst {
        Some((i, m)) if !m.is_empty() => Outcome::new(
            spec,
            false,
            Some((total - m.len()) as f64),
            Some(total as f64),
            format!(
                "{} missing{place}{}: no colour area of at least {:.0}% within ΔE00 {max_de} of it. Name it on a part large enough to show (\"orange band\"); a colour word is a family, so for the exact value add an image in the brand colours as a [reference].",
                m.join(", "),
                which(images, i),
                min_share * 100.0
            ),
        ),
        _ => Outcome::new(
            spec,
            true,
            Some(total as f64),
            Some(total as f64),
            format!("all {total} brand colours present{place}"),
        ),
    }
}
