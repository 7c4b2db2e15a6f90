//! Seg and depth maps lay out the whole scene, not only the subject:
//! measured on real pixels of the practice renderer.

use genpath::backend::builtin;
use genpath::backend::{ControlInput, Inputs};
use genpath::imaging::analysis;
use genpath::imaging::control_maps::seg_color;
use genpath::recipe::{ControlKind, Limits, Recipe, Resolved};
use image::{GrayImage, Luma, Rgb, RgbImage};

const W: u32 = 768;
const H: u32 = 512;

fn recipe(text: &str) -> Resolved {
    Recipe::parse("test.toml", text, Limits::default()).unwrap().resolve().remove(0)
}

fn render(prompt: &str, seed: u64, controls: Vec<ControlInput>) -> builtin::Rendered {
    let r = recipe(&format!("prompt = \"{prompt}\"\nseed = {seed}\nwidth = {W}\nheight = {H}\n"));
    let out = builtin::render(&r, seed, &Inputs { controls, ..Inputs::default() }).unwrap();
    // RENDERER_CONTROLS_OUT=/tmp/x keeps the renders to look at.
    if let Ok(dir) = std::env::var("RENDERER_CONTROLS_OUT") {
        let name: String = prompt.chars().filter(|c| c.is_alphanumeric()).take(24).collect();
        let sum = out.image.as_raw().iter().map(|v| u64::from(*v)).sum::<u64>() % 100_000;
        let file = format!("{dir}/{name}-{seed}-{sum}.png");
        std::fs::create_dir_all(&dir).unwrap();
        out.image.save(file).unwrap();
    }
    out
}

/// Lab of the pixels where `keep(x, y)` holds.
fn labs_where(img: &RgbImage, keep: impl Fn(u32, u32) -> bool) -> Vec<[f32; 3]> {
    img.enumerate_pixels().filter(|(x, y, _)| keep(*x, *y)).map(|(_, _, p)| analysis::lab(p.0)).collect()
}

fn share(labs: &[[f32; 3]], test: impl Fn(&[f32; 3]) -> bool) -> f32 {
    labs.iter().filter(|l| test(l)).count() as f32 / labs.len().max(1) as f32
}

fn lightness_sd(labs: &[[f32; 3]]) -> f32 {
    let n = labs.len().max(1) as f32;
    let mean = labs.iter().map(|l| l[0]).sum::<f32>() / n;
    (labs.iter().map(|l| (l[0] - mean).powi(2)).sum::<f32>() / n).sqrt()
}

fn chroma(l: &[f32; 3]) -> f32 {
    (l[1] * l[1] + l[2] * l[2]).sqrt()
}

/// Foliage: a green hue (Lab a* well below 0, a* dominating b*).
fn leafy(l: &[f32; 3]) -> bool {
    l[1] < -8.0 && l[2] > l[1]
}

/// Rock: greys and blue-greys, far less saturated than a noon sky and
/// darker than its pale horizon.
fn rock(l: &[f32; 3]) -> bool {
    chroma(l) < 22.0 && (30.0..80.0).contains(&l[0])
}

/// Snow: near white (a noon sky is blue even at the horizon).
fn snow(l: &[f32; 3]) -> bool {
    l[0] > 85.0 && chroma(l) < 9.0
}

// The test scene: sky above; trees on the left; a mountain ridge on the
// right (two peaks); sand below; the fox's place in the middle.
fn in_trees(x: u32, y: u32) -> bool {
    x < 280 && (150..400).contains(&y)
}

fn ridge(x: u32) -> f32 {
    // Two peaks, at x 520 (y 70) and 680 (y 130); the mountain's foot at 300.
    let (a, b) = ((x as f32 - 520.0).abs() * 0.9 + 70.0, (x as f32 - 680.0).abs() * 0.8 + 130.0);
    a.min(b)
}

fn in_mountain(x: u32, y: u32) -> bool {
    x >= 430 && (y as f32) >= ridge(x) && y < 300
}

fn landscape_map() -> RgbImage {
    let c = |n: &str| Rgb(seg_color(n).unwrap());
    RgbImage::from_fn(W, H, |x, y| {
        if (320..430).contains(&x) && (230..460).contains(&y) {
            c("animal")
        } else if in_trees(x, y) {
            c("tree")
        } else if in_mountain(x, y) {
            c("mountain")
        } else if y < 300 {
            c("sky")
        } else {
            c("sand")
        }
    })
}

const BEACH_FOX: &str = "a fox, orange fur, on a beach, noon";

#[test]
fn seg_scenery_classes_are_painted_where_their_colours_are() {
    let seg = |w: f32| render(BEACH_FOX, 9, vec![ControlInput::new(ControlKind::Seg, landscape_map(), w)]).image;
    let (full, loose, none) = (seg(1.0), seg(0.4), seg(0.0));
    // Inside the regions, away from their edges.
    let trees = |img: &RgbImage| labs_where(img, |x, y| x < 260 && (170..380).contains(&y));
    let mountain = |img: &RgbImage| labs_where(img, |x, y| in_mountain(x, y) && in_mountain(x, y.saturating_sub(12)));
    let snow_top = |img: &RgbImage| labs_where(img, |x, y| in_mountain(x, y) && (y as f32) < ridge(x) + 25.0);
    let (green, green_loose, green_none) =
        (share(&trees(&full), leafy), share(&trees(&loose), leafy), share(&trees(&none), leafy));
    eprintln!("foliage in the tree region: {green:.2} / {green_loose:.2} / {green_none:.2} (weight 1 / 0.4 / 0)");
    assert!(green > 0.8, "weight 1: {:.0}% of the tree region is foliage", green * 100.0);
    assert!(green_none < 0.05, "weight 0: {:.0}% of the tree region is foliage", green_none * 100.0);
    assert!(
        green_loose > green_none + 0.2 && green_loose < green,
        "weight 0.4 follows loosely: {:.0}% foliage",
        green_loose * 100.0
    );
    // Textured: crowns, their light and shade, not a flat green.
    let sd = lightness_sd(&trees(&full));
    assert!(sd > 6.0, "the tree region's lightness spread is {sd:.1}");
    // The mountain: rock and snow, snow along the ridge.
    let stone = |l: &[f32; 3]| rock(l) || snow(l);
    let (solid, solid_none) = (share(&mountain(&full), stone), share(&mountain(&none), stone));
    eprintln!("rock or snow in the mountain region: {solid:.2} / {solid_none:.2}");
    assert!(solid > 0.85, "weight 1: {:.0}% of the mountain region is rock or snow", solid * 100.0);
    assert!(solid_none < 0.1, "weight 0: {:.0}% of the mountain region is rock or snow", solid_none * 100.0);
    let (snowy, snowy_none) = (share(&snow_top(&full), snow), share(&snow_top(&none), snow));
    eprintln!("snow under the ridge: {snowy:.2} / {snowy_none:.2}; tree lightness sd {sd:.1}");
    assert!(snowy > 0.35, "{:.0}% of the band under the ridge is snow", snowy * 100.0);
    assert!(snowy_none < 0.05, "weight 0: {:.0}% of the band under the ridge is snow", snowy_none * 100.0);
    // Outside the classes the prompt's scene is kept: the sky is a noon sky.
    let sky = labs_where(&full, |x, y| (300..420).contains(&x) && y < 120);
    assert!(share(&sky, |l| l[2] < -15.0) > 0.9, "the sky region is sky");
}

#[test]
fn seg_water_glints_and_a_building_has_windows() {
    let c = |n: &str| Rgb(seg_color(n).unwrap());
    let map = RgbImage::from_fn(W, H, |x, y| {
        if x >= 520 && (60..330).contains(&y) {
            c("building")
        } else if y < 230 {
            c("sky")
        } else if y < 400 {
            c("sea")
        } else {
            c("sand")
        }
    });
    let prompt = "a penguin, navy body, in a park, noon";
    let at = |w: f32| render(prompt, 3, vec![ControlInput::new(ControlKind::Seg, map.clone(), w)]).image;
    let (full, none) = (at(1.0), at(0.0));
    let sea = |img: &RgbImage| labs_where(img, |x, y| x < 200 && (240..390).contains(&y));
    // Water blue: bluer and darker than a noon sky.
    let water = |l: &[f32; 3]| l[2] < -15.0 && l[0] < 64.0;
    let (blue, blue_none) = (share(&sea(&full), water), share(&sea(&none), water));
    eprintln!("water blue in the sea region: {blue:.2} / {blue_none:.2}");
    assert!(blue > 0.85, "{:.0}% of the sea region is water blue", blue * 100.0);
    assert!(blue_none < 0.1, "weight 0: {:.0}% of the sea region is water blue", blue_none * 100.0);
    // Highlights: strokes much lighter than the water around them.
    let labs = sea(&full);
    let mean = labs.iter().map(|l| l[0]).sum::<f32>() / labs.len() as f32;
    let glints = share(&labs, |l| l[0] > mean + 20.0);
    eprintln!("glints: {glints:.3}");
    assert!(glints > 0.005 && glints < 0.2, "{:.1}% of the sea glints", glints * 100.0);
    // The building: a facade broken by rows of windows (many edges), where
    // at weight 0 the park's sky is smooth.
    let edges = |img: &RgbImage| {
        let e = analysis::canny(&analysis::gray(img));
        let (mut n, mut on) = (0, 0);
        for y in 110..320 {
            for x in 540..750 {
                n += 1;
                on += e[(y * W + x) as usize] as usize;
            }
        }
        on as f32 / n as f32
    };
    let (with, without) = (edges(&full), edges(&none));
    assert!(
        with > 0.04 && with > 4.0 * without,
        "edge density in the building region {with:.3} (weight 0: {without:.3})"
    );
}

/// A MiDaS-like map of open ground: far (black) above the horizon at 40%,
/// nearness rising linearly to the bottom (a ground plane's disparity).
fn ground_depth() -> GrayImage {
    GrayImage::from_fn(W, H, |_, y| {
        let t = ((y as f32 / H as f32 - 0.4) / 0.6).max(0.0);
        Luma([(t * 255.0).round() as u8])
    })
}

/// Heights (px) of the connected runs of `keep` pixels, by the row their foot is on.
fn blobs(img: &RgbImage, keep: impl Fn(&[f32; 3]) -> bool) -> Vec<(u32, u32)> {
    let (w, h) = img.dimensions();
    let mask: Vec<bool> = img.pixels().map(|p| keep(&analysis::lab(p.0))).collect();
    let mut seen = vec![false; mask.len()];
    let mut out = Vec::new();
    for s in 0..mask.len() {
        if !mask[s] || seen[s] {
            continue;
        }
        seen[s] = true;
        let (mut stack, mut y0, mut y1, mut n) = (vec![s], u32::MAX, 0, 0);
        while let Some(i) = stack.pop() {
            let y = (i as u32) / w;
            (y0, y1, n) = (y0.min(y), y1.max(y), n + 1);
            for j in genpath::imaging::neighbours4(i, w as usize, h as usize) {
                if mask[j] && !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        if n >= 40 {
            out.push((y1, y1 - y0 + 1));
        }
    }
    out
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

#[test]
fn depth_makes_far_scenery_small_and_hazy_and_near_scenery_large_and_crisp() {
    let prompt = "a fox, orange fur, in the snow, overcast, on the left";
    let at = |w: f32| render(prompt, 21, vec![ControlInput::from_gray(ControlKind::Depth, ground_depth(), w)]);
    let (full, none) = (at(1.0), at(0.0));
    // The horizon where the ground's gradient starts.
    assert!((full.plan.horizon - 0.4).abs() < 0.03, "horizon at {:.3}", full.plan.horizon);
    // Trees (green blobs) by where they stand: far band just under the horizon, near band at the bottom.
    let trees = blobs(&full.image, |l| l[1] < -6.0);
    let (far, near): (Vec<f32>, Vec<f32>) = (
        trees.iter().filter(|(f, _)| (205..260).contains(f)).map(|b| b.1 as f32).collect(),
        trees.iter().filter(|(f, _)| *f >= 340).map(|b| b.1 as f32).collect(),
    );
    assert!(!far.is_empty() && !near.is_empty(), "trees far {far:?} and near {near:?}");
    let (far_h, near_h) = (mean(&far), mean(&near));
    eprintln!("tree heights far {far_h:.0} px, near {near_h:.0} px; horizon {:.3}", full.plan.horizon);
    assert!(near_h > 1.8 * far_h, "trees near are {near_h:.0} px tall, far {far_h:.0} px");
    // Aerial perspective: far trees are closer to the sky's colour than near ones.
    let tree_l = |y0: u32, y1: u32| {
        let t = labs_where(&full.image, |x, y| (y0..y1).contains(&y) && x > 400);
        let t: Vec<[f32; 3]> = t.into_iter().filter(|l| l[1] < -6.0).collect();
        (mean(&t.iter().map(|l| l[0]).collect::<Vec<_>>()), mean(&t.iter().map(|l| -l[1]).collect::<Vec<_>>()))
    };
    let ((far_l, far_green), (near_l, near_green)) = (tree_l(180, 260), tree_l(330, 512));
    eprintln!("trees far L {far_l:.0} green {far_green:.0}, near L {near_l:.0} green {near_green:.0}");
    assert!(
        far_l > near_l + 8.0 && far_green < near_green * 0.75,
        "far trees L {far_l:.0} green {far_green:.0}, near trees L {near_l:.0} green {near_green:.0}"
    );
    // Ground texture (tufts on a park's grass): small and low in contrast far off, large and crisp near.
    let r = recipe(&format!(
        "prompt = \"a fox, orange fur, on the left, in a park, noon\"\nnegative = \"trees\"\nseed = 21\nwidth = {W}\nheight = {H}\n"
    ));
    let controls = vec![ControlInput::from_gray(ControlKind::Depth, ground_depth(), 1.0)];
    let park = builtin::render(&r, 21, &Inputs { controls, ..Inputs::default() }).unwrap().image;
    let band = |y0: u32, y1: u32| {
        let labs = labs_where(&park, |x, y| (y0..y1).contains(&y) && x > 330 && x < 620);
        lightness_sd(&labs)
    };
    let (far_sd, near_sd) = (band(215, 250), band(460, 512));
    eprintln!("ground lightness spread near {near_sd:.1}, far {far_sd:.1}");
    assert!(near_sd > 1.5 * far_sd, "ground lightness spread near {near_sd:.1}, far {far_sd:.1}");
    // At weight 0 the map does nothing: no trees on the near ground.
    let near0 = blobs(&none.image, |l| l[1] < -6.0).iter().filter(|(f, _)| *f >= 340).count();
    assert_eq!(near0, 0, "weight 0 draws no near trees");
}

#[test]
fn the_same_subject_further_back_on_a_depth_map_is_smaller() {
    let size = |place: &str, w: f32| {
        let prompt = format!("a fox, orange fur, medium shot, {place}, in a park, noon");
        let r = render(&prompt, 8, vec![ControlInput::from_gray(ControlKind::Depth, ground_depth(), w)]);
        let found = genpath::imaging::subject::find(&r.image);
        assert!(found.has_subject());
        (found.h as f32, r.plan.subject_box)
    };
    let ((near, nb), (far, fb)) = (size("at the bottom", 1.0), size("at the top", 1.0));
    eprintln!("fox heights: far {far:.0} px, near {near:.0} px");
    assert!(far < 0.75 * near, "on the pixels: far fox {far:.0} px tall, near fox {near:.0} px");
    assert!(fb.y + fb.h < nb.y + nb.h, "the far fox stands higher up the ground");
    // At weight 0 both are the prompt's size.
    let ((near0, _), (far0, _)) = (size("at the bottom", 0.0), size("at the top", 0.0));
    eprintln!("weight 0 fox heights: {far0:.0} px, {near0:.0} px");
    assert!((far0 - near0).abs() < 0.1 * near0, "weight 0: {far0:.0} vs {near0:.0} px");
}

#[test]
fn a_depth_map_with_something_standing_out_puts_the_subject_there() {
    // Ground plane plus a nearer blob on the right: the subject fills the blob.
    let mut map = ground_depth();
    for y in 200..430 {
        for x in 500..640 {
            map.put_pixel(x, y, Luma([230]));
        }
    }
    let r =
        render("a robot, silver body, in a park, noon", 4, vec![ControlInput::from_gray(ControlKind::Depth, map, 1.0)]);
    let found = genpath::imaging::subject::find(&r.image);
    let cx = (found.x + found.w / 2) as f32 / W as f32;
    assert!((cx - 570.0 / W as f32).abs() < 0.06, "subject centre x {cx:.2}");
}

#[test]
fn seg_and_depth_layouts_are_deterministic() {
    let controls = || {
        vec![
            ControlInput::new(ControlKind::Seg, landscape_map(), 0.9),
            ControlInput::from_gray(ControlKind::Depth, ground_depth(), 0.7),
        ]
    };
    let a = render(BEACH_FOX, 5, controls()).image;
    let b = render(BEACH_FOX, 5, controls()).image;
    assert!(a == b, "same recipe, same pixels");
}
