//! The exercises' own checks on real model outputs: each exercise is loaded
//! from the embedded curriculum (as `genpath check` loads it) and its
//! `[[checks]]`, with the thresholds its exercise.toml sets, judge images
//! Stable Diffusion made (SD 1.5 + ControlNet, IP-Adapter, LoRA; copied from
//! the shared calibration set into tests/fixtures, attribution in each
//! folder's SOURCES.csv). The real good outputs must pass and mismatched ones
//! (another pair's output, another subject's images, an inpaint whose
//! outside changed) must fail. Each exercise's "On a real model" section
//! quotes these results.
//!
//! What is swapped: the exercise's asset files (its edge map, init, mask) are
//! served with the fixture's bytes under the exercise's own names, so the
//! check entries are used as written. Not run: `format` (the real outputs are
//! at their source figures' sizes, not the deliverable's) and `reproducible`
//! (it re-runs a recipe; there is none). For `control.pose`, `placement`'s
//! region is the fixture skeleton's box (the exercise's is its own
//! skeleton's); `min_iou` stays the exercise's. Identity is judged as a
//! workspace judges it by default, with the built-in image encoder.

use std::collections::HashMap;
use std::path::Path;

use genpath::checks::{self, Context, Image, Outcome};
use genpath::curriculum::{CheckSpec, Curriculum, Exercise};
use image::RgbImage;

fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn rgb(rel: &str) -> RgbImage {
    image::load_from_memory(&fixture(rel)).unwrap().to_rgb8()
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn exercise(id: &str) -> Exercise {
    Curriculum::builtin().unwrap().exercise(id).unwrap_or_else(|| panic!("no exercise {id}")).clone()
}

/// Checks a judgement leaves out, and why (see the module comment).
const NOT_RUN: [&str; 2] = ["format", "reproducible"];

/// An exercise's checks over `images`, its asset files replaced by `assets`
/// (exercise-relative name → bytes); `edit` may change a spec (placement's
/// region) before it runs.
fn judge(
    e: &Exercise,
    assets: &HashMap<&str, Vec<u8>>,
    images: &[Image],
    edit: &dyn Fn(&mut CheckSpec),
) -> Vec<Outcome> {
    let read = |p: &str| assets.get(p).cloned();
    let embedding = checks::Embedding::builtin_for(&e.checks).unwrap();
    let ctx = Context { assets: &read, embedding, ..Context::standalone(&e.deliverable) };
    e.checks
        .iter()
        .filter(|c| !NOT_RUN.contains(&c.check.as_str()))
        .map(|c| {
            let mut spec = c.clone();
            edit(&mut spec);
            checks::run_one(&spec, images, &ctx)
        })
        .collect()
}

fn no_edit(_: &mut CheckSpec) {}

fn outcome<'a>(outcomes: &'a [Outcome], check: &str) -> &'a Outcome {
    outcomes.iter().find(|o| o.check == check).unwrap_or_else(|| panic!("no {check} outcome in {outcomes:?}"))
}

/// Each outcome as `check pass|FAIL value/threshold [measures]`, for messages.
fn summary(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .map(|o| {
            let measures: Vec<String> = o
                .measures
                .iter()
                .map(|m| format!("{} {:.3}/{}", m.name, m.value, m.threshold.map_or("-".into(), |t| format!("{t}"))))
                .collect();
            format!(
                "{} {} {:.3}/{} [{}]",
                o.check,
                if o.passed { "pass" } else { "FAIL" },
                o.value.unwrap_or(f64::NAN),
                o.threshold.map_or("-".into(), |t| format!("{t}")),
                measures.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn asset(name: &'static str, bytes: Vec<u8>) -> HashMap<&'static str, Vec<u8>> {
    HashMap::from([(name, bytes)])
}

// ---- control.edge-layout: SD 1.5 + ControlNet edge models --------------------------------

/// The edge-type pairs (canny first: the model the exercise's real section
/// names; then the other line-map ControlNets, whose maps are also lines on
/// black). `mlsd/cn_building` is left out: as copied its map and outputs do
/// not line up (tests/it/checks.rs, `MISREGISTERED`).
const EDGE_PAIRS: [&str; 10] = [
    "canny/cn_bird",
    "canny/cn_dog",
    "hed/cn_cyber",
    "hed/cn_man",
    "mlsd/cn_room",
    "scribble/cn_bag_fake",
    "scribble/cn_balloon",
    "scribble/cn_dog_interactive",
    "scribble/cn_shoe_fake",
    "scribble/cn_turtle",
];

/// The one real good output a check of control.edge-layout rejects: the
/// turtle drawn small and dark on a dark, busy ground, where the subject
/// finder finds no distinct subject (`subject_present` 0.0 < 0.15) although
/// its edges follow the scribble (edge_adherence 0.20 ≥ 0.17).
const NO_SUBJECT_FOUND: &str = "scribble/cn_turtle/out_02";

#[test]
fn calibration_edge_layout_passes_real_controlnet_outputs_on_their_own_map_only() {
    let e = exercise("control.edge-layout");
    let control = e.checks.iter().find(|c| c.check == "edge_adherence").unwrap();
    let map_name = control.params["control"].as_str().unwrap().to_string();
    let map_name: &'static str = Box::leak(map_name.into_boxed_str());
    let outs = |p: &str| -> Vec<Image> {
        ["out_01", "out_02"]
            .iter()
            .map(|o| Image::load(format!("{p}/{o}"), fixture(&format!("control/{p}/{o}.png"))))
            .collect()
    };
    let (mut own, mut cross) = (Vec::new(), Vec::new());
    for pair in EDGE_PAIRS {
        let assets = asset(map_name, fixture(&format!("control/{pair}/control.png")));
        for img in outs(pair) {
            let r = judge(&e, &assets, std::slice::from_ref(&img), &no_edit);
            eprintln!("edge-layout own {}: {}", img.label, summary(&r));
            let adherence = outcome(&r, "edge_adherence");
            own.push(adherence.value.unwrap());
            assert!(adherence.passed, "{} on its own map must pass: {}", img.label, summary(&r));
            let present = outcome(&r, "subject_present");
            if img.label == NO_SUBJECT_FOUND {
                assert!(!present.passed, "{} now passes subject_present: drop the exception", img.label);
                continue;
            }
            assert!(r.iter().all(|o| o.passed), "{} on its own map must pass: {}", img.label, summary(&r));
        }
        for other in EDGE_PAIRS.iter().filter(|o| **o != pair) {
            for img in outs(other) {
                let r = judge(&e, &assets, std::slice::from_ref(&img), &no_edit);
                let adherence = outcome(&r, "edge_adherence");
                cross.push(adherence.value.unwrap());
                assert!(!adherence.passed, "{} on {pair}'s map must fail: {}", img.label, summary(&r));
            }
        }
    }
    let (lo, hi) = (own.iter().cloned().fold(f64::MAX, f64::min), cross.iter().cloned().fold(f64::MIN, f64::max));
    eprintln!("edge-layout: {} own outputs, lowest {lo:.3}; {} cross outputs, highest {hi:.3}", own.len(), cross.len());
    assert_eq!((own.len(), cross.len()), (20, 180));
}

// ---- control.consistent-character and control.character-lora: identity sets -------------

/// Sets of one identity (SD 1.5 with IP-Adapter or a LoRA), in
/// tests/fixtures/subjects/generated. The two face sets share one face
/// reference and the three statue sets one statue: never mixed as "different".
const IDENTITY_SETS: [&str; 8] = [
    "ipa_face_anime",
    "ipa_face_realistic",
    "ipa_statue_beach",
    "ipa_statue_depthcond",
    "ipa_statue_variations",
    "ipa_warrior_beach",
    "ipa_warrior_variations",
    "lora_green_hair_character",
];

fn identity_group(set: &str) -> &str {
    if set.starts_with("ipa_face") {
        "face"
    } else if set.starts_with("ipa_statue") {
        "statue"
    } else if set.starts_with("ipa_warrior") {
        "warrior"
    } else {
        "lora"
    }
}

fn set_images(set: &str) -> Vec<Image> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subjects/generated").join(set);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .map(|f| Image::load(format!("{set}/{}", f.file_name().unwrap().to_string_lossy()), std::fs::read(f).unwrap()))
        .collect()
}

/// The real identity sets shot in one place that `scene_variety` fails
/// (the others in one place embed below its line: the statue on one beach
/// 0.68, the depth-conditioned statue 0.64; the anime woman fills her
/// frames, the LoRA character nearly so).
const ONE_PLACE_CAUGHT: [&str; 4] =
    ["ipa_face_realistic", "ipa_statue_variations", "ipa_warrior_beach", "ipa_warrior_variations"];

/// The real identity set control.consistent-character passes only as
/// "needs review": the LoRA training-progress set, whose colours drift from
/// cell to cell more than the IP-Adapter sets' (odd one out ΔE00 13.5, in
/// the review band 12.6–13.6). It is left out of the intruder sets below
/// (a set that is borderline alone says little about a stranger in it).
const IDENTITY_REVIEWED: &str = "lora_green_hair_character";

#[test]
fn calibration_consistent_character_holds_real_identity_sets_and_rejects_mixed_ones() {
    let e = exercise("control.consistent-character");
    let none = HashMap::new();
    for set in IDENTITY_SETS {
        let r = judge(&e, &none, &set_images(set), &no_edit);
        eprintln!("consistent-character {set}: {}", summary(&r));
        let identity = outcome(&r, "identity_consistency");
        assert!(identity.passed, "{set}: {}", summary(&r));
        assert_eq!(identity.review, set == IDENTITY_REVIEWED, "{set}: {}", summary(&r));
        // Variations of one picture on one white backdrop are not six
        // scenes, nor is one garden, one beach or one grey backdrop (the
        // built-in encoder; docs/checks.md, `scene_variety`).
        let variety = outcome(&r, "scene_variety");
        assert_eq!(variety.passed, !ONE_PLACE_CAUGHT.contains(&set), "{set}: {}", summary(&r));
    }
    // Four identities, one image each.
    let firsts = ["ipa_face_realistic", "ipa_statue_beach", "ipa_warrior_beach", "lora_green_hair_character"];
    let mixed: Vec<Image> = firsts.iter().map(|s| set_images(s).remove(0)).collect();
    let r = judge(&e, &none, &mixed, &no_edit);
    eprintln!("consistent-character mixed: {}", summary(&r));
    assert!(!outcome(&r, "identity_consistency").passed, "four identities: {}", summary(&r));
    // Three images of a set and one of another identity: colour alone lets
    // an intruder of similar colouring through; the encoder catches most.
    let (mut caught, mut total) = (0, 0);
    for set in IDENTITY_SETS.iter().filter(|s| **s != IDENTITY_REVIEWED) {
        for intruder in IDENTITY_SETS.iter().filter(|o| identity_group(o) != identity_group(set)) {
            let mut imgs = set_images(set);
            imgs.truncate(3);
            imgs.push(set_images(intruder).remove(1));
            let r = judge(&e, &none, &imgs, &no_edit);
            let o = outcome(&r, "identity_consistency");
            total += 1;
            caught += usize::from(!o.passed);
            eprintln!("consistent-character {set} + {intruder}: {}", summary(&r));
        }
    }
    eprintln!("consistent-character: one intruder caught in {caught} of {total} sets");
    assert_eq!((caught, total), (INTRUDERS_CAUGHT, 39), "the intruder count moved: update the real section");
}

/// One-intruder sets control.consistent-character fails, of 39 (measured,
/// with the built-in encoder; 16 by colour alone): the three that pass are
/// the beach warrior and the beach statue in each other's sets and the
/// realistic face among the warriors (similarity 0.46–0.52, line 0.454).
const INTRUDERS_CAUGHT: usize = 36;

#[test]
fn calibration_character_lora_rejects_the_real_lora_set_for_its_centred_pose() {
    let e = exercise("control.character-lora");
    let none = HashMap::new();
    let r = judge(&e, &none, &set_images("lora_green_hair_character"), &no_edit);
    eprintln!("character-lora lora set: {}", summary(&r));
    // The LoRA's training look: one centred front view, not the left third.
    let placement = outcome(&r, "placement");
    assert!(!placement.passed && placement.value.unwrap() < 0.25, "{}", summary(&r));
    // …and its colours drift to the edge of the identity line: a person
    // should look (as above).
    let identity = outcome(&r, "identity_consistency");
    assert!(identity.passed && identity.review, "{}", summary(&r));
}

// ---- control.inpaint: SD inpainting with IP-Adapter / LoRA-PTI ----------------------------

const INPAINT_PAIRS: [&str; 2] = ["ipa_inpaint_face", "lora_pti_inpaint_pearl"];

/// `out` with `init` pasted back wherever the mask is black: what A1111's
/// "Inpaint area: Only masked" + mask blur 0 and ComfyUI's
/// `ImageCompositeMasked` do after the sampler.
fn paste_back(init: &RgbImage, mask: &RgbImage, out: &RgbImage) -> RgbImage {
    RgbImage::from_fn(init.width(), init.height(), |x, y| {
        if mask.get_pixel(x, y).0[0] > 127 { *out.get_pixel(x, y) } else { *init.get_pixel(x, y) }
    })
}

#[test]
fn calibration_inpaint_passes_real_inpaints_pasted_back_and_fails_raw_and_foreign_ones() {
    let e = exercise("control.inpaint");
    let spec = e.checks.iter().find(|c| c.check == "outside_mask_preserved").unwrap();
    let init_name: &'static str = Box::leak(spec.params["init"].as_str().unwrap().to_string().into_boxed_str());
    let mask_name: &'static str = Box::leak(spec.params["mask"].as_str().unwrap().to_string().into_boxed_str());
    for pair in INPAINT_PAIRS {
        let init = rgb(&format!("edit/{pair}/init.png"));
        let mask = rgb(&format!("edit/{pair}/mask.png"));
        let mut assets = asset(init_name, png(&init));
        assets.insert(mask_name, png(&mask));
        for o in ["out", "out_02"] {
            let out = rgb(&format!("edit/{pair}/{o}.png"));
            // As the pipeline returned it: no paste-back, so the VAE round trip
            // (and here the demo figure's JPEG and resizing) changed the outside.
            let raw = judge(&e, &assets, &[Image::load(o, png(&out))], &no_edit);
            eprintln!("inpaint {pair}/{o} raw: {}", summary(&raw));
            assert!(!outcome(&raw, "outside_mask_preserved").passed, "{pair}/{o} raw: {}", summary(&raw));
            assert!(outcome(&raw, "inside_changed").passed, "{pair}/{o} raw: {}", summary(&raw));
            // Pasted back outside the mask, as A1111 and ImageCompositeMasked do.
            let pasted = judge(&e, &assets, &[Image::load(o, png(&paste_back(&init, &mask, &out)))], &no_edit);
            eprintln!("inpaint {pair}/{o} pasted back: {}", summary(&pasted));
            assert!(pasted.iter().all(|o| o.passed), "{pair}/{o} pasted back: {}", summary(&pasted));
        }
        let unchanged = judge(&e, &assets, &[Image::load("init", png(&init))], &no_edit);
        eprintln!("inpaint {pair} init itself: {}", summary(&unchanged));
        assert!(!outcome(&unchanged, "inside_changed").passed, "{}", summary(&unchanged));
    }
}

// ---- control.restyle: SD 2 image-to-image, and what a VAE keeps ---------------------------

/// control.restyle's checks with `init` as the exercise's init asset.
fn restyle_judge(init: &RgbImage, out: &RgbImage) -> Vec<Outcome> {
    let e = exercise("control.restyle");
    let spec = e.checks.iter().find(|c| c.check == "structure_kept").unwrap();
    let init_name: &'static str = Box::leak(spec.params["init"].as_str().unwrap().to_string().into_boxed_str());
    judge(&e, &asset(init_name, png(init)), &[Image::load("out", png(out))], &no_edit)
}

/// The calibration set has no low-strength restyle of a finished picture;
/// its one img2img pair (SD 2, a sketch redrawn as a painting at high
/// strength) moved its objects — the big mountain on the right and the
/// castle are gone, the left peaks are redrawn elsewhere — though the
/// coarse zones (sky, sand left, river, grass right) survive. A catalogue
/// layout was not kept, and the exercise's checks must say so.
#[test]
fn calibration_restyle_rejects_a_high_strength_real_img2img() {
    let init = rgb("edit/sd2_img2img_mountains/init.png");
    for o in ["out", "out_02"] {
        let r = restyle_judge(&init, &rgb(&format!("edit/sd2_img2img_mountains/{o}.png")));
        eprintln!("restyle {o}: {}", summary(&r));
        assert!(!outcome(&r, "structure_kept").passed, "{o}: {}", summary(&r));
        // Redrawn (far above the filter line), but the sketch's palette survived.
        let style = outcome(&r, "style_changed");
        let redrawn = style.measures.iter().find(|m| m.name == "redrawn").unwrap();
        assert!(redrawn.value > 10.0 && !style.passed, "{o}: {}", summary(&r));
    }
}

fn jpeg_q(img: &RgbImage, q: u8) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, q).encode_image(img).unwrap();
    image::load_from_memory(&bytes).unwrap().to_rgb8()
}

/// A VAE round trip's loss, simulated (no model here): 8× down and up again
/// (SD's latent is 8× smaller than the picture) plus Gaussian noise σ 3.
fn down_up_noise(img: &RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    let small = genpath::imaging::resize::triangle_resize(img, (w / 8).max(1), (h / 8).max(1));
    let mut up = image::imageops::resize(&small, w, h, image::imageops::FilterType::Triangle);
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for p in up.pixels_mut() {
        for c in p.0.iter_mut() {
            let n = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos() * 3.0;
            *c = (f64::from(*c) + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    up
}

/// The subject's box (the subject finder's) moved right by `frac` of the
/// width, the hole it leaves smeared from its sides.
fn subject_moved(img: &RgbImage, frac: f64) -> RgbImage {
    let (w, h) = img.dimensions();
    let s = genpath::imaging::subject::find(img);
    let d = (f64::from(w) * frac).round() as u32;
    let dx: i64 = if s.x + s.w + d <= w { i64::from(d) } else { -i64::from(d) };
    let mut out = img.clone();
    for y in s.y..(s.y + s.h).min(h) {
        let l = img.get_pixel(s.x.saturating_sub(1), y).0;
        let r = img.get_pixel((s.x + s.w).min(w - 1), y).0;
        for x in s.x..(s.x + s.w).min(w) {
            let t = (x - s.x) as f32 / s.w.max(1) as f32;
            out.put_pixel(
                x,
                y,
                image::Rgb(std::array::from_fn(|c| (f32::from(l[c]) * (1.0 - t) + f32::from(r[c]) * t) as u8)),
            );
        }
    }
    for y in s.y..(s.y + s.h).min(h) {
        for x in s.x..(s.x + s.w).min(w) {
            let nx = i64::from(x) + dx;
            if (0..i64::from(w)).contains(&nx) {
                out.put_pixel(nx as u32, y, *img.get_pixel(x, y));
            }
        }
    }
    out
}

/// control.restyle's `structure_kept` alone, as the exercise sets it, with
/// `init` as its init asset.
fn restyle_structure(init: &RgbImage, out: &RgbImage) -> Outcome {
    let e = exercise("control.restyle");
    let spec = e.checks.iter().find(|c| c.check == "structure_kept").unwrap().clone();
    let init_name = spec.params["init"].as_str().unwrap().to_string();
    let read = move |p: &str| (p == init_name).then(|| png(init));
    let ctx = Context { assets: &read, ..Context::standalone(&e.deliverable) };
    checks::run_one(&spec, &[Image::load("out", png(out))], &ctx)
}

/// What control.restyle's `structure_kept` judges is the layout as SD's
/// latent keeps it. Over every photo in `tests/fixtures/photos/` and the
/// exercise's own init: simulated VAE losses (JPEG q30, 8× down-up with
/// noise) keep it; the picture mirrored or another picture do not; the
/// subject moved by 10% of the frame does not; moved by 5% it does not save
/// for the few the measurement over 172 pictures found (9 of 344 moves,
/// `docs/checks.md`; among these photos the 5% moves of cat-00, clock-00
/// and shiny_sneaker-00: the moved object still overlaps its old place at
/// 64 px, or the found box held only the cat's head), so at
/// most 3 of these may pass, and the forest's fox may not.
#[test]
fn restyle_structure_keeps_simulated_vae_losses_and_rejects_moved_mirrored_and_unrelated() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".jpg"))
        .collect();
    names.sort();
    let mut inits: Vec<(String, RgbImage)> = names
        .iter()
        .map(|n| (n.clone(), genpath::imaging::analysis::working(&rgb(&format!("photos/{n}")), 512)))
        .collect();
    let forest = image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle/assets/forest.png"))
        .unwrap()
        .to_rgb8();
    inits.push(("forest".into(), forest));
    assert!(inits.len() >= 15, "{names:?}");
    let mut moved_passed = Vec::new();
    for (name, init) in &inits {
        for (what, out) in [("JPEG q30", jpeg_q(init, 30)), ("8x down-up + noise", down_up_noise(init))] {
            let o = restyle_structure(init, &out);
            assert!(o.passed, "{name}, {what} (a VAE-like loss) lost the layout: {o:?}");
        }
        let o = restyle_structure(init, &image::imageops::flip_horizontal(init));
        assert!(!o.passed, "{name} mirrored kept the layout: {o:?}");
        for frac in [0.05, 0.10] {
            let o = restyle_structure(init, &subject_moved(init, frac));
            eprintln!("{name}, subject moved {frac}: {o:?}");
            if o.passed {
                assert!(
                    frac < 0.1 && name != "forest",
                    "{name}, subject moved by {frac} of the frame kept the layout: {o:?}"
                );
                moved_passed.push(format!("{name} {frac}"));
            }
        }
    }
    assert!(moved_passed.len() <= 3, "moved subjects that kept the layout: {moved_passed:?}");
    for (i, (name, init)) in inits.iter().enumerate() {
        let (other, out) = &inits[(i + 1) % inits.len()];
        let out = image::imageops::resize(out, init.width(), init.height(), image::imageops::FilterType::Triangle);
        let o = restyle_structure(init, &out);
        assert!(!o.passed, "{other} kept the layout of {name}: {o:?}");
    }
}

/// Copies that game the exercise fail it: the init itself (no palette
/// move), greyscale and hue-flipped copies and a global colour filter
/// (colours moved, nothing redrawn) — each keeps the layout perfectly, so
/// `style_changed` is what must catch them.
#[test]
fn restyle_fails_the_init_and_its_colour_filtered_copies() {
    let forest = image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle/assets/forest.png"))
        .unwrap()
        .to_rgb8();
    let map = |f: &dyn Fn([u8; 3]) -> [u8; 3]| {
        RgbImage::from_fn(forest.width(), forest.height(), |x, y| image::Rgb(f(forest.get_pixel(x, y).0)))
    };
    let grey = map(&|p| [((u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10) as u8; 3]);
    let hue = |deg: f32| {
        map(&move |p| {
            let (h, s, l) = genpath::imaging::color::to_hsl(p);
            genpath::imaging::color::from_hsl(h + deg, s, l)
        })
    };
    // A warm grade: red up, blue down, a little gamma — a filter, not a redraw.
    let grade = map(&|p| {
        let f = |v: u8, k: f32| (255.0 * (f32::from(v) / 255.0).powf(0.8) * k).clamp(0.0, 255.0) as u8;
        [f(p[0], 1.25), f(p[1], 0.8), f(p[2], 1.1)]
    });
    for (name, out) in [
        ("the init itself", forest.clone()),
        ("greyscale", grey),
        ("hue +150°", hue(150.0)),
        ("hue +60°", hue(60.0)),
        ("warm grade", grade),
    ] {
        let r = restyle_judge(&forest, &out);
        eprintln!("restyle, {name}: {}", summary(&r));
        assert!(outcome(&r, "structure_kept").passed, "{name}: {}", summary(&r));
        assert!(!outcome(&r, "style_changed").passed, "{name} passed as a restyle: {}", summary(&r));
    }
}

// ---- control.pose: SD 1.5 + control_sd15_openpose ------------------------------------------

const POSE_PAIRS: [&str; 2] = ["pose/cn_astronaut", "pose/cn_chef"];

/// The skeleton's box in fractions [x, y, w, h], as `placement`'s region.
fn skeleton_region(pair: &str) -> toml::Value {
    let map = rgb(&format!("control/{pair}/control.png"));
    // The drawn skeleton's box: every pixel brighter than the black ground.
    let lit: Vec<(u32, u32)> =
        map.enumerate_pixels().filter(|(_, _, p)| p.0.iter().any(|c| *c > 60)).map(|(x, y, _)| (x, y)).collect();
    let x0 = lit.iter().map(|p| p.0).min().unwrap() as f64;
    let x1 = lit.iter().map(|p| p.0).max().unwrap() as f64 + 1.0;
    let y0 = lit.iter().map(|p| p.1).min().unwrap() as f64;
    let y1 = lit.iter().map(|p| p.1).max().unwrap() as f64 + 1.0;
    let (w, h) = (map.width() as f64, map.height() as f64);
    let r = [x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h];
    eprintln!("pose {pair} skeleton region {r:?}");
    toml::Value::Array(r.iter().map(|v| toml::Value::Float(*v)).collect())
}

/// Real OpenPose outputs the checks of control.pose pass on their own
/// skeleton's box; the other two are rejected by the subject finder, not by
/// the pose: `cn_astronaut/out_02` (the box found covers a part of the
/// astronaut: IoU 0.18) and `cn_chef/out_01` (no distinct subject against the
/// busy kitchen: subject_present 0.11 < 0.15).
const POSE_PASSING: [&str; 2] = ["pose/cn_astronaut/out_01", "pose/cn_chef/out_02"];

#[test]
fn calibration_pose_on_real_openpose_outputs() {
    let e = exercise("control.pose");
    let none = HashMap::new();
    let img = |p: &str, o: &str| Image::load(format!("{p}/{o}"), fixture(&format!("control/{p}/{o}.png")));
    for pair in POSE_PAIRS {
        let region = skeleton_region(pair);
        let edit = |s: &mut CheckSpec| {
            if s.check == "placement" {
                s.params.insert("region".into(), region.clone());
            }
        };
        for o in ["out_01", "out_02"] {
            let r = judge(&e, &none, &[img(pair, o)], &edit);
            eprintln!("pose {pair}/{o} on its own skeleton: {}", summary(&r));
            let label = format!("{pair}/{o}");
            assert_eq!(r.iter().all(|o| o.passed), POSE_PASSING.contains(&label.as_str()), "{label}: {}", summary(&r));
        }
        // Both real skeletons are large, centred figures: the box cannot tell them apart.
        for other in POSE_PAIRS.iter().filter(|o| **o != pair) {
            for o in ["out_01", "out_02"] {
                let r = judge(&e, &none, &[img(other, o)], &edit);
                eprintln!("pose {other}/{o} on {pair}'s skeleton: {}", summary(&r));
            }
        }
    }
    // On the exercise's own skeleton (a small figure on the left third) every
    // real output, made from another skeleton, fails placement.
    for pair in POSE_PAIRS {
        for o in ["out_01", "out_02"] {
            let r = judge(&e, &none, &[img(pair, o)], &no_edit);
            eprintln!("pose {pair}/{o} on the exercise's skeleton: {}", summary(&r));
            assert!(!outcome(&r, "placement").passed, "{pair}/{o}: {}", summary(&r));
        }
    }
}
