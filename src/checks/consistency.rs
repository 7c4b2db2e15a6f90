//! Sets: the same subject across images, varied scenes, and reproducibility.

use rayon::prelude::*;

use super::registry::params;
use super::{CheckSpec, Context, Embedding, Image, Measure, Outcome, per_image};
use crate::imaging::{analysis, keypoints};

params! {
    /// Parameters of `identity_consistency`.
    pub struct Identity {
        max_odd_delta_e: f64 = num(
            0.0,
            100.0,
            Some(13.6),
            "largest median palette ΔE00 from any one image to the others (the odd one out)",
        ),
        review_odd_delta_e: f64 =
            num(0.0, 100.0, Some(12.6), "above this (and within the largest), passes as needs review"),
        max_palette_delta_e: f64 = num(0.0, 100.0, Some(12.0), "largest median pairwise palette ΔE00"),
        max_odd_layout_delta_e: f64 = num(
            0.0,
            100.0,
            Some(27.0),
            "largest median ΔE00 of the subject's 3×3 colour layout from any one image to the others (same sets that pass on colour reach 25.4, their crops and shifts +1.5)",
        ),
        review_odd_layout_delta_e: f64 =
            num(0.0, 100.0, Some(25.0), "layout above this (and within the largest) passes as needs review (the largest less what a crop or shift moves it)"),
        keypoints: bool = of(ParamKind::Bool, "add ORB keypoint matching (RANSAC inliers) for rigid products"),
        min_embedding_similarity: Option<f64> = num(
            -1.0,
            1.0,
            None,
            "lowest cosine similarity of the odd one out's subject embedding to the others' (median); overrides [checks] embedding_min_similarity and the built-in encoder's 0.454 (calibrated on 23 real identities); set it with genpath calibrate on your own sets",
        ),
    }
}

params! {
    /// Parameters of `scene_variety`.
    pub struct Variety {
        min_background_phash_distance: u32 =
            int(0, 64, Some(16), "lowest median pairwise background pHash distance"),
        min_position_spread: Option<f64> = num(
            0.0,
            1.0,
            None,
            "lowest spread of subject centres and sizes (not judged unless set: real varied sets reach 0.01)",
        ),
        max_shared_keypoints: u32 = int(
            0,
            10000,
            Some(SHARED_KEYPOINTS),
            "most keypoints two images' backgrounds may share (RANSAC inliers outside the subject): more is one picture cropped, shifted or re-saved",
        ),
        max_background_similarity: f64 = num(
            -1.0,
            1.0,
            Some(BACKGROUND_SIMILARITY),
            "with the built-in image encoder: highest median pairwise cosine similarity of the backgrounds (each image with its subject's box filled with the colour around it); more is one place",
        ),
    }
}

/// The built-in encoder's line for one place (docs/checks.md, 2026-11-30):
/// above every set of different places measured — 12 real photo sets,
/// 0.31–0.57, and 52 practice-renderer sets of four to six places,
/// 0.37–0.73 (its painted places embed closer than real ones) — so no
/// varied set fails; real one-place sets run 0.63–0.90, and five of the
/// nine measured are above it.
const BACKGROUND_SIMILARITY: f64 = 0.75;

/// Keypoints two backgrounds may share (outside the subjects' boxes): the
/// other shots of 23 real sets share at most 19 (a burst of two near-equal
/// frames, 113), four different subjects at most 7; one picture cropped
/// 10%, shifted 8 px and re-saved, a median of 29 (docs/checks.md).
const SHARED_KEYPOINTS: i64 = 30;

/// SSIM and pHash distance within which two renders count as the same image
/// (a re-run on a backend that is not bit-exact; a cell of a grid and its
/// converged picture).
pub(super) const SAME_SSIM: f64 = 0.95;
pub(super) const SAME_PHASH: i64 = 4;
/// SSIM within which a re-run counts as reproduced: every JPEG q75 re-save
/// and σ 2 grain copy of 171 real pictures stays above it (lowest 0.925),
/// every other draw falls below (highest 0.899; docs/checks.md). Lower
/// than a grid's "finished" line ([`SAME_SSIM`]), which is about grain a
/// person sees, not about a re-encode.
const RERUN_SSIM: f64 = 0.92;

params! {
    /// Parameters of `reproducible` and `bundle_reruns`.
    pub struct Rerun {
        min_ssim: f64 =
            num(0.0, 1.0, Some(RERUN_SSIM), "SSIM that counts as reproduced on nondeterministic backends (re-encodes ≥ 0.925, other draws ≤ 0.899)"),
        max_phash_distance: u32 = int(0, 64, Some(SAME_PHASH), "pHash distance that counts as reproduced"),
    }
}

struct SubjectLook {
    palette: Vec<([f32; 3], f64)>,
    layout: Layout,
    hist: Vec<f32>,
    bbox: [f64; 4],
    centroid: [f64; 2],
    background: u64,
}

fn look(img: &image::RgbImage) -> SubjectLook {
    let small = analysis::working(&analysis::working(img, 256), 128);
    let (sw, sh) = (small.width() as usize, small.height() as usize);
    let found = crate::imaging::subject::find(&small);
    let (bbox, centroid) =
        (found.fraction(small.width(), small.height()), found.centroid(small.width(), small.height()));
    // The subject's own pixels (1): inside the subject finder's box and
    // unlike every colour around the box
    // ([`crate::imaging::subject::own_pixels`]); the Lab of every pixel is
    // computed once for them, the palette and the layout.
    let all: Vec<[f32; 3]> = small.pixels().map(|p| analysis::lab(p.0)).collect();
    let mask: Vec<u8> = crate::imaging::subject::own_pixels_of_lab(&all, sw, [found.x, found.y, found.w, found.h])
        .into_iter()
        .map(u8::from)
        .collect();
    let labs: Vec<[f32; 3]> = all.iter().zip(&mask).filter(|(_, m)| **m > 0).map(|(l, _)| *l).collect();
    let palette = analysis::dominant(&labs, 5);
    let layout = layout(&all, sw, &mask);
    let hist = analysis::hsv_histogram(&small, Some((&mask, sw, sh)));
    // Background: the subject's box filled with the image's mean colour, then hashed.
    let mut bg = small.clone();
    let mean = {
        let n = small.len().max(1) as f64 / 3.0;
        let mut m = [0f64; 3];
        small.pixels().for_each(|p| (0..3).for_each(|k| m[k] += p.0[k] as f64));
        image::Rgb(m.map(|v| (v / n) as u8))
    };
    let b = bbox;
    for (x, y, p) in bg.enumerate_pixels_mut() {
        let (fx, fy) = (x as f64 / sw as f64, y as f64 / sh as f64);
        if fx >= b[0] && fx <= b[0] + b[2] && fy >= b[1] && fy <= b[1] + b[3] {
            *p = mean;
        }
    }
    SubjectLook { palette, layout, hist, bbox, centroid, background: analysis::phash(&bg) }
}

/// The subject's colour layout: the mean Lab of its own pixels in each cell
/// of a 3×3 grid over their extent (5th–95th percentile of their
/// coordinates, so a stray pixel does not stretch it); `None` where a cell
/// holds fewer than two of them.
type Layout = [Option<[f32; 3]>; 9];

fn layout(labs: &[[f32; 3]], sw: usize, mask: &[u8]) -> Layout {
    let own: Vec<(f64, f64, [f32; 3])> = labs
        .iter()
        .zip(mask)
        .enumerate()
        .filter(|(_, (_, m))| **m > 0)
        .map(|(i, (l, _))| ((i % sw) as f64, (i / sw) as f64, *l))
        .collect();
    let percentile = |mut v: Vec<f64>, q: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        let at = q * (v.len().max(1) - 1) as f64;
        let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
        v.get(lo).zip(v.get(hi)).map_or(0.0, |(a, b)| a + (b - a) * (at - lo as f64))
    };
    let (xs, ys): (Vec<f64>, Vec<f64>) = own.iter().map(|o| (o.0, o.1)).unzip();
    let (x0, x1) = (percentile(xs.clone(), 0.05), percentile(xs, 0.95));
    let (y0, y1) = (percentile(ys.clone(), 0.05), percentile(ys, 0.95));
    let mut cells = [None; 9];
    for (c, cell) in cells.iter_mut().enumerate() {
        let (gx, gy) = ((c % 3) as f64, (c / 3) as f64);
        let (xa, xb) = (x0 + (x1 - x0) * gx / 3.0, x0 + (x1 - x0) * (gx + 1.0) / 3.0);
        let (ya, yb) = (y0 + (y1 - y0) * gy / 3.0, y0 + (y1 - y0) * (gy + 1.0) / 3.0);
        let inside: Vec<[f32; 3]> =
            own.iter().filter(|o| o.0 >= xa && o.0 <= xb && o.1 >= ya && o.1 <= yb).map(|o| o.2).collect();
        if inside.len() >= 2 {
            let n = inside.len() as f32;
            let sum = inside.iter().fold([0f32; 3], |a, l| [a[0] + l[0], a[1] + l[1], a[2] + l[2]]);
            *cell = Some(sum.map(|v| v / n));
        }
    }
    cells
}

/// Mean ΔE00 between the cells two layouts both have; 100 (nothing alike)
/// when they share fewer than three.
fn layout_distance(a: &Layout, b: &Layout) -> f64 {
    let d: Vec<f64> =
        a.iter().zip(b).filter_map(|(x, y)| x.zip(*y)).map(|(x, y)| f64::from(analysis::delta_e(x, y))).collect();
    if d.len() < 3 { 100.0 } else { d.iter().sum::<f64>() / d.len() as f64 }
}

/// The most keypoints any two images' backgrounds share (RANSAC inliers
/// among the keypoints outside each image's subject box), and which two.
fn shared_background(spec: &CheckSpec, images: &[Image], ls: &[SubjectLook]) -> Result<(usize, usize, usize), Outcome> {
    // Keypoints are found on the working copy every check shares.
    let working = per_image(spec, images, |img, _| img.working().unwrap_or_default())?;
    let kps: Vec<Vec<keypoints::Keypoint>> = working
        .par_iter()
        .zip(ls)
        .map(|(rgb, l)| {
            let (fw, fh) = (f64::from(rgb.width()), f64::from(rgb.height()));
            let b = l.bbox;
            keypoints::detect(rgb)
                .into_iter()
                .filter(|k| {
                    let (x, y) = (f64::from(k.x) / fw, f64::from(k.y) / fh);
                    !(x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[3])
                })
                .collect()
        })
        .collect();
    let mut most = (0, 0, 0);
    for i in 0..kps.len() {
        for j in i + 1..kps.len() {
            let n = keypoints::inliers_between(&kps[i], &kps[j]);
            if n > most.0 {
                most = (n, i, j);
            }
        }
    }
    Ok(most)
}

fn looks(spec: &CheckSpec, images: &[Image]) -> Result<Vec<SubjectLook>, Outcome> {
    let decoded = per_image(spec, images, |_, d| &d.rgb)?;
    Ok(decoded.into_par_iter().map(look).collect())
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// What the embedding model says of a set: the odd one out by its
/// subject's embedding, and the line it is held to.
struct Embedded {
    odd: usize,
    /// Its median cosine similarity to the others.
    similarity: f64,
    min: Option<f64>,
    /// Measured by the built-in encoder, whose vouching line is known.
    builtin: bool,
}

/// Where the built-in encoder vouches for a set whose colours miss their
/// lines by a little: its odd one out is at least this similar to the
/// others. One stranger among four reaches it in 2 of the fixtures' 496
/// one-intruder sets (two golden dogs, whose colours pass anyway); 20 of
/// the 23 same sets reach it.
const VOUCH_SIMILARITY: f64 = 0.55;

/// How far (ΔE00) past a colour line the encoder may vouch for a set: a
/// change of light moves a real set's palette that far (the cat under a
/// lamp and in daylight, 14.6 against 13.6; the duck toy's drift 12.9
/// against 12), and a 3% shift, 90% crop or JPEG q75 copy moves a set's odd
/// one out by up to 2.4 (the cat 14.6 → 16.0, the LoRA set 13.5 → 15.8).
/// On the fixtures no stranger among four gets in up to a margin of 4; at 5,
/// two do.
const VOUCH_MARGIN: f64 = 3.0;

impl Embedded {
    fn fails(&self) -> bool {
        self.min.is_some_and(|m| self.similarity < m)
    }
    /// The built-in encoder, judging, is sure enough of one subject to send
    /// a near miss on colour to a person instead of failing it.
    fn vouches(&self) -> bool {
        self.builtin && self.min.is_some_and(|m| self.similarity >= m) && self.similarity >= VOUCH_SIMILARITY
    }
    fn describe(&self) -> String {
        match self.min {
            Some(m) => format!(
                "embedding: the odd one out (image {}) has similarity {:.3} to the others (at least {m:.3})",
                self.odd + 1,
                self.similarity
            ),
            None => format!(
                "embedding: the odd one out (image {}) has similarity {:.3} to the others (not judged: no embedding_min_similarity in genpath.toml yet; genpath calibrate identity_consistency --embedding-model on your own sets prints it)",
                self.odd + 1,
                self.similarity
            ),
        }
    }
}

/// How much of the subject's box, on each side, the embedding also sees:
/// a little context, as a crop a person would make.
const EMBED_MARGIN: f64 = 0.15;

/// Each image's subject (a square on the finder's box, [`EMBED_MARGIN`]
/// wider on every side) embedded by the image encoder; the odd one out is
/// the image with the lowest median cosine similarity to the others. The
/// subject, not the frame: the set is meant to vary its scenes.
fn embedding_odd_one(
    spec: &CheckSpec,
    images: &[Image],
    ls: &[SubjectLook],
    e: Embedding<'_>,
    min: Option<f64>,
) -> Result<Embedded, Outcome> {
    let vs = embed_each(spec, images, ls, e.model, |rgb, l| {
        let (w, h) = (f64::from(rgb.width()), f64::from(rgb.height()));
        let [bx, by, bw, bh] = l.bbox;
        // A square on the subject's centre, its box's longer side plus
        // the margin, moved (not cut) to stay inside the image: encoders
        // take a square, and a stretched crop changes the subject's shape.
        let side = (bw * w).max(bh * h) * (1.0 + 2.0 * EMBED_MARGIN);
        let (sw, sh) = (side.min(w).max(1.0), side.min(h).max(1.0));
        let x0 = ((bx + bw / 2.0) * w - sw / 2.0).clamp(0.0, w - sw);
        let y0 = ((by + bh / 2.0) * h - sh / 2.0).clamp(0.0, h - sh);
        let (cx, cy) = ((x0.round() as u32).min(rgb.width() - 1), (y0.round() as u32).min(rgb.height() - 1));
        let cw = (sw.round() as u32).clamp(1, rgb.width() - cx);
        let ch = (sh.round() as u32).clamp(1, rgb.height() - cy);
        image::imageops::crop_imm(rgb, cx, cy, cw, ch).to_image()
    })?;
    let n = vs.len();
    let (odd, similarity) = (0..n)
        .map(|i| {
            let sims: Vec<f64> =
                (0..n).filter(|j| *j != i).map(|j| crate::imaging::embedding::cosine(&vs[i], &vs[j])).collect();
            (i, median(sims))
        })
        .fold((0, f64::MAX), |a, x| if x.1 < a.1 { x } else { a });
    Ok(Embedded { odd, similarity, min: min.or(e.min_similarity), builtin: e.builtin })
}

/// Each image as `view` shows it to the encoder (its subject, or its
/// background), embedded in parallel; an image the encoder fails on makes
/// the check unmeasured, naming the image.
fn embed_each(
    spec: &CheckSpec,
    images: &[Image],
    ls: &[SubjectLook],
    model: &crate::imaging::embedding::Embedder,
    view: impl Fn(&image::RgbImage, &SubjectLook) -> image::RgbImage + Sync,
) -> Result<Vec<Vec<f32>>, Outcome> {
    let decoded = per_image(spec, images, |_, d| &d.rgb)?;
    let vectors: Vec<Result<Vec<f32>, String>> = decoded
        .par_iter()
        .zip(ls)
        .map(|(rgb, l)| model.embed(&view(rgb, l)).map_err(|err| format!("{err:#}")))
        .collect();
    vectors
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            v.map_err(|err| Outcome::unmeasured(spec, format!("the image encoder failed on image {}: {err}", i + 1)))
        })
        .collect()
}

/// `identity_consistency`: one subject across the set, judged on each
/// image's subject (the subject finder's box without the colours around
/// it): every image's median palette distance to the others (k = 5, Lab,
/// CIEDE2000; the tightest of eight k-means starts, so the palette does not
/// hang on one seed) — the odd one out's — must be ≤ max_odd_delta_e
/// (default 13.6; above review_odd_delta_e, 12.6, it passes as "needs
/// review"), the median over all pairs ≤ max_palette_delta_e (default 12),
/// and the odd one out by colour layout — where the subject's colours sit,
/// the mean Lab of its own pixels in a 3×3 grid over their extent,
/// compared cell by cell (ΔE00) — ≤ max_odd_layout_delta_e (default 27;
/// above review_odd_layout_delta_e, 25, needs review). Calibrated with
/// `genpath calibrate` on 23 real same-subject sets against 23 mixed sets
/// and 496 one-intruder sets (`docs/checks.md`): against different
/// subjects the palette's odd one out has ROC AUC 0.977 (the layout
/// 0.966); the palette lines are the lowest that pass 80% of the same
/// sets (20 of 23 pass); the layout line sits above every same set that
/// passes on colour (25.5) by what a 90% crop or 3% shift moves it.
/// One stranger among four passes in 25.6% of sets — the colour
/// look-alikes no colour statistic tells apart. The histogram intersection
/// with the set's central image is reported, not judged. Colour is a
/// proxy for identity: same-coloured look-alikes can fool it, and a person
/// should confirm.
/// Where the colours miss their lines by at most 3 ΔE00 and the built-in
/// encoder finds the odd one out at least 0.55 similar to the others, the
/// set passes as "needs review" instead of failing: a change of light or
/// framing moves a real set's colours that far (the cat and the duck toy of
/// the fixtures, and sets on the line under a crop or shift), a recolour of
/// the whole subject further.
/// With an image encoder (the built-in EfficientNet-Lite0, or the user's
/// `[checks] embedding_model`), each subject is also embedded and the odd
/// one out by cosine similarity must reach min_embedding_similarity (the
/// exercise's, else the workspace's, else the built-in encoder's 0.454; a
/// model of the user's is not judged until calibrated): what colour cannot
/// tell, a cat among brown dogs, an encoder can — one stranger among four
/// passes 1.4% of the time with the built-in encoder
/// (`docs/research/identity-descriptors/`, docs/checks.md).
pub fn identity(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let p: Identity = measured!(super::params(spec));
    let (max_odd, review_odd, max_de) = (p.max_odd_delta_e, p.review_odd_delta_e, p.max_palette_delta_e);
    let (max_lay, review_lay) = (p.max_odd_layout_delta_e, p.review_odd_layout_delta_e);
    if images.len() < 2 {
        return Outcome::unmeasured(spec, "identity consistency needs at least two images");
    }
    let ls = measured!(looks(spec, images));
    let n = ls.len();
    let mut de = Vec::new();
    let mut pair_de = vec![vec![0.0; n]; n];
    let mut inter = vec![vec![0.0; n]; n];
    let mut pair_lay = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let d = analysis::palette_distance(&ls[i].palette, &ls[j].palette);
            de.push(d);
            pair_de[i][j] = d;
            pair_de[j][i] = d;
            let l = layout_distance(&ls[i].layout, &ls[j].layout);
            pair_lay[i][j] = l;
            pair_lay[j][i] = l;
            let v = analysis::histogram_intersection(&ls[i].hist, &ls[j].hist);
            inter[i][j] = v;
            inter[j][i] = v;
        }
    }
    let med = median(de);
    // The odd one out: the image farthest, by its median distance, from the others.
    let odd_one = |pair: &[Vec<f64>]| {
        (0..n)
            .map(|i| (i, median((0..n).filter(|j| *j != i).map(|j| pair[i][j]).collect())))
            .fold((0, f64::MIN), |a, x| if x.1 > a.1 { x } else { a })
    };
    let (odd_i, odd) = odd_one(&pair_de);
    // The same by where the subject's colours sit: a stranger of the same
    // palette (a stone bust among red-haired warriors) puts them elsewhere.
    let (lay_i, lay) = odd_one(&pair_lay);
    let medoid =
        (0..n).max_by(|a, b| inter[*a].iter().sum::<f64>().total_cmp(&inter[*b].iter().sum::<f64>())).unwrap_or(0);
    let worst_h = (0..n).filter(|i| *i != medoid).map(|i| inter[medoid][i]).fold(1.0, f64::min);
    // Rigid products: keypoint matches against the central image are strong evidence (≥ 15 inliers).
    let keypoints = p.keypoints.then(|| {
        use crate::imaging::keypoints;
        let rgbs: Vec<&image::RgbImage> = images.iter().filter_map(|i| i.pixels().ok().map(|d| &d.rgb)).collect();
        // Each image's keypoints once (the central image's are compared with every other).
        let kps: Vec<Vec<keypoints::Keypoint>> = rgbs.par_iter().map(|rgb| keypoints::detect(rgb)).collect();
        let counts: Vec<f64> = (0..kps.len())
            .into_par_iter()
            .filter(|i| *i != medoid)
            .map(|i| keypoints::inliers_between(&kps[medoid], &kps[i]) as f64)
            .collect();
        median(counts)
    });
    let note = keypoints.map_or(String::new(), |m| {
        let verdict = if m >= 15.0 { "strong evidence of one rigid object" } else { "no strong evidence" };
        format!("; keypoints: median {m:.0} RANSAC inliers with the central image ({verdict})")
    });
    // An image encoder's word on what the subject is (built in, or the user's).
    let embedded = match ctx.embedding {
        Some(e) => Some(measured!(embedding_odd_one(spec, images, &ls, e, p.min_embedding_similarity))),
        None => None,
    };
    let mut measures = vec![
        Measure::at_most("odd_one_out_delta_e", odd, max_odd).held_by("max_odd_delta_e"),
        Measure::at_most("palette_delta_e", med, max_de).held_by("max_palette_delta_e"),
        Measure::at_most("odd_one_out_layout_delta_e", lay, max_lay).held_by("max_odd_layout_delta_e"),
        Measure { threshold: None, ..Measure::at_least("histogram_intersection", worst_h, 0.0) },
    ];
    if let Some(e) = &embedded {
        measures.push(Measure {
            threshold: e.min,
            ..Measure::at_least("odd_one_out_embedding_similarity", e.similarity, 0.0)
                .held_by("min_embedding_similarity")
        });
    }
    let note = match &embedded {
        Some(e) => format!("{note}; {}", e.describe()),
        None => note,
    };
    let proxy = if embedded.as_ref().is_some_and(|e| e.min.is_some()) {
        "(colour and an encoder's similarity are evidence of identity, not proof; a person should confirm look-alikes)"
    } else {
        "(colour is a proxy for identity; a person should confirm look-alikes)"
    };
    let fail =
        |message: String| Outcome::new(spec, false, Some(odd), Some(max_odd), message).with_measures(measures.clone());
    // A near miss on colour that the built-in encoder calls one subject: a
    // change of light or framing, or a recolour; a person decides.
    let near = odd <= max_odd + VOUCH_MARGIN && med <= max_de + VOUCH_MARGIN && lay <= max_lay + VOUCH_MARGIN;
    if (odd > max_odd || med > max_de || lay > max_lay)
        && near
        && let Some(e) = embedded.as_ref().filter(|e| e.vouches())
    {
        let mut o = Outcome::new(spec, true, Some(odd), Some(max_odd), format!(
            "needs review: the colours miss their lines by at most {VOUCH_MARGIN} ΔE00 (odd one out, image {}, {odd:.1} ≤ {max_odd:.1}; median palette {med:.1} ≤ {max_de:.1}; layout {lay:.1} ≤ {max_lay:.1}), and the image encoder finds one subject (similarity {:.3} ≥ {VOUCH_SIMILARITY}): a change of light or framing passes, a recoloured subject does not{note} {proxy}",
            odd_i + 1,
            e.similarity
        ))
        .with_measures(measures);
        o.review = true;
        return o;
    }
    if odd > max_odd {
        return fail(format!(
            "image {} does not look like the others: its subject's colours are ΔE00 {odd:.1} from theirs (median; at most {max_odd:.1}). Pin body and accent colours in the prompt, keep one seed, and give the first image as a [reference]{note} {proxy}",
            odd_i + 1
        ));
    }
    if med > max_de {
        return fail(format!(
            "the subject's colours drift across the set: median palette ΔE00 {med:.1} > {max_de:.1}. Pin body and accent colours in the prompt, keep one seed, and give the first image as a [reference]{note} {proxy}"
        ));
    }
    if let Some(e) = embedded.as_ref().filter(|e| e.fails()) {
        // `value` keeps the check's one meaning (the palette's odd one out,
        // which passed); the embedding's own number is in the measures.
        let min = e.min.unwrap_or_default();
        return Outcome::new(spec, false, Some(odd), Some(max_odd), format!(
            "image {} is not the same subject as the others by the embedding model: its subject's similarity to theirs is {:.3} (median cosine; at least {min:.3}) though its colours are close. Give the first image as a [reference] and keep the subject's description word for word",
            e.odd + 1,
            e.similarity
        ))
        .with_measures(measures);
    }
    if lay > max_lay {
        // Reported with its own value and threshold (the palette's passed).
        return Outcome::new(spec, false, Some(lay), Some(max_lay), format!(
            "image {} does not look like the others: where its subject's colours sit (a 3×3 grid over the subject) is ΔE00 {lay:.1} from the others (median; at most {max_lay:.1}) though its palette is close. Check it is the same subject; if so, keep its framing like the others'{note} {proxy}",
            lay_i + 1
        ))
        .with_measures(measures);
    }
    let mut o = Outcome::new(
        spec,
        true,
        Some(odd),
        Some(max_odd),
        format!(
            "one subject across the set: the odd one out is ΔE00 {odd:.1} from the others (≤ {max_odd:.1}), median palette ΔE00 {med:.1} ≤ {max_de:.1}, colour layout's odd one out ΔE00 {lay:.1} ≤ {max_lay:.1}{note} {proxy}"
        ),
    )
    .with_measures(measures);
    if odd > review_odd && keypoints.is_none_or(|m| m < 15.0) {
        o.review = true;
        o.message = format!(
            "needs review: image {} is borderline (ΔE00 {odd:.1} from the others, {review_odd:.1}–{max_odd:.1}); median palette ΔE00 {med:.1}{note} {proxy}",
            odd_i + 1
        );
    } else if lay > review_lay && keypoints.is_none_or(|m| m < 15.0) {
        o.review = true;
        o.message = format!(
            "needs review: image {} is borderline by where its subject's colours sit (layout ΔE00 {lay:.1} from the others, {review_lay:.1}–{max_lay:.1}); palette odd one out ΔE00 {odd:.1}{note} {proxy}",
            lay_i + 1
        );
    }
    o
}

/// `scene_variety`: the backgrounds (the image with the subject's box
/// blanked) differ: median pairwise pHash distance ≥
/// min_background_phash_distance (default 16 of 64), and the subject's
/// position and size spread (standard deviation of centre x, y and box
/// height, summed, from the subject finder) is reported, and judged only
/// when a brief sets min_position_spread: on 23 real sets of one subject in
/// varied scenes it runs from 0.01 (a statue framed alike in every style)
/// to 0.48, so no default would be fair. Ten copies of one image score 0.
/// And no two backgrounds share more than max_shared_keypoints (30): one
/// picture cropped, shifted or re-saved into several "scenes" does. With
/// the built-in image encoder, the backgrounds (each frame with its
/// subject's box filled with the mean colour around it) must not embed
/// alike: median pairwise cosine similarity ≤ max_background_similarity
/// (0.75) — one garden, one beach or one studio backdrop shot from new
/// angles does, which neither pHash nor keypoints see. Not judged where a
/// subject fills more than 90% of a frame (no background to read).
pub fn variety(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let p: Variety = measured!(super::params(spec));
    let (min, min_spread) = (f64::from(p.min_background_phash_distance), p.min_position_spread);
    if images.len() < 2 {
        return Outcome::unmeasured(spec, "scene variety needs at least two images");
    }
    let ls = measured!(looks(spec, images));
    let shared = measured!(shared_background(spec, images, &ls));
    let max_shared = f64::from(p.max_shared_keypoints);
    // One place, by the built-in encoder (its line is measured on it alone),
    // where every image has a background to read.
    let max_alike = p.max_background_similarity;
    let alike = match ctx.embedding {
        Some(e) if e.builtin && ls.iter().all(|l| l.bbox[2] * l.bbox[3] <= MOSTLY_SUBJECT) => {
            Some(measured!(background_similarity(spec, images, &ls, e.model)))
        }
        _ => None,
    };
    let mut d = Vec::new();
    for i in 0..ls.len() {
        for j in i + 1..ls.len() {
            d.push(analysis::hamming(ls[i].background, ls[j].background) as f64);
        }
    }
    let med = median(d);
    let sd = |f: &dyn Fn(&SubjectLook) -> f64| {
        let v: Vec<f64> = ls.iter().map(f).collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let spread = sd(&|l| l.centroid[0]) + sd(&|l| l.centroid[1]) + sd(&|l| l.bbox[3]);
    let measures = vec![
        Measure::at_least("background_phash_distance", med, min).held_by("min_background_phash_distance"),
        Measure {
            threshold: min_spread,
            ..Measure::at_least("position_spread", spread, 0.0).held_by("min_position_spread")
        },
        Measure::at_most("shared_background_keypoints", shared.0 as f64, max_shared).held_by("max_shared_keypoints"),
    ]
    .into_iter()
    .chain(alike.map(|a| Measure::at_most("background_similarity", a, max_alike).held_by("max_background_similarity")))
    .collect::<Vec<_>>();
    let fail =
        |message: String| Outcome::new(spec, false, Some(med), Some(min), message).with_measures(measures.clone());
    if shared.0 as f64 > max_shared {
        let (n, i, j) = shared;
        return fail(format!(
            "images {} and {} show one picture reframed: their backgrounds share {n} keypoints (at most {max_shared:.0}). Generate each scene; do not crop or shift one image into several.",
            i + 1,
            j + 1
        ));
    }
    if let Some(a) = alike
        && a > max_alike
    {
        return fail(format!(
            "the shots are in one place: their backgrounds look alike to the image encoder (median similarity {a:.2} > {max_alike:.2}). Put each shot somewhere else — its own location words — not a new angle on the same backdrop."
        ));
    }
    if med < min {
        return fail(format!(
            "the scenes are too alike: median background pHash distance {med:.0} < {min:.0}. Give each shot its own scene words."
        ));
    }
    if let Some(min_spread) = min_spread
        && spread < min_spread
    {
        return Outcome::new(
            spec,
            false,
            Some(spread),
            Some(min_spread),
            format!(
                "the subject sits in the same place at the same size in every image (spread {spread:.3} < {min_spread:.3}): vary framing and placement."
            ),
        )
        .with_measures(measures);
    }
    Outcome::new(
        spec,
        true,
        Some(med),
        Some(min),
        format!(
            "varied scenes: median background pHash distance {med:.0} ≥ {min:.0}; subject position spread {spread:.3}"
        ),
    )
    .with_measures(measures)
}

/// A subject box larger than this share of the frame leaves too little
/// background to say where the shot is.
const MOSTLY_SUBJECT: f64 = 0.9;

/// Each image's background as the built-in encoder sees it: the frame (at
/// most 448 px; the encoder takes 224) with the subject's box filled with
/// the mean colour of the pixels around it, so the subject does not count,
/// embedded; the median pairwise cosine similarity.
fn background_similarity(
    spec: &CheckSpec,
    images: &[Image],
    ls: &[SubjectLook],
    model: &crate::imaging::embedding::Embedder,
) -> Result<f64, Outcome> {
    let vs = embed_each(spec, images, ls, model, |rgb, l| {
        let mut frame = analysis::working(rgb, 448);
        let (w, h) = (f64::from(frame.width()), f64::from(frame.height()));
        let [bx, by, bw, bh] = l.bbox;
        let (x0, y0) = ((bx * w).floor() as u32, (by * h).floor() as u32);
        let (x1, y1) =
            ((((bx + bw) * w).ceil() as u32).min(frame.width()), (((by + bh) * h).ceil() as u32).min(frame.height()));
        let inside = |x: u32, y: u32| (x0..x1).contains(&x) && (y0..y1).contains(&y);
        let (mut sum, mut n) = ([0u64; 3], 0u64);
        for (x, y, p) in frame.enumerate_pixels() {
            if !inside(x, y) {
                for (total, v) in sum.iter_mut().zip(p.0) {
                    *total += u64::from(v);
                }
                n += 1;
            }
        }
        let fill = image::Rgb(sum.map(|s| s.checked_div(n).map_or(128, |m| m as u8)));
        for y in y0..y1 {
            for x in x0..x1 {
                frame.put_pixel(x, y, fill);
            }
        }
        frame
    })?;
    let mut sims = Vec::new();
    for i in 0..vs.len() {
        for j in i + 1..vs.len() {
            sims.push(crate::imaging::embedding::cosine(&vs[i], &vs[j]));
        }
    }
    Ok(median(sims))
}

/// `reproducible`: the images re-generated from the recipe with the same
/// backend match (see `compare_rerun` for the tolerance).
pub fn reproducible(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let Some(regen) = ctx.reproduce else {
        return Outcome::unmeasured(spec, "cannot verify reproducibility without a recipe to re-run");
    };
    match regen() {
        Ok(again) => {
            let mut o = compare_rerun(spec, images, &again, "the recipe");
            // A recipe that draws a random seed (none, or -1) is not reproducible,
            // however close two of its draws happen to land: nothing for a
            // person to weigh (a re-run's nearness is chance, not a near miss).
            let random = ctx.recipe.is_some_and(|r| r.resolve().iter().any(|x| x.seed.is_none_or(|s| s < 0)));
            if random && !o.passed {
                o.review = false;
            }
            o
        }
        Err(e) => Outcome::unmeasured(spec, format!("re-generating from the recipe failed: {e}")),
    }
}

/// `bundle_reruns`: the answer packed into a hand-off bundle, unpacked on a
/// clean machine (a fresh folder holding only the bundle) and re-run there,
/// gives the same images. A file the bundle lacks fails it: the other
/// machine does not have it.
pub fn bundle_reruns(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let Some(rerun) = ctx.bundle else {
        return Outcome::unmeasured(spec, "no hand-off bundle to re-run (the answer is not a recipe)");
    };
    match rerun() {
        Ok(again) => compare_rerun(spec, images, &again, "the hand-off bundle on a clean machine"),
        Err(e) => Outcome::new(spec, false, None, None, format!("the bundle does not re-run on another machine: {e}")),
    }
}

/// Compare images with their re-run: identical pixels pass; otherwise pHash
/// distance ≤ max_phash_distance (4) and SSIM ≥ min_ssim (0.92) count as
/// reproduced (for hosted backends that are not bit-exact) — every image
/// held to both; pHash ≤ 10 or SSIM ≥ 0.85 is "nearly" (needs review);
/// anything else fails.
fn compare_rerun(spec: &CheckSpec, images: &[Image], again: &[Vec<u8>], from: &str) -> Outcome {
    if again.len() != images.len() {
        return Outcome::new(
            spec,
            false,
            None,
            None,
            format!("re-running {from} made {} images, not {}", again.len(), images.len()),
        );
    }
    let p: Rerun = measured!(super::params(spec));
    let (max_ph, min_ssim) = (f64::from(p.max_phash_distance), p.min_ssim);
    // Every image is held to both tolerances: (index, pHash distance, SSIM).
    let mut differing: Vec<(usize, u32, f64)> = Vec::new();
    let mut identical = 0;
    for (i, (img, bytes)) in images.iter().zip(again).enumerate() {
        let other = super::Image::load(format!("re-run of {}", img.label), bytes.clone());
        let (Ok(a), Ok(b)) = (img.pixels(), other.pixels()) else {
            return Outcome::unmeasured(spec, format!("image {} or its re-run cannot be read", i + 1));
        };
        if a.rgb == b.rgb {
            identical += 1;
            continue;
        }
        let ph = analysis::hamming(analysis::phash(&a.rgb), analysis::phash(&b.rgb));
        let ss = if a.rgb.dimensions() == b.rgb.dimensions() {
            let (x, y) = (analysis::working(&a.rgb, 512), analysis::working(&b.rgb, 512));
            analysis::ssim(&analysis::gray(&x), &analysis::gray(&y))
        } else {
            0.0
        };
        differing.push((i, ph, ss));
    }
    let fails = |d: &&(usize, u32, f64)| f64::from(d.1) > max_ph || d.2 < min_ssim;
    // The image to report: the worst that fails, else the worst that passes.
    let failing = differing.iter().filter(fails).min_by(|a, b| a.2.total_cmp(&b.2));
    let worst = failing.or_else(|| differing.iter().min_by(|a, b| a.2.total_cmp(&b.2))).copied();
    let max_seen = differing.iter().map(|d| d.1).max().unwrap_or(0);
    match worst {
        None => Outcome::new(
            spec,
            true,
            Some(1.0),
            Some(min_ssim),
            format!("reproduced exactly: {identical} of {} images identical when re-run from {from}", images.len()),
        ),
        Some((_, _, ss)) if failing.is_none() => Outcome::new(
            spec,
            true,
            Some(ss),
            Some(min_ssim),
            format!(
                "reproduced: every re-run matches (pHash distance ≤ {max_seen}, SSIM ≥ {ss:.3}), though not bit-exact"
            ),
        ),
        Some((i, ph, ss)) => {
            let mut o = Outcome::new(
                spec,
                false,
                Some(ss),
                Some(min_ssim),
                format!(
                    "image {} changes when re-run from {from} (pHash distance {ph}, SSIM {ss:.2}): fix the seed (not -1) and keep every setting in the recipe",
                    i + 1
                ),
            );
            o.review = ph <= 10 || ss >= 0.85;
            if o.review {
                o.message = format!(
                    "nearly reproduced: image {} re-runs close but not within tolerance (pHash {ph}, SSIM {ss:.2}); needs review",
                    i + 1
                );
            }
            o
        }
    }
}

/// The descriptor study of `docs/research/identity-descriptors/`: every
/// descriptor the identity check could use, between every two fixture
/// images, written to `/tmp/ident.json` for `study.py` (`cargo test --lib
/// identity_descriptor_study -- --ignored`). Ignored: a measurement, not a
/// test.
#[cfg(test)]
mod descriptor_study {
    use super::*;
    use crate::imaging::analysis::Plane;

    fn lbp_hist(g: &Plane, mask: &[u8], mw: usize, mh: usize) -> Vec<f32> {
        // Rotation-invariant uniform LBP(8,1): 10 bins.
        let mut h = vec![0f32; 10];
        let off = [(-1i32, -1i32), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0)];
        for y in 1..g.h - 1 {
            for x in 1..g.w - 1 {
                let (mx, my) = (x * mw / g.w, y * mh / g.h);
                if mask[my.min(mh - 1) * mw + mx.min(mw - 1)] == 0 {
                    continue;
                }
                let c = g.at(x, y);
                let bits: Vec<u8> = off
                    .iter()
                    .map(|(dx, dy)| u8::from(g.at((x as i32 + dx) as usize, (y as i32 + dy) as usize) >= c + 2.0))
                    .collect();
                let trans = (0..8).filter(|i| bits[*i] != bits[(i + 1) % 8]).count();
                let ones = bits.iter().filter(|b| **b == 1).count();
                let bin = if trans <= 2 { ones } else { 9 };
                h[bin] += 1.0;
            }
        }
        let t: f32 = h.iter().sum();
        h.iter_mut().for_each(|v| *v /= t.max(1.0));
        h
    }

    fn hog(g: &Plane, mask: &[u8], mw: usize, mh: usize) -> Vec<f32> {
        // 2x2 cells over the masked extent x 8 unsigned orientation bins.
        let mut h = vec![0f32; 32];
        let own = |x: usize, y: usize| {
            let (mx, my) = (x * mw / g.w, y * mh / g.h);
            mask[my.min(mh - 1) * mw + mx.min(mw - 1)] > 0
        };
        let (mut x0, mut x1, mut y0, mut y1) = (g.w, 0, g.h, 0);
        for y in 0..g.h {
            for x in 0..g.w {
                if own(x, y) {
                    x0 = x0.min(x);
                    x1 = x1.max(x);
                    y0 = y0.min(y);
                    y1 = y1.max(y);
                }
            }
        }
        for y in 1..g.h - 1 {
            for x in 1..g.w - 1 {
                if !own(x, y) {
                    continue;
                }
                let gx = g.at(x + 1, y) - g.at(x - 1, y);
                let gy = g.at(x, y + 1) - g.at(x, y - 1);
                let m = (gx * gx + gy * gy).sqrt();
                let a = gy.atan2(gx).rem_euclid(std::f32::consts::PI);
                let b = ((a / std::f32::consts::PI * 8.0) as usize).min(7);
                let cx = usize::from(x * 2 > x0 + x1);
                let cy = usize::from(y * 2 > y0 + y1);
                h[(cy * 2 + cx) * 8 + b] += m;
            }
        }
        let t: f32 = h.iter().sum();
        h.iter_mut().for_each(|v| *v /= t.max(1e-6));
        h
    }

    fn chi2(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(x, y)| if x + y > 0.0 { ((x - y) * (x - y) / (x + y)) as f64 } else { 0.0 }).sum::<f64>()
            / 2.0
    }

    #[test]
    #[ignore]
    fn identity_descriptor_study() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subjects");
        let mut files = Vec::new();
        for sub in ["photos", "generated"] {
            let mut dirs: Vec<_> =
                std::fs::read_dir(root.join(sub)).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
            dirs.sort();
            for d in dirs.into_iter().filter(|d| d.is_dir()) {
                let mut fs: Vec<_> = std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect();
                fs.sort();
                for f in fs {
                    let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
                    if ["png", "jpg", "jpeg"].contains(&ext.as_str()) {
                        files.push((format!("{sub}/{}", d.file_name().unwrap().to_string_lossy()), f));
                    }
                }
            }
        }
        struct D {
            l: SubjectLook,
            lbp: Vec<f32>,
            hog: Vec<f32>,
            chroma: Vec<([f32; 3], f64)>,
            aspect: f64,
            kps: Vec<keypoints::Keypoint>,
            fill: f64,
        }
        let ds: Vec<D> = files
            .par_iter()
            .map(|(_, f)| {
                let img = Image::load(f.display().to_string(), std::fs::read(f).unwrap());
                let rgb = &img.pixels().unwrap().rgb;
                let l = look(rgb);
                let small = analysis::working(&analysis::working(rgb, 256), 128);
                let (sw, sh) = (small.width() as usize, small.height() as usize);
                let found = crate::imaging::subject::find(&small);
                let all: Vec<[f32; 3]> = small.pixels().map(|p| analysis::lab(p.0)).collect();
                let mask: Vec<u8> =
                    crate::imaging::subject::own_pixels_of_lab(&all, sw, [found.x, found.y, found.w, found.h])
                        .into_iter()
                        .map(u8::from)
                        .collect();
                let mid = analysis::working(rgb, 256);
                let g = analysis::gray(&mid);
                let lbp = lbp_hist(&g, &mask, sw, sh);
                let hog = hog(&g, &mask, sw, sh);
                let labs: Vec<[f32; 3]> =
                    all.iter().zip(&mask).filter(|(_, m)| **m > 0).map(|(l, _)| [60.0, l[1], l[2]]).collect();
                let chroma = analysis::dominant(&labs, 5);
                let own: Vec<(usize, usize)> =
                    (0..sw * sh).filter(|i| mask[*i] > 0).map(|i| (i % sw, i / sw)).collect();
                let ext = |v: Vec<usize>| {
                    let mut v = v;
                    v.sort();
                    let n = v.len().max(1);
                    (v[n * 95 / 100 - usize::from(n * 95 / 100 == n)] - v[n * 5 / 100]) as f64 + 1.0
                };
                let (ex, ey) = (ext(own.iter().map(|o| o.0).collect()), ext(own.iter().map(|o| o.1).collect()));
                let aspect = (ex / ey).ln();
                let fill = own.len() as f64 / (ex * ey);
                let kps = keypoints::detect(&img.working().unwrap());
                D { l, lbp, hog, chroma, aspect, kps, fill }
            })
            .collect();
        let n = ds.len();
        let mat = |f: &(dyn Fn(&D, &D) -> f64 + Sync)| -> Vec<Vec<f64>> {
            (0..n)
                .into_par_iter()
                .map(|i| (0..n).map(|j| if i == j { 0.0 } else { f(&ds[i], &ds[j]) }).collect())
                .collect()
        };
        let out = serde_json::json!({
            "images": files.iter().map(|(g, f)| serde_json::json!({"group": g, "file": f.file_name().unwrap().to_string_lossy()})).collect::<Vec<_>>(),
            "palette": mat(&|a, b| analysis::palette_distance(&a.l.palette, &b.l.palette)),
            "layout": mat(&|a, b| layout_distance(&a.l.layout, &b.l.layout)),
            "hist": mat(&|a, b| analysis::histogram_intersection(&a.l.hist, &b.l.hist)),
            "lbp": mat(&|a, b| chi2(&a.lbp, &b.lbp)),
            "hog": mat(&|a, b| chi2(&a.hog, &b.hog)),
            "chroma": mat(&|a, b| analysis::palette_distance(&a.chroma, &b.chroma)),
            "aspect": mat(&|a, b| (a.aspect - b.aspect).abs()),
            "fill": mat(&|a, b| (a.fill - b.fill).abs()),
            "kp": mat(&|a, b| keypoints::inliers_between(&a.kps, &b.kps) as f64),
        });
        std::fs::write("/tmp/ident.json", out.to_string()).unwrap();
    }
}
