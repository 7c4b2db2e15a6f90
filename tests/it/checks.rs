//! The check library on real photographs (DreamBooth, see tests/fixtures/README.md)
//! and on hostile files. Fixtures are derived in the test: crops, shifts,
//! JPEG, noise, recolouring.

use std::collections::HashMap;
use std::path::Path;

use genpath::checks::{self, Context, Image, Outcome, Severity};
use genpath::curriculum::{CheckSpec, Deliverable};
use genpath::imaging::analysis;
use image::{DynamicImage, RgbImage};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
}

fn photo(name: &str) -> RgbImage {
    image::load_from_memory(&fixture(&format!("photos/{name}.jpg"))).unwrap().to_rgb8()
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn jpeg(img: &RgbImage, q: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q).encode_image(img).unwrap();
    out
}

fn img(label: &str, rgb: &RgbImage) -> Image {
    Image::load(label, png(rgb))
}

fn spec(check: &str, params: &str) -> CheckSpec {
    let table: toml::Table = toml::from_str(params).unwrap();
    CheckSpec { check: check.into(), severity: Severity::Essential, params: table.into_iter().collect() }
}

struct Harness {
    deliverable: Deliverable,
    assets: HashMap<String, Vec<u8>>,
}

impl Harness {
    fn new() -> Self {
        Harness {
            deliverable: Deliverable {
                file: "recipe.toml".into(),
                count: 0,
                width: None,
                height: None,
                description: None,
            },
            assets: HashMap::new(),
        }
    }
    fn asset(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.assets.insert(name.into(), bytes);
        self
    }
    fn run(&self, spec: &CheckSpec, images: &[Image]) -> Outcome {
        let read = |p: &str| self.assets.get(p).cloned();
        let ctx = Context { assets: &read, ..Context::standalone(&self.deliverable) };
        checks::run_one(spec, images, &ctx)
    }
}

fn shift(img: &RgbImage, dx: i64) -> RgbImage {
    let (w, h) = img.dimensions();
    RgbImage::from_fn(w, h, |x, y| *img.get_pixel(((x as i64 - dx).clamp(0, w as i64 - 1)) as u32, y))
}

fn edge_map(rgb: &RgbImage) -> RgbImage {
    let e = analysis::canny(&analysis::gray(rgb));
    RgbImage::from_fn(rgb.width(), rgb.height(), |x, y| {
        let v = if e[(y * rgb.width() + x) as usize] > 0 { 255 } else { 0 };
        image::Rgb([v, v, v])
    })
}

#[test]
fn ssim_matches_scikit_image_on_the_fixture_pair() {
    // Reference: scikit-image 0.26.0 (see tests/fixtures/make_ssim_pair.py).
    let a = image::load_from_memory(&fixture("ssim-a.png")).unwrap().to_rgb8();
    let b = image::load_from_memory(&fixture("ssim-b.png")).unwrap().to_rgb8();
    let s = analysis::ssim(&analysis::gray(&a), &analysis::gray(&b));
    assert!((s - 0.510063797787085).abs() < 1e-3, "SSIM {s} differs from scikit-image's 0.5101");
}

#[test]
fn edge_adherence_forgives_a_2px_shift_and_rejects_an_unrelated_photo() {
    let base = photo("backpack-00");
    let control = edge_map(&base);
    let h = Harness::new().asset("edges.png", png(&control));
    let s = spec("edge_adherence", "control = \"edges.png\"");
    let same = h.run(&s, &[img("same", &base)]);
    assert!(same.passed && same.value.unwrap() > 0.8, "{same:?}");
    let shifted = h.run(&s, &[img("shifted", &shift(&base, 2))]);
    assert!(shifted.passed, "a 2 px shift should pass with tolerance: {shifted:?}");
    let other = h.run(&s, &[img("other", &photo("cat-00"))]);
    assert!(!other.passed && other.value.unwrap() < 0.15, "an unrelated photo should fail: {other:?}");
    assert!(other.message.contains("kind = \"edges\""), "the message says what to try: {}", other.message);
}

/// The ControlNet pairs in tests/fixtures/control: (name, map, outputs).
fn control_pairs() -> Vec<(&'static str, Vec<u8>, Vec<RgbImage>)> {
    [
        "canny/cn_bird",
        "canny/cn_dog",
        "hed/cn_cyber",
        "hed/cn_man",
        "mlsd/cn_building",
        "mlsd/cn_room",
        "scribble/cn_bag_fake",
        "scribble/cn_balloon",
        "scribble/cn_dog_interactive",
        "scribble/cn_shoe_fake",
        "scribble/cn_turtle",
    ]
    .into_iter()
    .map(|p| {
        let outs = ["out_01", "out_02"]
            .iter()
            .map(|o| image::load_from_memory(&fixture(&format!("control/{p}/{o}.png"))).unwrap().to_rgb8())
            .collect();
        (p, fixture(&format!("control/{p}/control.png")), outs)
    })
    .collect()
}

#[test]
fn edge_adherence_passes_real_controlnet_outputs_on_their_own_maps_only() {
    let pairs = control_pairs();
    let s = spec("edge_adherence", "control = \"map.png\"");
    for (name, map, outs) in &pairs {
        let h = Harness::new().asset("map.png", map.clone());
        for (k, o) in outs.iter().enumerate() {
            let own = h.run(&s, &[img("out", o)]);
            if *name == MISREGISTERED {
                assert!(!own.passed, "{name} now passes as copied: drop its registration test's exception");
                continue;
            }
            assert!(own.passed, "{name} output {} on its own map: {own:?}", k + 1);
        }
        for (other, _, other_outs) in pairs.iter().filter(|(n, _, _)| n != name) {
            for o in other_outs {
                let cross = h.run(&s, &[img("out", o)]);
                assert!(!cross.passed, "{other}'s output on {name}'s map: {cross:?}");
            }
        }
    }
}

/// `mask_adherence` on the two real ControlNet seg pairs (ADE20K-coloured
/// maps): each output passes on its own map and fails on the other's; the
/// map, its inverse, noise and the edge pairs' outputs fail on both.
#[test]
fn mask_adherence_passes_real_seg_outputs_on_their_own_maps_only() {
    let s = spec("mask_adherence", "control = \"map.png\"");
    let names = ["cn_house", "cn_river"];
    let open = |p: &str| image::load_from_memory(&fixture(&format!("control/seg/{p}.png"))).unwrap().to_rgb8();
    let mut strangers: Vec<RgbImage> = control_pairs().into_iter().flat_map(|(_, _, outs)| outs).collect();
    let mut state = 11u64;
    strangers.push(RgbImage::from_fn(300, 300, |_, _| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        image::Rgb([(state >> 56) as u8, (state >> 48) as u8, (state >> 40) as u8])
    }));
    for (k, name) in names.iter().enumerate() {
        let map = open(&format!("{name}/control"));
        let h = Harness::new().asset("map.png", png(&map));
        for out in ["out_01", "out_02"] {
            let own = h.run(&s, &[img(out, &open(&format!("{name}/{out}")))]);
            assert!(own.passed, "{name}/{out} on its own map: {own:?}");
            let other = names[1 - k];
            let cross = h.run(&s, &[img(out, &open(&format!("{other}/{out}")))]);
            assert!(!cross.passed, "{other}/{out} on {name}'s map: {cross:?}");
        }
        let inverse =
            RgbImage::from_fn(map.width(), map.height(), |x, y| image::Rgb(map.get_pixel(x, y).0.map(|v| 255 - v)));
        for (what, picture) in [("the map", &map), ("its inverse", &inverse)] {
            let o = h.run(&s, &[img(what, picture)]);
            assert!(!o.passed && o.message.contains("not a picture drawn from it"), "{what} on {name}: {o:?}");
        }
        for (i, o) in strangers.iter().enumerate() {
            let r = h.run(&s, &[img("stranger", o)]);
            assert!(!r.passed, "stranger {i} on {name}'s map: {r:?}");
        }
    }
}

/// The one pair whose map and outputs do not line up as copied: per
/// SOURCES.csv the map's crop starts 101 rows below its gallery cell (y 163
/// where the outputs' cells start at 62: rows taken for padding), and the
/// outputs were squeezed from 237×359 to the map's 237×258.
const MISREGISTERED: &str = "mlsd/cn_building";

#[test]
fn edge_adherence_passes_the_building_pair_once_registered_as_its_sources_say() {
    let map = image::load_from_memory(&fixture("control/mlsd/cn_building/control.png")).unwrap().to_rgb8();
    let (w, h, pad) = (map.width(), map.height(), 163 - 62);
    let full =
        RgbImage::from_fn(w, h + pad, |x, y| if y < pad { image::Rgb([255; 3]) } else { *map.get_pixel(x, y - pad) });
    let harness = Harness::new().asset("map.png", png(&full));
    let s = spec("edge_adherence", "control = \"map.png\"");
    for o in ["out_01", "out_02"] {
        let out = image::load_from_memory(&fixture(&format!("control/mlsd/cn_building/{o}.png"))).unwrap().to_rgb8();
        let out = image::imageops::resize(&out, w, h + pad, image::imageops::FilterType::Triangle);
        let r = harness.run(&s, &[img(o, &out)]);
        assert!(r.passed, "{o} on the registered building map: {r:?}");
    }
}

#[test]
fn edge_adherence_fails_the_map_its_inverse_and_noise_sparse_or_dense() {
    for (name, map, _) in control_pairs() {
        let m = image::load_from_memory(&map).unwrap().to_rgb8();
        let h = Harness::new().asset("map.png", map.clone());
        let s = spec("edge_adherence", "control = \"map.png\"");
        let inverse = RgbImage::from_fn(m.width(), m.height(), |x, y| {
            let p = m.get_pixel(x, y);
            image::Rgb([255 - p[0], 255 - p[1], 255 - p[2]])
        });
        let mut state = 7u64;
        let noise = RgbImage::from_fn(m.width(), m.height(), |_, _| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            image::Rgb([(state >> 56) as u8, (state >> 48) as u8, (state >> 40) as u8])
        });
        for (what, image) in [("the map", &m), ("its inverse", &inverse), ("noise", &noise)] {
            let o = h.run(&s, &[img(what, image)]);
            assert!(!o.passed, "{what} passed against {name}: {o:?}");
        }
        let o = h.run(&s, &[img("map", &m)]);
        assert!(o.message.contains("control map itself"), "{}", o.message);
    }
}

fn recolour(img: &RgbImage) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let (h, s, l) = genpath::imaging::color::to_hsl(img.get_pixel(x, y).0);
        image::Rgb(genpath::imaging::color::from_hsl(h + 150.0, s, l))
    })
}

#[test]
fn palette_checks_pass_the_photo_and_fail_it_recoloured() {
    let can = photo("can-00");
    // The photo's own dominant colours are the "brand".
    let small = analysis::working(&can, 128);
    let dom = analysis::dominant(&small.pixels().map(|p| analysis::lab(p.0)).collect::<Vec<_>>(), 8);
    let brand: Vec<String> = dom
        .iter()
        .filter(|(c, s)| *s > 0.08 && analysis::chroma(*c) > 12.0)
        .take(2)
        .map(|(c, _)| format!("\"{}\"", genpath::imaging::color::to_hex(analysis::lab_to_rgb(*c))))
        .collect();
    assert!(!brand.is_empty());
    let s = spec("required_colors", &format!("colors = [{}]", brand.join(", ")));
    let h = Harness::new();
    let orig = h.run(&s, &[img("can", &can)]);
    assert!(orig.passed, "{orig:?}");
    let rec = h.run(&s, &[img("recoloured", &recolour(&can))]);
    assert!(!rec.passed, "a recoloured subject must fail: {rec:?}");
    let cov = spec("palette_coverage", &format!("colors = [{}]\nmin_coverage = 0.5", brand.join(", ")));
    let a = h.run(&cov, &[img("can", &can)]);
    let b = h.run(&cov, &[img("recoloured", &recolour(&can))]);
    assert!(a.value.unwrap() > b.value.unwrap() + 0.3, "coverage {a:?} vs recoloured {b:?}");
    assert!(!b.passed);
}

/// `required_colors` with `on = "subject"` on the 116 hand-labelled real
/// pictures (tests/fixtures/subjects: DreamBooth photos and SD 1.5
/// outputs). The truth comes from the hand label, the verdict from the
/// subject finder: the subject's own main colour (the labelled box without
/// the colours around it) is found on the subject, and a backdrop colour
/// (outside the label, unlike every colour of the subject) is not — while
/// on the whole image it passes. Rates measured, lines below them.
#[test]
fn required_colors_on_the_subject_reads_the_subject_not_the_backdrop() {
    use genpath::imaging::{color::to_hex, subject};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subjects");
    let mut rows = csv::Reader::from_path(dir.join("boxes.csv")).unwrap();
    let h = Harness::new();
    let hex = |c: [f32; 3]| format!("\"{}\"", to_hex(analysis::lab_to_rgb(c)));
    let (mut subject_n, mut subject_pass, mut backdrop_n, mut backdrop_fail, mut backdrop_image_pass) = (0, 0, 0, 0, 0);
    for r in rows.records() {
        let r = r.unwrap();
        let file = r[0].to_string();
        let label: [f64; 4] = std::array::from_fn(|i| r[3 + i].parse().unwrap());
        let rgb = image::open(dir.join(&file)).unwrap().to_rgb8();
        let small = analysis::working(&rgb, 128);
        let k = f64::from(small.width()) / f64::from(rgb.width());
        let bbox = label.map(|v| (v * k).round() as u32);
        let own = subject::own_pixels(&small, bbox);
        let labs: Vec<[f32; 3]> = small.pixels().map(|p| analysis::lab(p.0)).collect();
        let mine: Vec<[f32; 3]> = labs.iter().zip(&own).filter(|(_, o)| **o).map(|(l, _)| *l).collect();
        let (x0, y0, x1, y1) = (bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]);
        let outside: Vec<[f32; 3]> = small
            .enumerate_pixels()
            .filter(|(x, y, _)| !(x0..x1).contains(x) || !(y0..y1).contains(y))
            .map(|(_, _, p)| analysis::lab(p.0))
            .collect();
        let palette = analysis::dominant(&mine, 8);
        if let Some((c, _)) = palette.iter().find(|(c, s)| *s >= 0.15 && analysis::chroma(*c) > 12.0) {
            subject_n += 1;
            let o = h.run(
                &spec("required_colors", &format!("colors = [{}]\non = \"subject\"", hex(*c))),
                &[img(&file, &rgb)],
            );
            if o.passed {
                subject_pass += 1;
            } else {
                eprintln!("subject colour {} of {file} not found on its subject: {}", hex(*c), o.message);
            }
        }
        let backdrop = analysis::dominant(&outside, 8).into_iter().find(|(c, s)| {
            *s >= 0.1 && analysis::chroma(*c) > 12.0 && palette.iter().all(|(p, _)| analysis::delta_e(*p, *c) > 20.0)
        });
        if let Some((c, _)) = backdrop {
            backdrop_n += 1;
            let on = |place: &str| {
                h.run(
                    &spec("required_colors", &format!("colors = [{}]\non = \"{place}\"", hex(c))),
                    &[img(&file, &rgb)],
                )
            };
            let (s, whole) = (on("subject"), on("image"));
            if !s.passed {
                backdrop_fail += 1;
            } else {
                eprintln!("backdrop colour {} of {file} passed on the subject: {}", hex(c), s.message);
            }
            backdrop_image_pass += usize::from(whole.passed);
        }
    }
    eprintln!(
        "subject colour found on the subject: {subject_pass}/{subject_n}; backdrop colour refused on the subject: {backdrop_fail}/{backdrop_n} (on the whole image it passes {backdrop_image_pass}/{backdrop_n})"
    );
    // Measured 2026-11-30: 75/87 found (the misses are dark browns and skin
    // where the finder's box is not the label's, so the clusters move by more
    // than the brand's ΔE00 6), 15/15 backdrops refused (13/15 pass on the
    // whole image).
    assert!(subject_n >= 80 && backdrop_n >= 12, "{subject_n} subjects, {backdrop_n} backdrops");
    assert!(subject_pass as f64 >= 0.8 * subject_n as f64, "{subject_pass}/{subject_n}");
    assert!(backdrop_fail as f64 >= 0.9 * backdrop_n as f64, "{backdrop_fail}/{backdrop_n}");
    assert!(backdrop_image_pass as f64 >= 0.7 * backdrop_n as f64, "the same colours on the whole image");
}

/// The game `on = "subject"` exists for: a grey mug on a teal wall under an
/// orange sun carries both brand colours in the image and neither on the
/// mug; a teal mug with an orange band on a cream backdrop carries both on
/// itself.
#[test]
fn required_colors_on_the_subject_refuses_brand_colours_that_are_only_scenery() {
    let (teal, orange, grey, cream) = ([27, 153, 139], [255, 122, 26], [150, 150, 150], [244, 235, 217]);
    let draw = |body: [u8; 3], band: [u8; 3], wall: [u8; 3], sun: [u8; 3]| {
        RgbImage::from_fn(512, 512, |x, y| {
            let (dx, dy) = (x as f32 - 425.0, y as f32 - 85.0);
            let p = if (190..330).contains(&x) && (220..420).contains(&y) {
                // The mug with its band, outlined as an illustration draws it.
                let edge = !(193..327).contains(&x) || !(223..417).contains(&y);
                if edge {
                    [40, 40, 40]
                } else if (280..305).contains(&y) {
                    band
                } else {
                    body
                }
            } else if dx * dx + dy * dy < 60.0 * 60.0 {
                sun
            } else if y >= 440 {
                cream
            } else {
                wall
            };
            image::Rgb(p)
        })
    };
    let h = Harness::new();
    let check =
        |place: &str| spec("required_colors", &format!("colors = [\"#FF7A1A\", \"#1B998B\"]\non = \"{place}\""));
    let game = img("grey mug", &draw(grey, grey, teal, orange));
    // (No orange sun here: a colour that also fills the surroundings is not
    // counted as the subject's own — docs/checks.md says so.)
    let real = img("teal mug", &draw(teal, orange, cream, cream));
    assert!(h.run(&check("image"), std::slice::from_ref(&game)).passed, "on the whole image the game passes");
    let refused = h.run(&check("subject"), &[game]);
    assert!(!refused.passed && refused.message.contains("on the subject"), "{}", refused.message);
    let kept = h.run(&check("subject"), &[real]);
    assert!(kept.passed, "{}", kept.message);
}

#[test]
fn ten_copies_of_one_image_fail_scene_variety_and_real_scenes_pass() {
    let h = Harness::new();
    let s = spec("scene_variety", "min_background_phash_distance = 16");
    let one = photo("dog-00");
    let copies: Vec<Image> = (0..10).map(|i| img(&format!("copy {i}"), &one)).collect();
    let o = h.run(&s, &copies);
    assert!(!o.passed && o.value == Some(0.0), "{o:?}");
    let varied: Vec<Image> =
        ["backpack-00", "cat-00", "dog-02", "clock-00", "vase-00"].iter().map(|n| img(n, &photo(n))).collect();
    let o = h.run(&s, &varied);
    assert!(o.passed, "{o:?}");
}

#[test]
fn identity_separates_one_subject_from_different_subjects() {
    let h = Harness::new();
    let s = spec("identity_consistency", "max_palette_delta_e = 11.0");
    let same: Vec<Image> = ["backpack-00", "backpack-01", "backpack-02"].iter().map(|n| img(n, &photo(n))).collect();
    let mixed: Vec<Image> = ["backpack-00", "can-00", "cat-00", "clock-00"].iter().map(|n| img(n, &photo(n))).collect();
    let a = h.run(&s, &same);
    let b = h.run(&s, &mixed);
    assert!(a.value.unwrap() < b.value.unwrap(), "same subject ΔE {:?} should be below mixed {:?}", a.value, b.value);
    assert!(a.passed, "three photos of one backpack: {a:?}");
    assert!(!b.passed, "four different subjects: {b:?}");
    assert!(a.message.contains("proxy"), "the message is honest about what colour can show");
}

/// `reproducible` over `images`, whose re-run gives `again`.
fn rerun(images: &[Image], again: Vec<Vec<u8>>) -> Outcome {
    let d =
        Deliverable { file: "r.toml".into(), count: images.len() as u32, width: None, height: None, description: None };
    let regen = move || Ok(again.clone());
    let ctx = Context { reproduce: Some(&regen), ..Context::standalone(&d) };
    checks::run_one(&spec("reproducible", ""), images, &ctx)
}

#[test]
fn reproducible_grades_exact_near_and_different() {
    let base = photo("cat-01");
    let run = |again: Vec<u8>| rerun(&[img("a", &base)], vec![again]);
    assert!(run(png(&base)).passed);
    let jpg = run(jpeg(&base, 75));
    assert!(jpg.passed, "JPEG q75 of the same render counts as reproduced: {jpg:?}");
    let shifted = run(png(&shift(&base, 8)));
    assert!(!shifted.passed, "{shifted:?}");
    let other = run(png(&photo("dog-00")));
    assert!(!other.passed && !other.review, "{other:?}");
}

#[test]
fn structure_kept_and_style_changed_on_a_real_photo() {
    let base = photo("vase-00");
    let h = Harness::new().asset("init.png", png(&base));
    let keep = spec("structure_kept", "init = \"init.png\"");
    let change = spec("style_changed", "init = \"init.png\"\nmin_delta_e = 8.0");
    let restyled = recolour(&base);
    assert!(h.run(&keep, &[img("restyled", &restyled)]).passed);
    let filtered = h.run(&change, &[img("hue flipped", &restyled)]);
    assert!(!filtered.passed && filtered.message.contains("only the colours changed"), "{filtered:?}");
    assert!(!h.run(&change, &[img("same", &base)]).passed, "an unchanged image did not change style");
    assert!(!h.run(&keep, &[img("other", &photo("clock-00"))]).passed, "another photo does not keep the structure");
}

/// `style_changed` tells a redraw from a colour filter: SD 2's own
/// image-to-image outputs measure as redrawn far above the line; greyscale, hue-flipped and JPEG-saved
/// filtered copies of the same init fail on it.
#[test]
fn style_changed_passes_real_img2img_and_fails_colour_filters() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/edit/sd2_img2img_mountains");
    let init = image::open(dir.join("init.png")).unwrap().to_rgb8();
    let h = Harness::new().asset("init.png", png(&init));
    let change = spec("style_changed", "init = \"init.png\"");
    for f in ["out.png", "out_02.png"] {
        let out = image::open(dir.join(f)).unwrap().to_rgb8();
        let o = h.run(&change, &[img(f, &out)]);
        // The sketch's palette survives (ΔE00 ~7 < 8): the redraw is what is judged here.
        let redrawn = o.measures.iter().find(|m| m.name == "redrawn").unwrap();
        assert!(redrawn.value > 10.0, "real img2img {f}: {o:?}");
    }
    let grey = RgbImage::from_fn(init.width(), init.height(), |x, y| {
        let p = init.get_pixel(x, y).0;
        image::Rgb([((u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10) as u8; 3])
    });
    let flipped = recolour(&init);
    let saved = image::load_from_memory(&jpeg(&flipped, 75)).unwrap().to_rgb8();
    for (name, out) in [("greyscale", &grey), ("hue flipped", &flipped), ("hue flipped, JPEG q75", &saved)] {
        let o = h.run(&change, &[img(name, out)]);
        let redrawn = o.measures.iter().find(|m| m.name == "redrawn").unwrap();
        assert!(!o.passed && redrawn.value < 3.3, "{name}: {o:?}");
    }
}

#[test]
fn inpainting_checks_see_changes_outside_the_mask() {
    let base = photo("dog-02");
    let (w, h_) = base.dimensions();
    let mask = RgbImage::from_fn(w, h_, |x, y| {
        if x > w / 3 && x < 2 * w / 3 && y > h_ / 3 && y < 2 * h_ / 3 {
            image::Rgb([255; 3])
        } else {
            image::Rgb([0; 3])
        }
    });
    let good = RgbImage::from_fn(w, h_, |x, y| {
        if mask.get_pixel(x, y).0[0] > 0 { image::Rgb([200, 40, 40]) } else { *base.get_pixel(x, y) }
    });
    let h = Harness::new().asset("init.png", png(&base)).asset("mask.png", png(&mask));
    let outside = spec("outside_mask_preserved", "init = \"init.png\"\nmask = \"mask.png\"");
    let inside = spec("inside_changed", "init = \"init.png\"\nmask = \"mask.png\"");
    assert!(h.run(&outside, &[img("good", &good)]).passed);
    assert!(h.run(&inside, &[img("good", &good)]).passed);
    let everywhere = recolour(&good);
    assert!(!h.run(&outside, &[img("repainted everything", &everywhere)]).passed);
    assert!(!h.run(&inside, &[img("unchanged", &base)]).passed);
}

fn subject_photo(file: &str) -> RgbImage {
    image::load_from_memory(&fixture(&format!("subjects/photos/{file}"))).unwrap().to_rgb8()
}

/// Black bars above and below, an eighth of the height each (a film in a
/// taller frame).
fn letterboxed(img: &RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    let bar = h / 8;
    let mut out = RgbImage::from_pixel(w, h + 2 * bar, image::Rgb([0, 0, 0]));
    image::imageops::replace(&mut out, img, 0, i64::from(bar));
    out
}

/// Measured on 80 photographs and 91 model outputs (`docs/checks.md`): the
/// normal key passes every picture that is not on a white seamless backdrop
/// or nearly black; those pass the key their brief names; letterbox bars do
/// not change a verdict.
#[test]
fn exposure_follows_the_briefs_key_and_ignores_letterbox_bars() {
    let h = Harness::new();
    let normal = spec("exposure", "");
    let high = spec("exposure", "key = \"high\"");
    let low = spec("exposure", "key = \"low\"");
    for file in ["backpack/00.jpg", "dog/00.jpg", "cat/01.jpg", "fancy_boot/03.jpg", "dog3/01.jpg", "can/00.jpg"] {
        let p = subject_photo(file);
        let o = h.run(&normal, &[img(file, &p)]);
        assert!(o.passed, "{file}: {o:?}");
        let o = h.run(&normal, &[img(file, &letterboxed(&p))]);
        assert!(o.passed, "{file} letterboxed: {o:?}");
    }
    // A vase on white seamless: high key by intent.
    for file in ["vase/03.jpg", "red_cartoon/01.jpg", "clock/05.jpg"] {
        let p = subject_photo(file);
        let o = h.run(&normal, &[img(file, &p)]);
        assert!(!o.passed && (o.message.contains("`key`") || o.message.contains("bright")), "{file}: {o:?}");
        assert!(h.run(&high, &[img(file, &p)]).passed, "{file} as high key");
        assert!(h.run(&high, &[img(file, &letterboxed(&p))]).passed, "{file} letterboxed, high key");
    }
    // A black cat in a dark room: low key.
    let cat = subject_photo("cat/03.jpg");
    assert!(h.run(&low, &[img("dark cat", &cat)]).passed);
    assert!(!h.run(&low, &[img("blown out", &RgbImage::from_pixel(64, 64, image::Rgb([255; 3])))]).passed);
    // Nothing to see is no key.
    let white = RgbImage::from_pixel(256, 256, image::Rgb([255; 3]));
    let black = RgbImage::from_pixel(256, 256, image::Rgb([0; 3]));
    assert!(!h.run(&high, &[img("white", &white)]).passed);
    assert!(!h.run(&low, &[img("black", &black)]).passed);
}

#[test]
fn exposure_and_clean_catch_dark_and_noisy_images() {
    let base = photo("clock-00");
    let h = Harness::new();
    let dark = RgbImage::from_fn(base.width(), base.height(), |x, y| image::Rgb(base.get_pixel(x, y).0.map(|v| v / 6)));
    assert!(h.run(&spec("exposure", ""), &[img("photo", &base)]).passed);
    assert!(!h.run(&spec("exposure", ""), &[img("dark", &dark)]).passed);
    let noisy = RgbImage::from_fn(base.width(), base.height(), |x, y| {
        let n = ((x * 7919 + y * 104_729) % 61) as i32 - 30;
        image::Rgb(base.get_pixel(x, y).0.map(|v| (v as i32 + n).clamp(0, 255) as u8))
    });
    assert!(h.run(&spec("clean", ""), &[img("photo", &base)]).passed);
    let o = h.run(&spec("clean", ""), &[img("noisy", &noisy)]);
    assert!(!o.passed && o.message.contains("steps"), "{o:?}");
}

/// `clean` on real photographs: fur, grass, foliage, fabric and gravel are
/// texture, not grain (the whole-image estimate called each of these noisy:
/// σ 7.0–11.8); a σ 4 blur and added grain are what fail.
#[test]
fn clean_passes_sharp_textured_photos_and_fails_blur_and_grain() {
    let h = Harness::new();
    let textured = ["bear_plushie-00", "shiny_sneaker-00", "shiny_sneaker-01", "fancy_boot-03", "dog3-01"];
    for name in textured.iter().chain(&["cat-00", "clock-00", "vase-00", "backpack-01"]) {
        let o = h.run(&spec("clean", ""), &[img(name, &photo(name))]);
        assert!(o.passed, "{name}: {o:?}");
    }
    for name in ["cat-00", "fancy_boot-03", "vase-00"] {
        let blurred = image::imageops::blur(&photo(name), 4.0);
        let o = h.run(&spec("clean", ""), &[img("blurred", &blurred)]);
        assert!(!o.passed && o.message.starts_with("soft"), "{name} blurred: {o:?}");
    }
    // Grain of σ 16 grey levels (sum of four uniforms), like an unconverged render's.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let base = photo("backpack-01");
    let grainy = RgbImage::from_fn(base.width(), base.height(), |x, y| {
        image::Rgb(base.get_pixel(x, y).0.map(|v| {
            let n = (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.732 * 16.0;
            (v as f32 + n).round().clamp(0.0, 255.0) as u8
        }))
    });
    let o = h.run(&spec("clean", ""), &[img("grainy", &grainy)]);
    assert!(!o.passed && o.message.starts_with("noisy"), "{o:?}");
}

#[test]
fn placement_and_safe_area_on_a_synthetic_layout() {
    // A dark product on the right third of a light, empty backdrop.
    let layout = RgbImage::from_fn(768, 512, |x, y| {
        if (500..680).contains(&x) && (120..420).contains(&y) {
            image::Rgb([180, 30, 40])
        } else {
            image::Rgb([235, 232, 228])
        }
    });
    let h = Harness::new();
    let right = spec("placement", "region = [0.6, 0.2, 0.3, 0.65]");
    assert!(h.run(&right, &[img("layout", &layout)]).passed);
    let left = spec("placement", "region = [0.05, 0.2, 0.3, 0.65]");
    let o = h.run(&left, &[img("layout", &layout)]);
    assert!(!o.passed && o.value.unwrap() < 0.1, "{o:?}");
    let rel = spec("placement", "region = [0.0, 0.0, 0.4, 1.0]\nrelation = \"right_of\"");
    assert!(h.run(&rel, &[img("layout", &layout)]).passed);
    let safe = spec("safe_area", "region = [0.05, 0.1, 0.45, 0.8]\ntext_color = \"#1A1A1A\"\nmin_contrast = 4.5");
    let o = h.run(&safe, &[img("layout", &layout)]);
    assert!(o.passed && o.message.contains("contrast"), "{o:?}");
    let busy = spec("safe_area", "region = [0.5, 0.1, 0.45, 0.8]");
    assert!(!h.run(&busy, &[img("layout", &layout)]).passed);
    // A real photo has no calm text area where the subject stands.
    assert!(
        !h.run(&spec("safe_area", "region = [0.25, 0.25, 0.5, 0.5]"), &[img("photo", &photo("backpack-01"))]).passed
    );
}

#[test]
fn hostile_and_odd_files_give_clear_outcomes_not_panics() {
    let h = Harness::new();
    let pixel = RgbImage::from_pixel(1, 1, image::Rgb([120, 10, 10]));
    let transparent = {
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image::RgbaImage::new(64, 64))
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let gray16 = {
        let img = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_fn(64, 64, |x, y| {
            image::Luma([(x * 1000 + y * 10) as u16])
        });
        let mut out = Vec::new();
        DynamicImage::ImageLuma16(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    };
    let grey8 = {
        let mut out = Vec::new();
        DynamicImage::ImageLuma8(DynamicImage::ImageRgb8(photo("cat-00")).to_luma8())
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let full = png(&photo("cat-00"));
    let truncated = full[..full.len() / 2].to_vec();
    // A PNG header claiming 100000×100000 pixels: a decompression bomb.
    let bomb = {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 100_000, 100_000);
        enc.set_color(png::ColorType::Grayscale);
        let mut w = enc.write_header().unwrap();
        let _ = w.write_image_data(&[]);
        drop(w);
        out
    };
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("1x1.png", png(&pixel)),
        ("transparent.png", transparent),
        ("gray16.png", gray16),
        ("grey.png", grey8),
        ("cmyk.jpg", fixture("cmyk.jpg")),
        ("truncated.png", truncated),
        ("bomb.png", bomb),
        ("empty.png", Vec::new()),
    ];
    let all = [
        spec("format", "width = 64\nheight = 64"),
        spec("exposure", ""),
        spec("clean", ""),
        spec("palette_coverage", "colors = [\"#FF0000\"]"),
        spec("required_colors", "colors = [\"#FF0000\"]"),
        spec("placement", "region = [0.1, 0.1, 0.5, 0.5]"),
        spec("rule_of_thirds", ""),
        spec("headroom", ""),
        spec("safe_area", "region = [0.1, 0.1, 0.5, 0.5]"),
        spec("identity_consistency", ""),
        spec("scene_variety", ""),
    ];
    for (name, bytes) in &files {
        let image = Image::load(*name, bytes.clone());
        let pair = [image.clone(), image.clone()];
        for s in &all {
            let o = h.run(s, &pair);
            assert!(o.value.is_none_or(|v| v.is_finite()), "{name} / {}: NaN or infinite value {o:?}", s.check);
            assert!(!o.message.is_empty());
            match *name {
                "truncated.png" | "bomb.png" | "empty.png" | "transparent.png" | "1x1.png" => {
                    assert!(!o.passed, "{name} / {}: must not pass: {o:?}", s.check)
                }
                _ => {}
            }
        }
    }
    let bomb = Image::load("bomb.png", files[6].1.clone());
    assert!(bomb.pixels().unwrap_err().contains("larger than genpath will decode"), "{:?}", bomb.pixels().err());
    let cmyk = Image::load("cmyk.jpg", fixture("cmyk.jpg"));
    assert!(cmyk.pixels().is_ok(), "CMYK JPEG should decode: {:?}", cmyk.pixels().err());
}

#[test]
fn keypoints_find_the_same_rigid_object_and_not_another() {
    use genpath::imaging::keypoints::inliers;
    let a = photo("shiny_sneaker-00");
    // The same photo, cropped and shifted, then JPEG-compressed: the same rigid object.
    let (w, h) = a.dimensions();
    let crop = image::imageops::crop_imm(&a, 12, 8, w - 40, h - 30).to_image();
    let crop = image::load_from_memory(&jpeg(&crop, 80)).unwrap().to_rgb8();
    let same = inliers(&a, &crop);
    let other = inliers(&a, &photo("clock-00"));
    assert!(same >= 15, "a cropped copy of the same object: {same} inliers");
    assert!(other < 15, "a different object: {other} inliers");
    let h = Harness::new();
    let s = spec("identity_consistency", "keypoints = true");
    let o = h.run(&s, &[img("a", &a), img("crop", &crop), img("a again", &a)]);
    assert!(o.message.contains("strong evidence of one rigid object"), "{o:?}");
}

#[test]
fn every_check_is_used_by_an_exercise_or_declared_library_only() {
    let curriculum = genpath::curriculum::Curriculum::builtin().unwrap();
    for def in genpath::checks::registry::CHECKS {
        let used = curriculum.exercises.iter().any(|e| e.checks.iter().any(|c| c.check == def.name));
        assert_eq!(
            used,
            !def.library_only,
            "{}: {}",
            def.name,
            if used {
                "used by an exercise but marked library_only"
            } else {
                "used by no exercise: mark it library_only"
            }
        );
    }
}

/// Run `genpath check EXERCISE IMAGE` in a fresh workspace: (passed, JSON).
fn check_cli(exercise: &str, image: &RgbImage) -> (bool, serde_json::Value) {
    let ws = tempfile::tempdir().unwrap();
    let file = ws.path().join("answer.png");
    image.save(&file).unwrap();
    let o = crate::common::run(ws.path(), &["check", exercise, file.to_str().unwrap(), "--json", "--no-images"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.success() && v["passed"] == true, v)
}

#[test]
fn images_made_to_game_the_fluency_checks_fail_their_exercise() {
    let flat_grey = RgbImage::from_pixel(512, 512, image::Rgb([128, 128, 128]));
    let halves = RgbImage::from_fn(512, 512, |x, _| {
        if x < 256 { image::Rgb([0xFF, 0x7A, 0x1A]) } else { image::Rgb([0x1B, 0x99, 0x8B]) }
    });
    for (exercise, name, img) in [
        ("fluency.first-image", "flat grey", &flat_grey),
        ("fluency.first-image", "orange/teal halves", &halves),
        ("fluency.brand-palette", "orange/teal halves", &halves),
    ] {
        let (passed, v) = check_cli(exercise, img);
        assert!(!passed, "{name} passed {exercise}: {v}");
    }
    // A flat grey box on white exactly where each lesson wants its subject.
    let grey_box = |r: [f64; 4]| {
        RgbImage::from_fn(512, 512, |x, y| {
            let (fx, fy) = (f64::from(x) / 512.0, f64::from(y) / 512.0);
            let inside = fx >= r[0] && fx < r[0] + r[2] && fy >= r[1] && fy < r[1] + r[3];
            image::Rgb(if inside { [128, 128, 128] } else { [255, 255, 255] })
        })
    };
    for (exercise, region) in [
        ("fluency.composition", [0.2, 0.12, 0.27, 0.5]),
        ("control.placement", [0.6, 0.2, 0.3, 0.65]),
        ("control.pose", [0.18, 0.22, 0.2, 0.69]),
    ] {
        let (passed, v) = check_cli(exercise, &grey_box(region));
        assert!(!passed, "a grey box passed {exercise}: {v}");
        let present = v["outcomes"].as_array().unwrap().iter().find(|o| o["check"] == "subject_present").unwrap();
        assert!(present["message"].as_str().unwrap().contains("flat shape"), "{exercise}: {present}");
    }
    let (_, v) = check_cli("fluency.first-image", &flat_grey);
    let outcomes = v["outcomes"].as_array().unwrap();
    let by = |c: &str| outcomes.iter().find(|o| o["check"] == c).unwrap().clone();
    assert_eq!(by("palette_coverage")["passed"], false, "no colour is not 100% on brand: {v}");
    assert_eq!(by("subject_present")["passed"], false, "{v}");
}

#[test]
fn real_photos_and_generated_images_have_a_subject() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subjects");
    let s = spec("subject_present", "");
    for file in [
        "photos/backpack/00.jpg",
        "photos/clock/00.jpg",
        "photos/cat/01.jpg",
        "generated/ipa_statue_beach/01.png",
        "generated/ipa_warrior_beach/01.png",
    ] {
        let rgb = image::open(dir.join(file)).unwrap().to_rgb8();
        let o = checks::run_on_images(&s, &[img(file, &rgb)], &Harness::new().deliverable);
        assert!(o.passed, "{file}: {o:?}");
    }
}

#[test]
fn images_from_elsewhere_are_not_judged_by_the_learners_recipe() {
    // Three solid orange squares and the recipe-library exercise: its recipe
    // checks read a recipe, which did not come with these images.
    let ws = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 0..3 {
        let f = ws.path().join(format!("square-{i}.png"));
        RgbImage::from_pixel(512, 512, image::Rgb([255, 122, 26])).save(&f).unwrap();
        files.push(f.to_string_lossy().into_owned());
    }
    let mut args = vec!["check", "fluency.recipe-library"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--json", "--no-images"]);
    let o = crate::common::run(ws.path(), &args);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!o.status.success() && v["passed"] == false, "{v}");
    for check in ["distinct_subjects", "recipe_documented"] {
        let out = v["outcomes"].as_array().unwrap().iter().find(|x| x["check"] == check).unwrap();
        assert_eq!(out["passed"], false, "{out}");
        assert!(out["message"].as_str().unwrap().contains("not checked: no recipe came with these images"), "{out}");
    }
}

#[test]
fn reproducible_holds_every_image_to_both_tolerances() {
    // Image 1 re-runs as a JPEG q50 (the lowest SSIM, 0.96, pHash 0: within
    // both tolerances); image 2 re-runs with a smooth light ramp: SSIM 0.98,
    // but its pHash moves by 8 (> 4). The old rule read only the first.
    let (a, b) = (photo("cat-01"), photo("dog-00"));
    let (w, h) = b.dimensions();
    let lit = RgbImage::from_fn(w, h, |x, y| {
        let p = b.get_pixel(x, y);
        let ramp = (x as f32 / w as f32 - 0.5) * 100.0 + (y as f32 / h as f32 - 0.5) * 50.0;
        image::Rgb(p.0.map(|v| (v as f32 + ramp).clamp(0.0, 255.0) as u8))
    });
    let g = |i: &RgbImage| analysis::gray(&analysis::working(i, 512));
    let ph = analysis::hamming(analysis::phash(&b), analysis::phash(&lit));
    let ss = analysis::ssim(&g(&b), &g(&lit));
    let ss_jpeg = analysis::ssim(&g(&a), &g(&image::load_from_memory(&jpeg(&a, 50)).unwrap().to_rgb8()));
    assert!(
        ph > 4 && ss > ss_jpeg,
        "the second re-run must move pHash and keep more SSIM than the JPEG: pHash {ph}, SSIM {ss:.3} vs {ss_jpeg:.3}"
    );
    let o = rerun(&[img("a", &a), img("b", &b)], vec![jpeg(&a, 50), png(&lit)]);
    assert!(!o.passed && o.message.contains("image 2"), "{o:?}");
}

#[test]
fn structure_is_kept_through_a_one_or_two_pixel_shift_but_not_a_large_one() {
    let s = spec("structure_kept", "init = \"init.png\"\nmin_ssim = 0.9");
    for name in ["vase-00", "cat-01", "dog-02"] {
        let base = photo(name);
        let h = Harness::new().asset("init.png", png(&base));
        let one = h.run(&s, &[img("1 px", &shift(&base, 1))]);
        let two = h.run(&s, &[img("2 px", &shift(&base, 2))]);
        assert!(one.passed && two.passed, "{name}: 1 px {one:?}; 2 px {two:?}");
        let far = h.run(&s, &[img("12 px", &shift(&base, 12))]);
        assert!(!far.passed, "{name}: a 12 px shift is a different layout: {far:?}");
    }
}

#[test]
fn a_perfect_inpaint_scores_one_and_a_foreign_patch_outside_the_mask_fails() {
    use genpath::checks::edits::outside_mask;
    let flat_art = RgbImage::from_fn(256, 256, |x, y| {
        if (x / 64 + y / 64) % 2 == 0 { image::Rgb([240, 120, 30]) } else { image::Rgb([30, 150, 140]) }
    });
    let mask = image::GrayImage::from_fn(256, 256, |x, y| {
        image::Luma([if (96..160).contains(&x) && (96..160).contains(&y) { 255 } else { 0 }])
    });
    let s = spec("outside_mask_preserved", "init = \"init.png\"\nmask = \"mask.png\"");
    for (name, init) in [("dog-02", photo("dog-02")), ("vase-00", photo("vase-00")), ("flat art", flat_art)] {
        let init = image::imageops::resize(&init, 256, 256, image::imageops::FilterType::Triangle);
        // A perfect inpaint: the init outside, something else inside.
        let perfect = RgbImage::from_fn(256, 256, |x, y| {
            if mask.get_pixel(x, y)[0] > 0 { image::Rgb([200, 20, 20]) } else { *init.get_pixel(x, y) }
        });
        let o = outside_mask(&init, &mask, &perfect).unwrap();
        assert_eq!((o.ssim, o.mean_delta_e, o.max_patch_delta_e), (1.0, 0.0, 0.0), "{name}");
        let h = Harness::new()
            .asset("init.png", png(&init))
            .asset("mask.png", png(&RgbImage::from_fn(256, 256, |x, y| image::Rgb([mask.get_pixel(x, y)[0]; 3]))));
        for q in [90u8, 75] {
            let j = image::load_from_memory(&jpeg(&perfect, q)).unwrap().to_rgb8();
            let m = outside_mask(&init, &mask, &j).unwrap();
            eprintln!("{name} JPEG q{q}: {m:?}");
            assert!(m.max_patch_delta_e < 4.0, "{name} q{q}: {m:?}");
        }
        assert!(
            h.run(&s, &[img("jpeg 90", &image::load_from_memory(&jpeg(&perfect, 90)).unwrap().to_rgb8())]).passed,
            "{name}: JPEG q90 of a perfect inpaint"
        );
        // A 32×32 foreign patch outside the mask.
        let mut patched = perfect.clone();
        for y in 10..42 {
            for x in 10..42 {
                patched.put_pixel(x, y, image::Rgb([255, 0, 255]));
            }
        }
        let o = h.run(&s, &[img("patched", &patched)]);
        assert!(!o.passed && o.message.contains("a patch outside the mask changed"), "{name}: {o:?}");
    }
}

#[test]
fn a_colour_filtered_copy_of_the_init_fails_restyle() {
    let forest = image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle/assets/forest.png"))
        .unwrap()
        .to_rgb8();
    let grey = RgbImage::from_fn(forest.width(), forest.height(), |x, y| {
        let p = forest.get_pixel(x, y).0;
        image::Rgb([((u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10) as u8; 3])
    });
    for (name, copy) in [("greyscale", grey), ("hue flipped", recolour(&forest))] {
        let (passed, v) = check_cli("control.restyle", &copy);
        assert!(!passed, "a {name} copy of the init passed restyle: {v}");
        let style = v["outcomes"].as_array().unwrap().iter().find(|o| o["check"] == "style_changed").unwrap();
        assert_eq!(style["passed"], false, "{name}: {style}");
    }
}

/// A re-run close to the original is "nearly" reproduced and asks for a
/// person — unless the recipe draws a random seed (seed = -1): then its
/// nearness is chance and the verdict is a plain fail.
#[test]
fn a_random_seed_is_never_nearly_reproducible() {
    let base = photo("cat-01");
    let images = [img("a", &base)];
    let d = Deliverable { file: "r.toml".into(), count: 1, width: None, height: None, description: None };
    let judge = |seed: i64, again: Vec<u8>| {
        let recipe = genpath::recipe::Recipe::parse(
            "r.toml",
            &format!("prompt = \"a cat\"\nseed = {seed}\n"),
            genpath::recipe::Limits::default(),
        )
        .unwrap();
        let regen = move || Ok(vec![again.clone()]);
        let ctx = Context { reproduce: Some(&regen), recipe: Some(&recipe), ..Context::standalone(&d) };
        checks::run_one(&spec("reproducible", ""), &images, &ctx)
    };
    let near = [1, 2, 3, 4, 6, 8, 12]
        .into_iter()
        .map(|px| png(&shift(&base, px)))
        .find(|again| {
            let o = judge(7, again.clone());
            !o.passed && o.review
        })
        .expect("a small shift of the image is a near miss on a fixed seed");
    let random = judge(-1, near);
    assert!(!random.passed && !random.review, "{random:?}");
}

/// Every real image the fixtures hold: the DreamBooth photos and the SD
/// outputs (IP-Adapter/LoRA identity sets, ControlNet outputs).
fn real_images() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut stack = vec![root.join("subjects"), root.join("control")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if (name.ends_with(".jpg") || name.ends_with(".png")) && name != "control.png" {
                out.push((p.strip_prefix(&root).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// `single_subject` on real pictures of one subject and on the practice
/// renderer's twins: SD 1.5-class at 1024² (twice its native side) draws the
/// subject twice; composed at 512² and enlarged by hires fix, once. The
/// threshold (0.6) sits above every real photo and output (highest 0.48).
#[test]
fn single_subject_passes_real_pictures_and_fails_twins() {
    let check = spec("single_subject", "");
    let h = Harness::new();
    let mut real: Vec<(f64, String)> = real_images()
        .into_iter()
        .map(|(label, bytes)| {
            let o = h.run(&check, &[Image::load(label.clone(), bytes)]);
            (o.value.unwrap(), label)
        })
        .collect();
    real.sort_by(|a, b| b.0.total_cmp(&a.0));
    eprintln!("single_subject on {} real images, highest: {:?}", real.len(), &real[..5]);
    let failing: Vec<&(f64, String)> = real.iter().filter(|r| r.0 > 0.6).collect();
    assert!(real.len() >= 140, "{} real images", real.len());
    assert!(failing.is_empty(), "real single-subject pictures flagged as twins: {failing:?}");

    let subjects = ["fox", "cat", "robot", "penguin", "bottle", "mug", "owl", "backpack"];
    let scenes = ["in a park", "on a beach", "studio backdrop", "in the snow"];
    let (mut twins, mut ones) = (Vec::new(), Vec::new());
    for (i, s) in subjects.iter().enumerate() {
        let prompt = format!("a {s}, flat vector, {}", scenes[i % scenes.len()]);
        let big = format!("prompt = \"{prompt}\"\nseed = {i}\nwidth = 1024\nheight = 1024\n");
        let hires = format!("prompt = \"{prompt}\"\nseed = {i}\nwidth = 512\nheight = 512\n[hires]\nscale = 2\n");
        for (text, into) in [(big, &mut twins), (hires, &mut ones)] {
            let r = genpath::recipe::Recipe::parse("t.toml", &text, genpath::recipe::Limits::default()).unwrap();
            let req = genpath::backend::Request { recipe: r.resolve().remove(0), inputs: Default::default() };
            let g = genpath::backend::Backend::generate(
                &genpath::backend::builtin::Builtin::new(),
                &req,
                &genpath::backend::Cancel::default(),
            )
            .unwrap();
            into.push(h.run(&check, &[Image::load(format!("{s} {}", text.len()), g.png)]));
        }
    }
    let caught = twins.iter().filter(|o| !o.passed).count();
    eprintln!("twins caught {caught}/{}: {:?}", twins.len(), twins.iter().map(|o| o.value).collect::<Vec<_>>());
    assert!(caught * 4 >= twins.len() * 3, "only {caught} of {} twin renders caught", twins.len());
    let flagged: Vec<&Outcome> = ones.iter().filter(|o| !o.passed).collect();
    assert!(flagged.is_empty(), "hires renders of one subject flagged: {flagged:?}");
    assert!(twins.iter().find(|o| !o.passed).unwrap().message.contains("hires fix"));
}
