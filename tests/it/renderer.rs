//! The built-in renderer's lessons, measured on real pixels.

use crate::common;
use genpath::backend::builtin::{self, Builtin};
use genpath::backend::inputs::{self, AssetDirs};
use genpath::backend::{Backend, Cancel, ControlInput, Inputs, Request};
use genpath::imaging::analysis;
use genpath::recipe::{ControlKind, Limits, Recipe, Resolved};
use image::{GrayImage, Luma, RgbImage};

fn recipe(text: &str) -> Resolved {
    Recipe::parse("test.toml", text, Limits::default()).unwrap().resolve().remove(0)
}

fn render(text: &str) -> builtin::Rendered {
    let r = recipe(text);
    builtin::render(&r, r.seed.unwrap() as u64, &Inputs::default()).unwrap()
}

fn png(text: &str) -> Vec<u8> {
    let r = recipe(text);
    Builtin::new().generate(&Request { recipe: r, inputs: Inputs::default() }, &Cancel::default()).unwrap().png
}

/// Lab palette (k = 5) of the core of the subject's box (its middle, where
/// the body is, so the scene behind does not count).
fn subject_palette(r: &builtin::Rendered) -> Vec<([f32; 3], f64)> {
    let (w, h) = r.image.dimensions();
    let b = r.plan.subject_box;
    let (x0, y0) = (((b.x + b.w * 0.3) * w as f32) as u32, ((b.y + b.h * 0.25) * h as f32) as u32);
    let (x1, y1) = (((b.x + b.w * 0.7) * w as f32) as u32, ((b.y + b.h * 0.9) * h as f32) as u32);
    let mut labs = Vec::new();
    for y in (y0..y1.min(h)).step_by(2) {
        for x in (x0..x1.min(w)).step_by(2) {
            labs.push(analysis::lab(r.image.get_pixel(x, y).0));
        }
    }
    analysis::dominant(&labs, 5)
}

fn mean_saturation(img: &RgbImage) -> f64 {
    img.pixels().map(|p| genpath::imaging::color::to_hsl(p.0).1 as f64).sum::<f64>() / img.len() as f64 * 3.0
}

const SCENES: [&str; 4] = ["on a beach", "in a forest", "in a city street", "in the mountains"];

#[test]
fn same_recipe_same_bytes_in_process_threads_and_child() {
    let text = "prompt = \"pip the fox, orange fur, teal scarf, on a beach, golden hour\"\nseed = 4242\n";
    let a = png(text);
    let b = png(text);
    assert_eq!(a, b);
    let threads: Vec<Vec<u8>> =
        (0..3).map(|_| std::thread::spawn(move || png(text))).map(|h| h.join().unwrap()).collect();
    assert!(threads.iter().all(|t| *t == a));
    // A child process (the real binary) writes the same bytes.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.toml");
    std::fs::write(&path, text).unwrap();
    let o = common::genpath(dir.path()).arg("render").arg(&path).arg("--out").arg(dir.path()).output().unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(std::fs::read(dir.path().join("r.png")).unwrap(), a);
    // A different seed differs.
    assert_ne!(png(&text.replace("4242", "4243")), a);
}

#[test]
fn random_seed_is_recorded_in_result_and_infotext() {
    let r = recipe("prompt = \"a cat\"\nseed = -1\n");
    let g = Builtin::new().generate(&Request { recipe: r, inputs: Inputs::default() }, &Cancel::default()).unwrap();
    assert!(g.seed >= 0);
    let chunks = genpath::recipe::png::text_chunks(&g.png).unwrap();
    let params = &chunks.iter().find(|(k, _)| k == "parameters").unwrap().1;
    assert!(params.contains(&format!("Seed: {}", g.seed)), "{params}");
}

#[test]
fn underspecified_character_drifts_but_a_character_sheet_with_reference_holds() {
    let loose: Vec<_> = SCENES.iter().map(|s| render(&format!("prompt = \"a fox, {s}\"\nseed = 11\n"))).collect();
    let sheet = "pip the fox, orange fur, cream belly, teal scarf, round eyes, plain, regular build";
    let first = render(&format!("prompt = \"{sheet}, {}\"\nseed = 11\n", SCENES[0]));
    let mut held = vec![first.clone()];
    for s in &SCENES[1..] {
        let r =
            recipe(&format!("prompt = \"{sheet}, {s}\"\nseed = 11\n[reference]\nimage = \"ref.png\"\nweight = 0.8\n"));
        let inputs = Inputs { reference: Some((first.image.clone(), 0.8)), ..Inputs::default() };
        held.push(builtin::render(&r, 11, &inputs).unwrap());
    }
    let (loose_d, held_d) = (identity_spread(&loose), identity_spread(&held));
    assert!(loose_d > 12.0, "an under-specified fox should drift across scenes: mean ΔE00 {loose_d:.1}");
    assert!(held_d < 8.0, "a character sheet + reference should hold identity: mean ΔE00 {held_d:.1}");
    // The pinned attributes really are what the sheet says.
    assert!(held.iter().all(|r| r.plan.subject == genpath::recipe::vocab::Subject::Fox));
}

/// The edge-layout exercise's map and reference recipe, rendered at a weight.
fn edge_layout(weight: f32) -> (RgbImage, GrayImage) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/edge-layout");
    let map = image::open(root.join("assets/layout-edges.png")).unwrap().to_luma8();
    let r = recipe(&std::fs::read_to_string(root.join("solution/recipe.toml")).unwrap());
    let controls = vec![ControlInput::from_gray(ControlKind::Edges, map.clone(), weight)];
    (builtin::render(&r, 5, &Inputs { controls, ..Inputs::default() }).unwrap().image, map)
}

/// Pixels of `img` inside the box (fractions) as Lab.
fn labs_in(img: &RgbImage, (x0, y0, x1, y1): (f32, f32, f32, f32)) -> Vec<[f32; 3]> {
    let (w, h) = img.dimensions();
    let (w, h) = (w as f32, h as f32);
    let mut out = Vec::new();
    for y in (y0 * h) as u32..(y1 * h) as u32 {
        for x in (x0 * w) as u32..(x1 * w) as u32 {
            out.push(analysis::lab(img.get_pixel(x, y).0));
        }
    }
    out
}

/// Standard deviation of lightness (L*): the shading and contrast of a region.
fn contrast(labs: &[[f32; 3]]) -> f32 {
    let n = labs.len() as f32;
    let mean = labs.iter().map(|l| l[0]).sum::<f32>() / n;
    (labs.iter().map(|l| (l[0] - mean).powi(2)).sum::<f32>() / n).sqrt()
}

#[test]
fn an_edge_map_shapes_the_subject_and_never_paints_over_it() {
    let f1 = |img: &RgbImage, map: &GrayImage| {
        let truth: Vec<u8> = map.pixels().map(|p| (p.0[0] > 127) as u8).collect();
        let edges = analysis::canny(&analysis::gray(img));
        analysis::edge_f1(&edges, &truth, img.width() as usize, img.height() as usize, 2).f1
    };
    let (one, map) = edge_layout(1.0);
    let (zero, _) = edge_layout(0.0);
    let (low, _) = edge_layout(0.3);
    let (two, _) = edge_layout(2.0);
    let (f_one, f_zero, f_low) = (f1(&one, &map), f1(&zero, &map), f1(&low, &map));
    assert!(f_one >= 0.6, "weight 1.0 fits the robot to the map: canny F1 {f_one:.2} < 0.6");
    assert!(f_zero <= 0.3, "weight 0 ignores the map: canny F1 {f_zero:.2} > 0.3");
    assert!(f_low < f_one, "weight 0.3 follows loosely ({f_low:.2} vs {f_one:.2})");
    // The circle (the head) is the robot's head, not a flat fill of a map
    // colour: silver on average, with the dark visor and the cyan eyes in it.
    let head = (0.585, 0.25, 0.735, 0.45);
    let labs = labs_in(&one, head);
    let mean =
        labs.iter().fold([0f32; 3], |a, l| [a[0] + l[0], a[1] + l[1], a[2] + l[2]]).map(|v| v / labs.len() as f32);
    let chroma = (mean[1].powi(2) + mean[2].powi(2)).sqrt();
    assert!(chroma < 15.0, "the head is silver (mean chroma {chroma:.1})");
    let dark = labs.iter().filter(|l| l[0] < 25.0).count() as f32 / labs.len() as f32;
    let cyan = labs.iter().filter(|l| l[2] < -15.0 && l[1] < 0.0).count();
    assert!(
        dark > 0.1 && cyan > 20,
        "the head has the robot's visor ({:.0}% dark) and eyes ({cyan} cyan px)",
        dark * 100.0
    );
    // The box (the body) has the robot's colours too: silver with the cyan chest panel.
    let body = labs_in(&one, (0.56, 0.52, 0.76, 0.84));
    let cyan_body = body.iter().filter(|l| l[2] < -15.0 && l[1] < 0.0).count() as f32 / body.len() as f32;
    assert!(
        (0.02..0.4).contains(&cyan_body),
        "the chest panel is an accent, not a fill ({:.0}% cyan)",
        cyan_body * 100.0
    );
    // The scene is still drawn around it: sky above the horizon, grass below.
    let sky = labs_in(&one, (0.02, 0.05, 0.3, 0.3));
    let grass = labs_in(&one, (0.02, 0.75, 0.5, 0.95));
    assert!(sky.iter().filter(|l| l[2] < -10.0).count() * 2 > sky.len(), "blue sky above the horizon");
    assert!(grass.iter().filter(|l| l[1] < -10.0).count() * 2 > grass.len(), "green grass below it");
    // Well above 1 the map over-constrains: flatter shading and banding inside the subject.
    let (c_one, c_two) = (contrast(&labs), contrast(&labs_in(&two, head)));
    assert!(c_two < c_one * 0.8, "weight 2.0 flattens the head's shading: L* sd {c_two:.1} vs {c_one:.1} at 1.0");
    // No weight shows the map itself: its luminance does not correlate with the image's.
    for img in [&one, &two] {
        let a = genpath::checks::edits::edge_agreement(img, &image::DynamicImage::ImageLuma8(map.clone()).to_rgb8());
        assert!(a.map_correlation.abs() < 0.3, "map correlation {:.2}", a.map_correlation);
    }
}

#[test]
fn line_art_is_followed_like_edges_and_a_scribble_more_loosely() {
    let f1 = |kind: ControlKind| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/edge-layout");
        let map = image::open(root.join("assets/layout-edges.png")).unwrap().to_luma8();
        let r = recipe(&std::fs::read_to_string(root.join("solution/recipe.toml")).unwrap());
        let truth: Vec<u8> = map.pixels().map(|p| (p.0[0] > 127) as u8).collect();
        let controls = vec![ControlInput::from_gray(kind, map, 0.7)];
        let img = builtin::render(&r, 5, &Inputs { controls, ..Inputs::default() }).unwrap().image;
        analysis::edge_f1(&analysis::canny(&analysis::gray(&img)), &truth, 768, 512, 2).f1
    };
    let (edges, lineart, scribble) = (f1(ControlKind::Edges), f1(ControlKind::Lineart), f1(ControlKind::Scribble));
    assert_eq!(edges, lineart);
    assert!(scribble < edges, "at weight 0.7 a scribble is followed more loosely: F1 {scribble:.2} vs {edges:.2}");
}

/// Image-to-image of the restyle exercise's approved scene at a strength.
fn img2img(prompt: &str, strength: f32) -> (RgbImage, RgbImage) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle");
    let init = image::open(root.join("assets/forest.png")).unwrap().to_rgb8();
    let r = recipe(&format!("prompt = \"{prompt}\"\nseed = 7\n[init]\nimage = \"i.png\"\nstrength = {strength}\n"));
    let out = builtin::render(&r, 7, &Inputs { init: Some(init.clone()), ..Inputs::default() }).unwrap().image;
    (out, init)
}

/// Double exposure: how much of each of two pictures' contours an image
/// shows — the share of the init's canny edges found in it, and the share
/// of the prompt's own redraw's (strength 1). A picture that is one of them
/// shows most of its contours and few of the other's; a superimposition
/// shows many of both.
fn contours_shown(out: &RgbImage, init: &RgbImage, redraw: &RgbImage) -> (f64, f64) {
    let (w, h) = (out.width() as usize, out.height() as usize);
    let edges = |img: &RgbImage| analysis::canny(&analysis::gray(img));
    let mine = edges(out);
    let shown = |theirs: &[u8]| analysis::edge_f1(&mine, theirs, w, h, 2).recall;
    (shown(&edges(init)), shown(&edges(redraw)))
}

#[test]
fn image_to_image_redraws_without_double_exposure() {
    let prompt = "a fox, purple fur, pink belly, in a forest, sunrise, flat vector, plain";
    let (redraw, init) = img2img(prompt, 1.0);
    let mut seen = Vec::new();
    for s in [0.0, 0.2, 0.45, 0.6, 0.7, 0.8, 0.95] {
        let (out, _) = img2img(prompt, s);
        let (of_init, of_new) = contours_shown(&out, &init, &redraw);
        assert!(
            of_init.min(of_new) < 0.5,
            "strength {s}: a double exposure ({:.0}% of the init's contours and {:.0}% of the redraw's)",
            of_init * 100.0,
            of_new * 100.0
        );
        seen.push((s, of_init, of_new));
    }
    // Low strength keeps the init (exact at 0); high keeps only its layout.
    assert_eq!(img2img(prompt, 0.0).0, init, "strength 0 returns the init");
    assert!(seen[2].1 > 0.65, "0.45 keeps the init's contours: {:.2}", seen[2].1);
    assert!(seen[6].1 < 0.5 && seen[6].2 > 0.7, "0.95 is the prompt's picture: {:?}", seen[6]);
    // At 0.45 the subject takes the prompt's colours where the init's fox was.
    let (mid, _) = img2img(prompt, 0.45);
    let fox = labs_in(&mid, (0.4, 0.45, 0.5, 0.55));
    let purple = fox.iter().filter(|l| l[1] > 20.0 && l[2] < -10.0).count() as f32 / fox.len() as f32;
    assert!(purple > 0.5, "the fox is purple at 0.45 ({:.0}%)", purple * 100.0);
    // …and the layout stays at 0.95: the fox is drawn where the init's was.
    let (high, _) = img2img(prompt, 0.95);
    let found = genpath::imaging::subject::find(&high);
    let was = genpath::imaging::subject::find(&init);
    let centre = |s: &genpath::imaging::subject::Subject| (s.x + s.w / 2, s.y + s.h / 2);
    let (a, b) = (centre(&found), centre(&was));
    assert!(a.0.abs_diff(b.0) < 40 && a.1.abs_diff(b.1) < 40, "subject at {a:?}, the init's at {b:?}");
}

/// Below strength 0.7 the init is redrawn, not colour-filtered: how much
/// of the output no colour filter of the init explains grows with strength
/// and crosses `style_changed`'s line (every filtered copy of 171 real
/// pictures ≤ 2.9) by 0.45, while the structure stays (SSIM ≥ 0.9); a
/// watercolour prompt brings its wash. Seeds 1–4 of the restyle solution.
#[test]
fn image_to_image_below_redraw_redraws_light_and_detail() {
    let prompt = "a fox, purple fur, pink belly, in a forest, sunrise, flat vector, plain";
    let gray = |img: &RgbImage| analysis::gray(&analysis::working(img, 512));
    let redrawn: Vec<f64> = [0.2, 0.45, 0.6]
        .iter()
        .map(|s| {
            let (out, init) = img2img(prompt, *s);
            analysis::filter_residual(&init, &out)
        })
        .collect();
    assert!(redrawn[0] < redrawn[1] && redrawn[1] < redrawn[2], "redraw grows with strength: {redrawn:?}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle");
    let init = image::open(root.join("assets/forest.png")).unwrap().to_rgb8();
    for seed in 1..=4 {
        let r = recipe(&format!("prompt = \"{prompt}\"\nseed = {seed}\n[init]\nimage = \"i.png\"\nstrength = 0.45\n"));
        let out = builtin::render(&r, seed, &Inputs { init: Some(init.clone()), ..Inputs::default() }).unwrap().image;
        let (residual, ssim) = (analysis::filter_residual(&init, &out), analysis::ssim(&gray(&init), &gray(&out)));
        assert!(residual > 3.3 && ssim > 0.9, "seed {seed}: redrawn {residual:.2}, SSIM {ssim:.3}");
    }
    // The prompt's medium: a watercolour redraw lets the paper through (lighter, less saturated).
    let mean = |img: &RgbImage| {
        let labs: Vec<[f32; 3]> = img.pixels().map(|p| analysis::lab(p.0)).collect();
        let n = labs.len() as f32;
        (labs.iter().map(|l| l[0]).sum::<f32>() / n, labs.iter().map(|l| analysis::chroma(*l)).sum::<f32>() / n)
    };
    let (flat, _) = img2img(prompt, 0.45);
    let (wash, _) = img2img(&prompt.replace("flat vector, plain", "watercolor"), 0.45);
    let ((l_flat, c_flat), (l_wash, c_wash)) = (mean(&flat), mean(&wash));
    assert!(
        l_wash > l_flat + 3.0 && c_wash < c_flat,
        "wash L {l_wash:.1} C {c_wash:.1}; flat L {l_flat:.1} C {c_flat:.1}"
    );
}

#[test]
fn a_colour_goes_to_the_part_it_names_whatever_the_word() {
    // "cap" is also a hat for characters; on a product it is the product's cap.
    for part in ["cap", "lid", "strap", "trim"] {
        let r = render(&format!("prompt = \"a bottle, white body, orange {part}, in a studio\"\nseed = 3\n"));
        let orange = genpath::recipe::vocab::COLORS.iter().find(|(n, _)| *n == "orange").unwrap().1;
        let d = analysis::delta_e(analysis::lab(r.plan.accent), analysis::lab(orange));
        assert!(d < 6.0, "\"orange {part}\" colours the bottle's accent part: ΔE00 {d:.1} from orange");
    }
}

#[path = "../../examples/make_assets.rs"]
#[allow(dead_code)] // its `main` writes the assets; the tests compare with them
mod make_assets;

fn exercise(id: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control").join(id)
}

#[test]
fn the_curriculums_control_maps_are_what_the_drawing_helper_draws() {
    let asset = |p: &str| image::open(exercise(p)).unwrap().to_rgb8();
    assert!(asset("pose/assets/pose.png") == make_assets::pose_map(), "run `cargo run --example make_assets`");
    assert!(
        asset("placement/assets/layout-seg.png") == make_assets::placement_map(),
        "run `cargo run --example make_assets`"
    );
}

#[test]
fn an_openpose_skeleton_puts_the_head_on_its_head_and_the_feet_on_its_ankles() {
    use genpath::imaging::control_maps;
    let map = make_assets::pose_map();
    let (w, h) = (map.width() as f32, map.height() as f32);
    let skeleton = control_maps::read_pose(&map);
    let (head, feet) = (skeleton.head().unwrap(), skeleton.feet().unwrap());
    let r = recipe(&std::fs::read_to_string(exercise("pose/solution/recipe.toml")).unwrap());
    let posed = builtin::render(
        &r,
        31,
        &Inputs { controls: vec![ControlInput::new(ControlKind::Pose, map.clone(), 1.0)], ..Inputs::default() },
    )
    .unwrap();
    let (hx, hy) = posed.head();
    assert!(
        (hx * w - head.0).abs() < 0.02 * w && (hy * h - head.1).abs() < 0.02 * h,
        "head drawn at ({:.0}, {:.0}), skeleton's at {head:?}",
        hx * w,
        hy * h
    );
    let b = posed.plan.subject_box;
    assert!(((b.y + b.h) * h - feet).abs() < 0.03 * h, "feet at {:.0}, ankles at {feet:.0}", (b.y + b.h) * h);
    // On the pixels: the subject the checks find stands over the skeleton.
    let found = genpath::imaging::subject::find(&posed.image);
    let centre = (found.x + found.w / 2) as f32;
    let (x0, _, x1, _) = skeleton.bounds().unwrap();
    assert!(
        (centre - (x0 + x1) / 2.0).abs() < 0.05 * w,
        "subject centre x {centre:.0}, skeleton {:.0}",
        (x0 + x1) / 2.0
    );
    // A white stick figure is not an OpenPose map: the pose ControlNet would not read it, nor does the renderer.
    let stick = RgbImage::from_fn(768, 512, |x, y| {
        let on = (x as i32 - 215).abs() < 3 && (230..470).contains(&y);
        image::Rgb(if on { [255; 3] } else { [0; 3] })
    });
    let free = builtin::render(&r, 31, &Inputs::default()).unwrap();
    let white = builtin::render(
        &r,
        31,
        &Inputs { controls: vec![ControlInput::new(ControlKind::Pose, stick, 1.0)], ..Inputs::default() },
    )
    .unwrap();
    assert_eq!(white.plan.subject_box, free.plan.subject_box);
}

#[test]
fn segmentation_classes_land_where_their_ade20k_colours_are() {
    use genpath::imaging::control_maps::seg_color;
    // The banner template: the bottle where the bottle class is.
    let map = make_assets::placement_map();
    let r = recipe(&std::fs::read_to_string(exercise("placement/solution/recipe.toml")).unwrap());
    let out = builtin::render(
        &r,
        7,
        &Inputs { controls: vec![ControlInput::new(ControlKind::Seg, map, 1.0)], ..Inputs::default() },
    )
    .unwrap()
    .image;
    let found = genpath::imaging::subject::find(&out);
    let [x, y, w, h] = found.fraction(out.width(), out.height());
    let (ix0, iy0, ix1, iy1) = (x.max(0.64), y.max(0.2), (x + w).min(0.86), (y + h).min(0.85));
    let inter = (ix1 - ix0).max(0.0) * (iy1 - iy0).max(0.0);
    let iou = inter / (w * h + 0.22 * 0.65 - inter);
    assert!(iou > 0.6, "bottle box {:?} vs the bottle class region: IoU {iou:.2}", [x, y, w, h]);
    // Sky above, grass below, an animal on the left: the horizon follows the sky's edge.
    let (sky, grass, animal) = (seg_color("sky").unwrap(), seg_color("grass").unwrap(), seg_color("animal").unwrap());
    let scene = RgbImage::from_fn(512, 512, |x, y| {
        let inside = (60..200).contains(&x) && (200..440).contains(&y);
        image::Rgb(if inside {
            animal
        } else if y < 300 {
            sky
        } else {
            grass
        })
    });
    let fox = recipe("prompt = \"a fox, orange fur, in a park, noon\"\nseed = 4\n");
    let r = builtin::render(
        &fox,
        4,
        &Inputs { controls: vec![ControlInput::new(ControlKind::Seg, scene, 1.0)], ..Inputs::default() },
    )
    .unwrap();
    assert!((r.plan.horizon - 300.0 / 512.0).abs() < 0.02, "horizon at {:.3}", r.plan.horizon);
    let (hx, _) = r.head();
    assert!(hx < 0.45, "the fox stands in the animal region on the left (head x {hx:.2})");
    let blue = labs_in(&r.image, (0.6, 0.05, 0.95, 0.25)).iter().filter(|l| l[2] < -5.0).count();
    let green = labs_in(&r.image, (0.6, 0.65, 0.95, 0.95)).iter().filter(|l| l[1] < -10.0).count();
    assert!(blue > 1000 && green > 1000, "sky above the class edge ({blue} blue px), grass below ({green} green px)");
    // No tree class, no trees: the sky region is sky.
    let sky_px = labs_in(&r.image, (0.5, 0.3, 0.98, 0.57));
    let treeish = sky_px.iter().filter(|l| l[1] < -15.0).count() as f32 / sky_px.len() as f32;
    assert!(treeish < 0.02, "{:.0}% of the sky class region is foliage", treeish * 100.0);
}

#[test]
fn hex_codes_are_not_understood_and_a_reference_gives_the_exact_colour() {
    let teal = [27u8, 153, 139];
    let de = |c: [u8; 3]| analysis::delta_e(analysis::lab(c), analysis::lab(teal));
    // A hex code is reported, and says no colour: the body is whatever the seed gives.
    let hex = render("prompt = \"a mug, #1B998B body, studio backdrop\"\nseed = 8\n");
    assert!(hex.not_understood.iter().any(|w| w == "#1b998b"), "{:?}", hex.not_understood);
    let named: Vec<f32> = (1..=12)
        .map(|seed| de(render(&format!("prompt = \"a mug, teal body, studio backdrop\"\nseed = {seed}\n")).plan.body))
        .collect();
    // A colour word is a family: near the value, rarely on it.
    assert!(named.iter().all(|d| *d < 12.0), "teal stays teal: {named:?}");
    assert!(named.iter().filter(|d| **d > 2.0).count() >= 8, "but wanders around it: {named:?}");
    // The brand sheet as a reference pulls the named colour onto the exact value.
    let sheet = image::open(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/fluency/brand-palette/assets/brand-sheet.png"),
    )
    .unwrap()
    .to_rgb8();
    for seed in 1..=12u64 {
        let r = recipe(&format!("prompt = \"a mug, teal body, studio backdrop\"\nseed = {seed}\n"));
        let with =
            builtin::render(&r, seed, &Inputs { reference: Some((sheet.clone(), 1.0)), ..Inputs::default() }).unwrap();
        assert!(
            de(with.plan.body) < 2.0,
            "seed {seed}: ΔE00 {:.1} with the brand sheet as reference",
            de(with.plan.body)
        );
    }
}

#[test]
fn inpainting_keeps_every_pixel_outside_the_mask() {
    let init = render("prompt = \"a penguin, in the snow\"\nseed = 3\n").image;
    let (w, h) = init.dimensions();
    let mask = GrayImage::from_fn(w, h, |x, y| {
        Luma([if (200..360).contains(&x) && (150..400).contains(&y) { 255 } else { 0 }])
    });
    let r = recipe("prompt = \"a red bear\"\nseed = 9\n[init]\nimage = \"i.png\"\nmask = \"m.png\"\nstrength = 1.0\n");
    let inputs = Inputs { init: Some(init.clone()), mask: Some(mask.clone()), ..Inputs::default() };
    let out = builtin::render(&r, 9, &inputs).unwrap().image;
    let mut changed_inside = 0;
    for (x, y, m) in mask.enumerate_pixels() {
        if m.0[0] == 0 {
            assert_eq!(out.get_pixel(x, y), init.get_pixel(x, y), "pixel {x},{y} outside the mask changed");
        } else if out.get_pixel(x, y) != init.get_pixel(x, y) {
            changed_inside += 1;
        }
    }
    assert!(changed_inside > 20_000, "the masked region should be repainted ({changed_inside} px changed)");
}

#[test]
fn few_steps_are_noisy_and_high_cfg_oversaturates() {
    let base = "prompt = \"a fox, orange fur, in a park, noon\"\nseed = 12\n";
    let noise = |steps: u32| analysis::noise_sigma(&analysis::gray(&render(&format!("{base}steps = {steps}\n")).image));
    let (n4, n30) = (noise(4), noise(30));
    assert!(n4 > 3.0 * n30 && n4 > 5.0, "steps 4 noise {n4:.1} vs steps 30 {n30:.1}");
    let sat = |cfg: f32| mean_saturation(&render(&format!("{base}cfg = {cfg}\n")).image);
    let (s7, s18, s2) = (sat(7.0), sat(18.0), sat(2.0));
    assert!(s18 > s7 * 1.15, "cfg 18 saturation {s18:.3} vs cfg 7 {s7:.3}");
    assert!(s2 < s7 * 0.85, "cfg 2 saturation {s2:.3} vs cfg 7 {s7:.3}");
}

#[test]
fn ancestral_samplers_change_with_steps_deterministic_ones_converge() {
    let img = |sampler: &str, steps: u32| {
        render(&format!("prompt = \"a cat in a park\"\nseed = 8\nsampler = \"{sampler}\"\nsteps = {steps}\n")).image
    };
    let g = |i: &RgbImage| analysis::gray(i);
    let det = analysis::ssim(&g(&img("dpmpp_2m", 30)), &g(&img("dpmpp_2m", 40)));
    let anc = analysis::ssim(&g(&img("euler_a", 30)), &g(&img("euler_a", 40)));
    assert!(det > 0.95, "a deterministic sampler converges: SSIM {det:.3}");
    assert!(anc < det - 0.1, "an ancestral sampler keeps changing: SSIM {anc:.3} vs {det:.3}");
}

#[test]
fn negative_prompt_removes_elements_and_unknown_words_are_reported() {
    let with = render("prompt = \"a fox in a forest, zorblat\"\nseed = 2\n");
    let without = render("prompt = \"a fox in a forest, zorblat\"\nnegative = \"trees\"\nseed = 2\n");
    assert!(without.plan.removed.contains("trees"));
    assert_ne!(with.image, without.image);
    assert_eq!(with.not_understood, vec!["zorblat".to_string()]);
}

#[test]
fn bad_inputs_are_clear_errors_before_drawing() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = AssetDirs {
        recipe_dir: Some(dir.path().to_path_buf()),
        exercise: None,
        exercise_label: String::new(),
        sandbox: false,
    };
    // Missing init image names the path.
    let r = recipe("prompt = \"a cat\"\nseed = 1\n[init]\nimage = \"nope.png\"\n");
    let e = inputs::load(&r, &dirs, &[]).unwrap_err().to_string();
    assert!(e.contains("asset not found: nope.png"), "{e}");
    // Mask size mismatch.
    RgbImage::new(512, 512).save(dir.path().join("init.png")).unwrap();
    GrayImage::new(256, 256).save(dir.path().join("mask.png")).unwrap();
    let r = recipe("prompt = \"a cat\"\nseed = 1\n[init]\nimage = \"init.png\"\nmask = \"mask.png\"\n");
    let e = inputs::load(&r, &dirs, &[]).unwrap_err().to_string();
    assert!(e.contains("mask mask.png is 256×256 but the init image init.png is 512×512"), "{e}");
    // Size, strength and control kind are recipe errors.
    for (text, want) in [
        ("prompt = \"a\"\nwidth = 4096\n", "outside 8–2048"),
        ("prompt = \"a\"\nwidth = 500\n", "not a multiple of 8"),
        ("prompt = \"a\"\n[init]\nimage = \"i.png\"\nstrength = 1.5\n", "outside 0–1"),
        ("prompt = \"a\"\n[[control]]\nkind = \"mask\"\nimage = \"e.png\"\n", "mask"),
    ] {
        let e = Recipe::parse("r.toml", text, Limits::default()).unwrap_err().to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
    // Unknown sampler.
    let r = recipe("prompt = \"a\"\nseed = 1\nsampler = \"warp_drive\"\n");
    let e = builtin::render(&r, 1, &Inputs::default()).err().unwrap().to_string();
    assert!(e.contains("unknown sampler 'warp_drive'"), "{e}");
}

#[test]
fn every_example_recipe_renders() {
    let dir = tempfile::tempdir().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/recipes");
    let mut n = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = common::genpath(dir.path()).arg("render").arg(&path).arg("--out").arg(dir.path()).output().unwrap();
            assert!(o.status.success(), "{}: {}", path.display(), common::stderr(&o));
            n += 1;
        }
    }
    assert!(n >= 12, "only {n} example recipes");
}

const FOX: &str = "prompt = \"a red fox, orange fur, in a park, golden hour\"\nseed = 77\nwidth = 256\nheight = 256\n";

fn rendered(text: &str) -> RgbImage {
    render(text).image
}

fn differing(a: &RgbImage, b: &RgbImage) -> f64 {
    let n = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
    n as f64 / (a.width() * a.height()) as f64
}

#[test]
fn a_variation_seed_moves_from_the_seeds_image_toward_the_subseeds() {
    let base = rendered(FOX);
    let other = rendered(&FOX.replace("seed = 77", "seed = 5"));
    assert_eq!(
        rendered(&format!("{FOX}subseed = 5\nsubseed_strength = 0.0\n")),
        base,
        "strength 0 is the seed's image"
    );
    assert_eq!(rendered(&format!("{FOX}subseed = 5\nsubseed_strength = 1.0\n")), other, "strength 1 is the subseed's");
    let near = rendered(&format!("{FOX}subseed = 5\nsubseed_strength = 0.2\n"));
    assert!(differing(&near, &base) > 0.2, "a variant, not the same image");
    let (ga, gn, go) = (analysis::gray(&base), analysis::gray(&near), analysis::gray(&other));
    assert!(
        analysis::ssim(&ga, &gn) > analysis::ssim(&go, &gn) + 0.1,
        "closer to the seed's composition than to the subseed's"
    );
}

#[test]
fn karras_converges_in_fewer_steps_than_the_normal_schedule() {
    let noise = |text: &str| analysis::noise_sigma(&analysis::gray(&rendered(text)));
    let normal = noise(&format!("{FOX}steps = 8\n"));
    let karras = noise(&format!("{FOX}steps = 8\nscheduler = \"karras\"\n"));
    assert!(karras < normal * 0.85, "karras {karras:.2} vs normal {normal:.2} at 8 steps");
}

#[test]
fn hires_fix_upscales_and_adds_detail_a_plain_enlargement_lacks() {
    let r = recipe(&format!("{FOX}[hires]\nscale = 1.5\ndenoise = 0.5\n"));
    let g = Builtin::new().generate(&Request { recipe: r, inputs: Inputs::default() }, &Cancel::default()).unwrap();
    assert_eq!((g.width, g.height), (384, 384));
    let hires = image::load_from_memory(&g.png).unwrap().to_rgb8();
    let plain = image::imageops::resize(&rendered(FOX), 384, 384, image::imageops::FilterType::Lanczos3);
    let detail = |img: &RgbImage| analysis::laplacian_variance(&analysis::gray(img));
    assert!(detail(&hires) > detail(&plain) * 1.3, "hires {:.1} vs enlarged {:.1}", detail(&hires), detail(&plain));
}

#[test]
fn a_control_that_ends_early_or_yields_to_the_prompt_shapes_less() {
    // A circle's outline, white on black, as canny maps are.
    let map = inputs::gray(256, 256, |x, y| {
        let d = f32::hypot(x as f32 - 128.0, y as f32 - 100.0);
        if (d - 60.0).abs() < 1.2 { 255 } else { 0 }
    });
    let edges: Vec<u8> = map.pixels().map(|p| (p.0[0] > 127) as u8).collect();
    let f1 = |start: f32, end: f32, mode: genpath::recipe::ControlMode| {
        let r = recipe(FOX);
        let mut c = ControlInput::from_gray(ControlKind::Edges, map.clone(), 1.0);
        (c.start, c.end, c.mode) = (start, end, mode);
        let out = builtin::render(&r, 77, &Inputs { controls: vec![c], ..Inputs::default() }).unwrap().image;
        analysis::edge_f1(&analysis::canny(&analysis::gray(&out)), &edges, 256, 256, 2).f1
    };
    use genpath::recipe::ControlMode::{Balanced, Prompt};
    let full = f1(0.0, 1.0, Balanced);
    assert!(f1(0.0, 0.4, Balanced) < full, "ending at 40% of the steps follows the map less");
    assert!(f1(0.0, 1.0, Prompt) < full, "\"my prompt is more important\" follows the map less");
}

#[test]
fn outpainting_keeps_the_init_and_paints_the_margins() {
    let dir = tempfile::tempdir().unwrap();
    let init = rendered(&FOX.replace("256", "128"));
    init.save(dir.path().join("init.png")).unwrap();
    let r = recipe(
        "prompt = \"a red fox in a park\"\nseed = 3\nwidth = 256\nheight = 128\n[init]\nimage = \"init.png\"\n[outpaint]\nleft = 64\nright = 64\n",
    );
    let dirs = AssetDirs {
        recipe_dir: Some(dir.path().to_path_buf()),
        exercise: None,
        exercise_label: String::new(),
        sandbox: false,
    };
    let loaded = inputs::load(&r, &dirs, &[]).unwrap();
    let g = Builtin::new().generate(&Request { recipe: r, inputs: loaded }, &Cancel::default()).unwrap();
    let out = image::load_from_memory(&g.png).unwrap().to_rgb8();
    assert_eq!(out.dimensions(), (256, 128));
    for y in 0..128 {
        for x in 0..128 {
            assert_eq!(out.get_pixel(x + 64, y), init.get_pixel(x, y), "the init is kept exactly at ({x}, {y})");
        }
    }
    let margin = image::imageops::crop_imm(&out, 0, 0, 64, 128).to_image();
    let flat = margin.pixels().all(|p| p == margin.get_pixel(0, 0));
    assert!(!flat, "the margin is painted, not a repeated edge");
}

#[test]
fn the_practice_renderer_honours_every_recipe_setting() {
    // A recipe means the same here as on a real backend: every setting a real one may take is simulated.
    let d = Builtin::new().describe();
    for f in genpath::recipe::Feature::ALL {
        let outpaint = *f == genpath::recipe::Feature::Outpaint && d.inpaint;
        assert!(d.features.contains(f) || outpaint, "the practice renderer does not simulate {f}");
    }
    // Clip skip loosens binding; a VAE from the wrong family decodes garbage, a fitting one does not.
    let base = format!("{FOX}model = \"practice-sd15\"\n");
    let plain = rendered(&base);
    let fitting = rendered(&format!("{base}vae = \"practice-vae-ft-mse\"\n"));
    let wrong = rendered(&format!("{base}vae = \"practice-vae-sdxl\"\n"));
    let (d_fit, d_wrong) = (differing(&plain, &fitting), differing(&plain, &wrong));
    assert!(
        d_wrong > 0.8 && d_fit < d_wrong / 2.0,
        "pixels changed: fitting VAE {d_fit:.2}, wrong family {d_wrong:.2}"
    );
    let r = recipe(&format!("{FOX}clip_skip = 2\n"));
    let g = Builtin::new().generate(&Request { recipe: r, inputs: Inputs::default() }, &Cancel::default());
    assert!(g.is_ok(), "{:?}", g.err());
}

/// Runs of columns holding the subject's body colour (ΔE00 < 12 in at least
/// 3% of the column), gaps under 3% of the width ignored: 1 for one
/// subject, 2 for twins side by side.
fn subject_runs(r: &builtin::Rendered) -> usize {
    let (w, h) = r.image.dimensions();
    let body = analysis::lab(r.plan.body);
    let near: Vec<bool> = (0..w)
        .map(|x| {
            let n =
                (0..h).filter(|&y| analysis::delta_e(analysis::lab(r.image.get_pixel(x, y).0), body) < 12.0).count();
            n as f32 > 0.03 * h as f32
        })
        .collect();
    let (mut runs, mut gap, mut inside) = (0, usize::MAX, false);
    for n in near {
        match (n, inside) {
            (true, false) => {
                if gap as f32 > 0.03 * w as f32 {
                    runs += 1;
                }
                inside = true;
            }
            (false, true) => {
                inside = false;
                gap = 1;
            }
            (false, false) => gap = gap.saturating_add(1),
            (true, true) => {}
        }
    }
    runs
}

#[test]
fn a_model_far_above_its_training_size_repeats_the_subject_and_hires_fix_avoids_it() {
    let base = "prompt = \"a fox with orange fur, cream belly, on a beach, flat vector\"\nseed = 7\n";
    let at = |extra: &str| subject_runs(&render(&format!("{base}{extra}")));
    assert_eq!(at("width = 512\nheight = 512\n"), 1, "SD 1.5-like at its own size");
    assert_eq!(at("width = 1024\nheight = 1024\n"), 2, "SD 1.5-like at 1024² draws twins");
    let hires = render(&format!("{base}width = 512\nheight = 512\n[hires]\nscale = 2.0\ndenoise = 0.4\n"));
    assert_eq!(hires.image.dimensions(), (1024, 1024));
    assert_eq!(subject_runs(&hires), 1, "hires fix: composed at 512², then enlarged");
    assert_eq!(at("width = 1024\nheight = 1024\nmodel = \"practice-sdxl\"\n"), 1, "SDXL-like is at home at 1024²");
}

#[test]
fn sdxl_and_flux_below_their_training_size_lose_detail() {
    let base = "prompt = \"a robot, silver body, in an office, flat vector\"\nseed = 5\nwidth = 512\nheight = 512\n";
    let sharp = |model: &str| {
        let r = render(&format!("{base}model = \"{model}\"\n"));
        analysis::laplacian_variance(&analysis::gray(&r.image))
    };
    let (sd, xl, flux) = (sharp("practice-sd15"), sharp("practice-sdxl"), sharp("practice-flux"));
    assert!(xl < sd * 0.3 && flux < sd * 0.3, "Laplacian variance at 512²: sd15 {sd:.0}, sdxl {xl:.0}, flux {flux:.0}");
}

/// How many of seeds 1..=n keep the scarf the prompt asks for, and green.
fn green_scarves(prompt: &str, model: &str, n: u64) -> usize {
    let green = analysis::lab([40, 170, 70]);
    (1..=n)
        .filter(|seed| {
            let r = render(&format!("prompt = \"{prompt}\"\nseed = {seed}\nmodel = \"{model}\"\n"));
            r.plan.accessory == genpath::recipe::vocab::Accessory::Scarf
                && analysis::delta_e(analysis::lab(r.plan.accessory_color), green) < 15.0
        })
        .count()
}

#[test]
fn late_words_of_a_long_prompt_fade_on_clip_and_hold_on_t5() {
    // ~70 tokens of scene description before the scarf: the end of CLIP's first chunk.
    let filler = "highly detailed illustration, soft shadows, gentle rim light, clean shapes, crisp outlines, \
                  vibrant yet balanced palette, professional children's book art, charming and friendly mood, \
                  award winning composition, trending artwork, smooth gradients, storybook feeling";
    let late = format!("a fox in a park, {filler}, green scarf");
    let early = format!("a fox with a green scarf in a park, {filler}");
    let emphasised = format!("a fox in a park, {filler}, (green scarf:1.4)");
    let n = 24;
    let (sd_late, sd_early, sd_emph, flux_late) = (
        green_scarves(&late, "practice-sd15", n),
        green_scarves(&early, "practice-sd15", n),
        green_scarves(&emphasised, "practice-sd15", n),
        green_scarves(&late, "practice-flux", n),
    );
    assert!(sd_late <= n as usize * 3 / 4, "SD 1.5-like kept a late green scarf in {sd_late}/{n}");
    assert_eq!(sd_early, n as usize, "the same words early in the prompt hold");
    assert!(sd_emph > sd_late, "emphasis brings a late word back: {sd_emph} vs {sd_late}");
    assert_eq!(flux_late, n as usize, "T5 reads a long prompt evenly");
}

#[test]
fn colours_in_one_clip_chunk_bleed_and_break_keeps_them_apart() {
    let (orange, teal) = (analysis::lab([240, 120, 30]), analysis::lab([0, 128, 128]));
    let bled = |prompt: &str, model: &str| {
        (1..=30)
            .filter(|seed| {
                let p = render(&format!("prompt = \"{prompt}\"\nseed = {seed}\nmodel = \"{model}\"\n")).plan;
                // A named colour's own spread stays within ~12; a bleed moves it 25 or more.
                analysis::delta_e(analysis::lab(p.body), orange) > 20.0
                    || analysis::delta_e(analysis::lab(p.accessory_color), teal) > 20.0
            })
            .count()
    };
    let together = "a fox with orange fur and a teal scarf, in a park";
    let apart = "a fox with orange fur BREAK teal scarf, in a park";
    let (sd, sd_break, flux) =
        (bled(together, "practice-sd15"), bled(apart, "practice-sd15"), bled(together, "practice-flux"));
    assert!(sd >= 5, "SD 1.5-like: colours bled in only {sd}/30 seeds");
    assert_eq!(sd_break, 0, "BREAK puts each colour in its own chunk");
    assert!(flux < sd / 2, "FLUX-like bleeds less: {flux} vs {sd}");
}

#[test]
fn emphasis_has_diminishing_returns_and_overcooks_past_one_and_a_half() {
    // Averaged over seeds: each prompt's text also reseeds what it leaves open.
    let at = |w: f32| {
        let renders: Vec<_> =
            (1..=8).map(|seed| render(&format!("prompt = \"a (red fox:{w}), in a park\"\nseed = {seed}\n"))).collect();
        let sat = renders.iter().map(|r| mean_saturation(&r.image)).sum::<f64>() / 8.0;
        (sat, renders[0].plan.burn)
    };
    let ((plain, plain_burn), (nudged, nudged_burn), (pushed, pushed_burn)) = (at(1.0), at(1.3), at(2.2));
    assert!(plain_burn == 0.0 && nudged_burn == 0.0 && pushed_burn > 5.0, "{plain_burn} {nudged_burn} {pushed_burn}");
    assert!(pushed > nudged * 1.1, "2.2 past 1.3: {pushed:.3} vs {nudged:.3}");
    assert!(pushed > plain * 1.15, "2.2 overcooks like a high cfg: {pushed:.3} vs {plain:.3}");
}

/// Mean palette distance between every pair of renders' subjects.
fn identity_spread(set: &[builtin::Rendered]) -> f64 {
    let p: Vec<_> = set.iter().map(subject_palette).collect();
    let mut d = Vec::new();
    for i in 0..p.len() {
        for j in i + 1..p.len() {
            d.push(analysis::palette_distance(&p[i], &p[j]));
        }
    }
    d.iter().sum::<f64>() / d.len() as f64
}

fn with_lora(prompt: &str, seed: u64, weight: f32) -> builtin::Rendered {
    render(&format!("prompt = \"{prompt}\"\nseed = {seed}\n[[lora]]\nname = \"pip-the-fox\"\nweight = {weight}\n"))
}

#[test]
fn a_character_lora_pins_identity_by_weight_and_takes_over_past_one() {
    let set = |prompt: &str, weight: f32| -> Vec<builtin::Rendered> {
        SCENES.iter().enumerate().map(|(i, s)| with_lora(&format!("{prompt}, {s}"), 20 + i as u64, weight)).collect()
    };
    let pinned = set("pipfox", 0.8);
    let weak = set("pipfox", 0.3);
    let untriggered = set("a fox", 0.8);
    let (d_pinned, d_weak, d_untriggered) =
        (identity_spread(&pinned), identity_spread(&weak), identity_spread(&untriggered));
    assert!(d_pinned < 6.0, "weight 0.8 with the trigger: mean ΔE00 {d_pinned:.1}");
    assert!(d_weak > d_pinned + 4.0, "weight 0.3 is a weak likeness: {d_weak:.1} vs {d_pinned:.1}");
    assert!(d_untriggered > d_pinned + 4.0, "no trigger word, a third of the effect: {d_untriggered:.1}");
    assert!(pinned.iter().all(|r| r.plan.accessory == genpath::recipe::vocab::Accessory::Scarf));
    // Past 1 the training images take over: their centred pose beats "on the left", their style the prompt's.
    let left = |w: f32| with_lora("pipfox, on the left, in a park, flat vector", 4, w);
    let (fits, over) = (left(0.8), left(1.6));
    let cx = |r: &builtin::Rendered| r.plan.subject_box.x + r.plan.subject_box.w / 2.0;
    assert!(cx(&fits) < 0.36 && (cx(&over) - 0.5).abs() < 0.05, "centre x {:.2} → {:.2}", cx(&fits), cx(&over));
    assert_eq!(over.plan.style, genpath::recipe::vocab::Style::Watercolor);
    // Past 1.2 it overcooks: guidance added as a too-high cfg (whose look the cfg test measures).
    assert!(fits.plan.burn == 0.0 && over.plan.burn > 4.0, "burn {} → {}", fits.plan.burn, over.plan.burn);
}

#[test]
fn a_style_lora_sets_its_style_and_unknown_names_are_clear_errors() {
    let r =
        render("prompt = \"inkwash, a cat in a forest\"\nseed = 2\n[[lora]]\nname = \"inkwash-style\"\nweight = 0.7\n");
    assert_eq!(r.plan.style, genpath::recipe::vocab::Style::LineArt);
    assert!(r.not_understood.is_empty(), "a loaded LoRA's trigger is understood: {:?}", r.not_understood);
    let fail = |text: &str| {
        let r = recipe(text);
        builtin::render(&r, 1, &Inputs::default()).err().map(|e| e.to_string()).unwrap_or_default()
    };
    let e = fail("prompt = \"a cat\"\n[[lora]]\nname = \"pip-the-fux\"\n");
    assert!(e.contains("no LoRA `pip-the-fux`") && e.contains("did you mean `pip-the-fox`?"), "{e}");
    let e = fail("prompt = \"a cat\"\nmodel = \"sdxl\"\n");
    assert!(e.contains("no model `sdxl`") && e.contains("practice-sdxl"), "{e}");
}

#[test]
fn a_bigger_model_costs_more_on_the_practice_service() {
    let service = builtin::ServiceProfile::new(0, 0.04, 0, 0.0, 1);
    let b = Builtin { name: "svc".into(), service: Some(service) };
    let price = |model: &str| b.price(&recipe(&format!("prompt = \"a cat\"\nmodel = \"{model}\"\n")));
    assert!((price("practice-sd15") - 0.04).abs() < 1e-9);
    assert!((price("practice-flux") / price("practice-sd15") - 3.0).abs() < 1e-9);
}

#[test]
fn backend_test_names_the_practice_models_and_loras() {
    let ws = tempfile::tempdir().unwrap();
    let o = common::run(ws.path(), &["backend", "test", "builtin"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    for expected in [
        "practice-sd15 (Stable Diffusion 1.5, 512²)",
        "practice-flux (FLUX.1 / gpt-image, 1024²)",
        "pip-the-fox (trigger `pipfox`)",
        "inkwash-style (trigger `inkwash`)",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

/// Share of pixels within `r` px of `at` whose colour is within ΔE00 15 of
/// the plan's body colour or its shades (a limb or paw there).
fn limb_near(out: &builtin::Rendered, at: (f32, f32), r: i32) -> f64 {
    let body = analysis::lab(out.plan.body);
    let (w, h) = out.image.dimensions();
    let (mut n, mut hit) = (0, 0);
    for dy in -r..=r {
        for dx in -r..=r {
            let (x, y) = (at.0 as i32 + dx, at.1 as i32 + dy);
            if x < 0 || y < 0 || x >= w as i32 || y >= h as i32 || dx * dx + dy * dy > r * r {
                continue;
            }
            n += 1;
            let l = analysis::lab(out.image.get_pixel(x as u32, y as u32).0);
            // Same hue family as the body (limbs are drawn in shades of it).
            if analysis::delta_e([body[0], l[1], l[2]], body) < 15.0 {
                hit += 1;
            }
        }
    }
    hit as f64 / n.max(1) as f64
}

#[test]
fn a_pose_raises_the_characters_arm_where_the_skeleton_raises_it() {
    use genpath::imaging::control_maps::{self, Skeleton};
    let base = control_maps::read_pose(&make_assets::pose_map());
    // The same skeleton with its right arm raised above the head, out to the side.
    let mut raised: Skeleton = base.clone();
    let (sx, sy) = base.point("right shoulder").unwrap();
    raised.points[3] = Some((sx - 40.0, sy - 45.0));
    raised.points[4] = Some((sx - 55.0, sy - 100.0));
    let render_with = |s: &Skeleton, weight: f32| {
        let r = recipe(
            "prompt = \"a fox, orange fur, cream belly, plain, studio backdrop\"\nseed = 31\nwidth = 768\nheight = 512\n",
        );
        let map = control_maps::draw_pose(768, 512, s);
        builtin::render(
            &r,
            31,
            &Inputs { controls: vec![ControlInput::new(ControlKind::Pose, map, weight)], ..Inputs::default() },
        )
        .unwrap()
    };
    let (up, down) = (render_with(&raised, 1.0), render_with(&base, 1.0));
    let wrist_up = raised.points[4].unwrap();
    let elbow_up = raised.points[3].unwrap();
    let wrist_down = base.points[4].unwrap();
    assert!(limb_near(&up, wrist_up, 6) > 0.6, "a paw at the raised wrist: {:.2}", limb_near(&up, wrist_up, 6));
    assert!(limb_near(&up, elbow_up, 5) > 0.6, "the arm through the raised elbow: {:.2}", limb_near(&up, elbow_up, 5));
    assert!(limb_near(&down, wrist_up, 6) < 0.1, "no arm up there when the skeleton's hangs down");
    assert!(limb_near(&down, wrist_down, 6) > 0.6, "the paw at the lowered wrist");
    // At weight 0.3 the arm barely follows the skeleton (loosely posed).
    let loose = render_with(&raised, 0.3);
    assert!(limb_near(&loose, wrist_up, 6) < 0.3, "a weak pose control does not lift the arm all the way");
}

#[test]
fn quoted_text_is_lettered_and_spelt_as_well_as_the_model_spells() {
    let spelt = |model: &str, text: &str| {
        (1..=10u64)
            .filter(|seed| {
                let r = render(&format!(
                    "prompt = 'a mug on a kitchen counter, a sign that says \"{text}\"'\nseed = {seed}\nmodel = \"{model}\"\n"
                ));
                r.lettering.as_deref() == Some(text)
            })
            .count()
    };
    assert!(spelt("practice-sd15", "OPEN") <= 2, "SD 1.5-like garbles letters");
    assert!(spelt("practice-sdxl", "OPEN") >= 7, "SDXL-like spells a short word");
    assert!(spelt("practice-sdxl", "GRAND OPENING TODAY") <= 3, "…and stumbles on a long one");
    assert_eq!(spelt("practice-flux", "GRAND OPENING TODAY"), 10, "FLUX-like spells a short phrase");
    // The letters are on the picture: dark ink on a light board, above the subject.
    let r = render(
        "prompt = 'a mug, studio backdrop, a sign that says \"OPEN\"'\nseed = 3\nmodel = \"practice-flux\"\nwidth = 1024\nheight = 1024\n",
    );
    let (w, h) = r.image.dimensions();
    let at = genpath::backend::builtin::text::sign_box(&r.plan, 4);
    let (x0, y0) = ((at.x * w as f32) as u32, (at.y * h as f32) as u32);
    let (x1, y1) = (((at.x + at.w) * w as f32) as u32, ((at.y + at.h) * h as f32) as u32);
    let board: Vec<f32> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| analysis::lab(r.image.get_pixel(x, y).0)[0])
        .collect();
    let ink = board.iter().filter(|l| **l < 40.0).count() as f64 / board.len() as f64;
    let paper = board.iter().filter(|l| **l > 85.0).count() as f64 / board.len() as f64;
    assert!(ink > 0.05 && paper > 0.5, "ink {ink:.2}, board {paper:.2}");
    assert!(r.not_understood.iter().all(|w| w != "open"), "the quoted word is lettering: {:?}", r.not_understood);
}
