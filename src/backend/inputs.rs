//! Turning a recipe's file references into decoded inputs, with clear errors
//! (missing file, undecodable image, size mismatch) before any backend runs.

use std::path::{Path, PathBuf};

use image::{DynamicImage, GrayImage, RgbImage, imageops::FilterType};
use thiserror::Error;

use super::{ControlInput, Inputs};
use crate::recipe::ControlKind;
use crate::recipe::Resolved;

#[derive(Debug, Error)]
pub enum InputError {
    #[error("asset not found: {path} (looked {looked})")]
    Missing { path: String, looked: String },
    #[error("cannot read image {path}: {reason}")]
    Undecodable { path: String, reason: String },
    #[error("{0}")]
    Mismatch(String),
}

/// Reads a file of an exercise by relative path (embedded or on disk).
pub type ExerciseFiles<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// Where a recipe's relative paths are looked up: next to the recipe first,
/// then in the exercise's folder (its assets).
pub struct AssetDirs<'a> {
    pub recipe_dir: Option<PathBuf>,
    pub exercise: Option<ExerciseFiles<'a>>,
    pub exercise_label: String,
    /// Only paths inside `recipe_dir` (and the exercise) resolve: a re-run of
    /// a hand-off bundle, where anything else does not exist.
    pub sandbox: bool,
}

impl AssetDirs<'_> {
    /// A recipe outside any exercise (`render`, `grid`): its paths resolve
    /// from its own folder, and anywhere the user points them.
    pub fn beside(recipe: &Path) -> AssetDirs<'static> {
        AssetDirs {
            recipe_dir: recipe.parent().map(Path::to_path_buf),
            exercise: None,
            exercise_label: String::new(),
            sandbox: false,
        }
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, InputError> {
        let p = Path::new(path);
        if self.sandbox && (p.is_absolute() || p.components().any(|c| matches!(c, std::path::Component::ParentDir))) {
            return Err(InputError::Missing {
                path: path.into(),
                looked: "inside the bundle: a file outside the recipe's folder does not travel with it".into(),
            });
        }
        if p.is_absolute() {
            return read_file(p, path, "at that absolute path");
        }
        let mut looked = Vec::new();
        if let Some(dir) = &self.recipe_dir {
            let full = dir.join(p);
            // The recipe's folder as a person can find it (a bare file name's folder is the current one).
            let shown = if dir.as_os_str().is_empty() {
                std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string())
            } else {
                dir.display().to_string()
            };
            if full.is_file() {
                return read_file(&full, path, &format!("in {shown}"));
            }
            looked.push(format!("in {shown} (the recipe's folder)"));
        }
        if let Some(read) = self.exercise
            && let Some(b) = read(path)
        {
            return Ok(b);
        }
        if self.exercise.is_some() {
            looked.push(format!("in {}", self.exercise_label));
        }
        Err(InputError::Missing { path: path.into(), looked: looked.join(" and ") })
    }
}

impl InputError {
    /// This error pointed at where the recipe names the file: the first
    /// place its text writes that path as a string (`file:line:col`), or
    /// the whole file when the path was not written there (a shot's
    /// substitution, say).
    pub fn located(self, file: &str, text: &str) -> crate::diagnostics::Diagnostic {
        let path = match &self {
            InputError::Missing { path, .. } | InputError::Undecodable { path, .. } => Some(path.as_str()),
            InputError::Mismatch(_) => None,
        };
        let span = path.and_then(|p| {
            ["\"", "'"].iter().find_map(|q| text.find(&format!("{q}{p}{q}")).map(|at| at + 1..at + 1 + p.len()))
        });
        crate::diagnostics::Diagnostic::at(file, text, span, self.to_string())
    }
}

/// Read an input file within the image file size limit.
fn read_file(full: &Path, path: &str, looked: &str) -> Result<Vec<u8>, InputError> {
    crate::imaging::read_file(full).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InputError::Missing { path: path.into(), looked: looked.into() },
        _ => InputError::Undecodable { path: path.into(), reason: e.to_string() },
    })
}

/// Decode an image with dimension limits (a decompression bomb is refused).
pub fn decode(path: &str, bytes: &[u8]) -> Result<DynamicImage, InputError> {
    crate::imaging::decode(bytes).map_err(|reason| InputError::Undecodable { path: path.into(), reason })
}

/// Load every input a resolved recipe names. `earlier` holds the images made
/// so far in this set, for `reference = { shot = N }`.
pub fn load(r: &Resolved, dirs: &AssetDirs<'_>, earlier: &[RgbImage]) -> Result<Inputs, InputError> {
    let (w, h) = (r.width, r.height);
    let mut inputs = Inputs::default();
    if let (Some(init), Some(o)) = (&r.init, &r.extra.outpaint) {
        // Outpainting is inpainting of the margins: the init, fitted to what
        // the margins leave, on a canvas of the recipe's size, and a mask
        // that is white exactly where the margins are.
        let img = decode(&init.image, &dirs.read(&init.image)?)?.to_rgb8();
        let (iw, ih) =
            (w.saturating_sub(o.left.saturating_add(o.right)), h.saturating_sub(o.top.saturating_add(o.bottom)));
        let (canvas, mask) = outpaint_canvas(&fit(img, iw, ih), w, h, o.left, o.top);
        inputs.init = Some(canvas);
        inputs.mask = Some(mask);
    } else if let Some(init) = &r.init {
        let img = decode(&init.image, &dirs.read(&init.image)?)?.to_rgb8();
        if let Some(mask_path) = &init.mask {
            let mask = decode(mask_path, &dirs.read(mask_path)?)?.to_luma8();
            if mask.dimensions() != img.dimensions() {
                return Err(InputError::Mismatch(format!(
                    "mask {mask_path} is {}×{} but the init image {} is {}×{}: they must be the same size",
                    mask.width(),
                    mask.height(),
                    init.image,
                    img.width(),
                    img.height()
                )));
            }
            if img.dimensions() != (w, h) {
                return Err(InputError::Mismatch(format!(
                    "inpainting keeps the pixels outside the mask exactly, so the init image {} ({}×{}) must match the recipe's size {w}×{h}",
                    init.image,
                    img.width(),
                    img.height()
                )));
            }
            inputs.mask = Some(mask);
            inputs.init = Some(img);
        } else {
            inputs.init = Some(fit(img, w, h));
        }
    }
    for c in &r.control {
        let img = decode(&c.image, &dirs.read(&c.image)?)?.to_rgb8();
        // Palette and keypoint colours must not blend into colours they are not.
        let filter = match c.kind {
            ControlKind::Seg | ControlKind::Pose => FilterType::Nearest,
            ControlKind::Edges | ControlKind::Lineart | ControlKind::Scribble | ControlKind::Depth => {
                FilterType::Triangle
            }
        };
        inputs.controls.push(ControlInput {
            kind: c.kind,
            image: fit_map(img, w, h, c.resize, filter),
            weight: c.weight,
            start: c.start,
            end: c.end,
            mode: c.mode,
        });
    }
    if let Some(reference) = &r.reference {
        let img = match (&reference.image, reference.shot) {
            (Some(path), _) => decode(path, &dirs.read(path)?)?.to_rgb8(),
            (None, Some(n)) => earlier
                .get(n as usize - 1)
                .cloned()
                .ok_or_else(|| InputError::Mismatch(format!("reference.shot = {n} has not been generated yet")))?,
            (None, None) => return Err(InputError::Mismatch("a reference needs `image` or `shot`".into())),
        };
        inputs.reference = Some((img, reference.weight));
    }
    Ok(inputs)
}

/// The init on a `w`×`h` canvas at (`left`, `top`), the margins filled by
/// repeating the init's nearest edge pixel (so the model sees the colours it
/// continues), and the mask of the margins (white = paint).
pub fn outpaint_canvas(init: &RgbImage, w: u32, h: u32, left: u32, top: u32) -> (RgbImage, GrayImage) {
    let (iw, ih) = init.dimensions();
    let canvas = RgbImage::from_fn(w, h, |x, y| {
        let sx = x.saturating_sub(left).min(iw.saturating_sub(1));
        let sy = y.saturating_sub(top).min(ih.saturating_sub(1));
        *init.get_pixel(sx, sy)
    });
    let inside = |x: u32, y: u32| x >= left && x < left.saturating_add(iw) && y >= top && y < top.saturating_add(ih);
    let mask = GrayImage::from_fn(w, h, |x, y| image::Luma([if inside(x, y) { 0 } else { 255 }]));
    (canvas, mask)
}

/// A control map fitted to `w`×`h` as ControlNet's resize modes do:
/// stretched, scaled to cover and centre-cropped, or scaled to fit and
/// padded with black (no signal in every map format genpath sends).
pub fn fit_map(img: RgbImage, w: u32, h: u32, mode: crate::recipe::ResizeMode, filter: FilterType) -> RgbImage {
    use crate::recipe::ResizeMode;
    let (mw, mh) = img.dimensions();
    if (mw, mh) == (w, h) || mw == 0 || mh == 0 {
        return if (mw, mh) == (w, h) { img } else { RgbImage::new(w, h) };
    }
    let (sx, sy) = (w as f64 / mw as f64, h as f64 / mh as f64);
    match mode {
        ResizeMode::JustResize => image::imageops::resize(&img, w, h, filter),
        ResizeMode::CropAndResize => {
            let s = sx.max(sy);
            let (rw, rh) = (((mw as f64 * s).round() as u32).max(w), ((mh as f64 * s).round() as u32).max(h));
            let big = image::imageops::resize(&img, rw, rh, filter);
            image::imageops::crop_imm(&big, (rw - w) / 2, (rh - h) / 2, w, h).to_image()
        }
        ResizeMode::ResizeAndFill => {
            let s = sx.min(sy);
            let (rw, rh) = (((mw as f64 * s).round() as u32).clamp(1, w), ((mh as f64 * s).round() as u32).clamp(1, h));
            let small = image::imageops::resize(&img, rw, rh, filter);
            let mut out = RgbImage::new(w, h);
            image::imageops::replace(&mut out, &small, i64::from((w - rw) / 2), i64::from((h - rh) / 2));
            out
        }
    }
}

fn fit(img: RgbImage, w: u32, h: u32) -> RgbImage {
    if img.dimensions() == (w, h) { img } else { image::imageops::resize(&img, w, h, FilterType::Triangle) }
}

/// A grey image from raw pixels (for tests).
pub fn gray(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| image::Luma([f(x, y)]))
}
