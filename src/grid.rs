//! X/Y/Z plots, the practitioner's way to compare settings (A1111's "X/Y/Z
//! plot" and "Prompt S/R"): one recipe rendered with up to three settings
//! varied, one cell per combination, laid out as a labelled contact sheet.
//!
//! An axis is `KEY=V1,V2,…`: `KEY` a recipe key, dotted into tables
//! (`cfg`, `steps`, `seed`, `sampler`, `model`, `init.strength`,
//! `hires.scale`), each value read as TOML (`7`, `0.45`, `"euler"`; a bare
//! word is a string); or `sr=FIND,R1,R2,…`, a prompt search and replace:
//! `FIND` must be in the prompt, the first column keeps it, the others
//! replace it.

use std::str::FromStr;

use image::RgbImage;

use crate::backend::{Backend, Cancel, Request, builtin::Builtin};
use crate::imaging::font;
use crate::imaging::sheet::{INK, LINE, PAD, PAPER, SCALE};
use crate::recipe::{Limits, Recipe, Resolved};

/// At most this many values on one axis, and cells in one grid.
pub const MAX_VALUES: usize = 16;
pub const MAX_CELLS: usize = 100;

/// What an axis varies.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// A recipe key, as its path through the TOML tables.
    Field(Vec<String>),
    /// Prompt search and replace: the first value is the word searched for.
    PromptReplace,
}

/// One axis: what varies and its values, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub key: Key,
    pub name: String,
    pub values: Vec<String>,
}

impl FromStr for Axis {
    type Err = String;

    fn from_str(s: &str) -> Result<Axis, String> {
        let (name, values) = s.split_once('=').ok_or_else(|| format!("`{s}`: write an axis as KEY=V1,V2,…"))?;
        let name = name.trim().to_string();
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
        if values.is_empty() {
            return Err(format!("`{s}`: the axis has no values"));
        }
        if values.len() > MAX_VALUES {
            return Err(format!("`{s}`: {} values; an axis takes at most {MAX_VALUES}", values.len()));
        }
        let key = if name == "sr" {
            if values.len() < 2 {
                return Err(format!("`{s}`: prompt S/R needs the word to find and at least one replacement"));
            }
            Key::PromptReplace
        } else {
            let path: Vec<String> = name.split('.').map(str::to_string).collect();
            if path.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
                return Err(format!("`{name}` is not a recipe key (letters, digits and _, dotted into tables)"));
            }
            Key::Field(path)
        };
        Ok(Axis { key, name, values })
    }
}

/// One cell: where it sits, the values it was made with and its recipe.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Column, row and sub-grid (the z value).
    pub at: [usize; 3],
    /// `name: value` for each axis, in x, y, z order.
    pub label: Vec<String>,
    pub recipe: Resolved,
}

/// A TOML value from what was typed: TOML if it reads as one, else a string.
fn value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

fn set(table: &mut toml::Table, path: &[String], v: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("an empty key")?;
    let mut t = table;
    for p in parents {
        let entry = t.entry(p.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry.as_table_mut().ok_or_else(|| format!("`{p}` is not a table in the recipe"))?;
    }
    t.insert(last.clone(), v);
    Ok(())
}

/// The recipe of every cell, x fastest, then y, then z. `name` is the
/// recipe's file name (for error locations); a value that makes the recipe
/// invalid is reported with its axis.
pub fn cells(name: &str, text: &str, axes: &[Axis], limits: Limits) -> anyhow::Result<Vec<Cell>> {
    anyhow::ensure!(!axes.is_empty() && axes.len() <= 3, "a grid has one to three axes (x, y, z)");
    let total: usize = axes.iter().map(|a| a.values.len()).product();
    anyhow::ensure!(total <= MAX_CELLS, "{total} cells; a grid makes at most {MAX_CELLS}");
    // The recipe must be valid as written before it is varied.
    Recipe::parse(name, text, limits)?;
    let base: toml::Table = toml::from_str(text)?;
    let prompt = base.get("prompt").and_then(toml::Value::as_str).unwrap_or_default().to_string();
    for a in axes.iter().filter(|a| a.key == Key::PromptReplace) {
        anyhow::ensure!(prompt.contains(&a.values[0]), "prompt S/R: `{}` is not in the prompt", a.values[0]);
    }
    let sizes: Vec<usize> = axes.iter().map(|a| a.values.len()).collect();
    let mut out = Vec::with_capacity(total);
    for n in 0..total {
        let mut at = [0usize; 3];
        let mut rest = n;
        for (i, size) in sizes.iter().enumerate() {
            at[i] = rest % size;
            rest /= size;
        }
        let mut table = base.clone();
        let mut label = Vec::new();
        for (i, a) in axes.iter().enumerate() {
            let v = &a.values[at[i]];
            match &a.key {
                Key::Field(path) => set(&mut table, path, value(v)).map_err(anyhow::Error::msg)?,
                Key::PromptReplace => {
                    let p =
                        table.get("prompt").and_then(toml::Value::as_str).unwrap_or_default().replace(&a.values[0], v);
                    table.insert("prompt".into(), toml::Value::String(p));
                }
            }
            label.push(format!("{}: {v}", a.name));
        }
        let varied = toml::to_string(&table)?;
        let recipe = Recipe::parse(name, &varied, limits)
            .map_err(|e| anyhow::anyhow!("with {}: {e}", label.join(", ")))?
            .resolve()
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("the recipe makes no image"))?;
        out.push(Cell { at, label, recipe });
    }
    Ok(out)
}

/// A finished grid: the sheet as a PNG carrying every cell's infotext.
pub struct Made {
    pub png: Vec<u8>,
    pub cells: usize,
}

/// The whole plot of the recipe at `recipe_path` (its assets read from its
/// folder): cells, renders in parallel, the sheet and its legend. `started`
/// is told the cell count before the first render, `done` each finished
/// cell (the CLI's progress bar, the studio's status line).
pub fn make(
    recipe_path: &std::path::Path,
    axes: &[Axis],
    limits: Limits,
    started: impl FnOnce(usize),
    done: impl Fn() + Sync,
) -> anyhow::Result<Made> {
    use crate::backend::inputs::{self, AssetDirs};
    use anyhow::Context;
    let text =
        std::fs::read_to_string(recipe_path).with_context(|| format!("Failed to read {}", recipe_path.display()))?;
    let name = recipe_path.display().to_string();
    let cells = cells(&name, &text, axes, limits)?;
    let dirs = AssetDirs::beside(recipe_path);
    // Assets are read once, here; the cells render in parallel.
    let requests: Vec<Request> = cells
        .iter()
        .map(|c| -> anyhow::Result<_> {
            let inputs = inputs::load(&c.recipe, &dirs, &[]).map_err(|e| e.located(&name, &text))?;
            Ok(Request { recipe: c.recipe.clone(), inputs })
        })
        .collect::<anyhow::Result<_>>()?;
    started(cells.len());
    let made = render(&requests, done)?;
    let (images, seeds): (Vec<_>, Vec<_>) = made.into_iter().unzip();
    let sheet = sheet(axes, &cells, &images);
    let legend = legend(axes, &cells, &seeds, "builtin");
    let png =
        crate::recipe::png::encode_with(&sheet, &[("parameters", &legend)]).context("Failed to encode the grid")?;
    Ok(Made { png, cells: cells.len() })
}

/// Render every cell on the built-in renderer, in parallel (one renderer
/// per worker thread), calling `done` as each finishes: the images and the
/// seeds they were made with, in cell order.
pub fn render(requests: &[Request], done: impl Fn() + Sync) -> anyhow::Result<Vec<(RgbImage, i64)>> {
    use rayon::prelude::*;
    requests
        .par_iter()
        .map_init(Builtin::new, |backend, request| -> anyhow::Result<_> {
            let g = backend.generate(request, &Cancel::default())?;
            let img = image::load_from_memory(&g.png)?.to_rgb8();
            done();
            Ok((img, g.seed))
        })
        .collect()
}

/// Lay the cells' images out: x across, y down, one block per z value
/// (its label above it); the x values label the columns, the y values the
/// rows. `images[i]` belongs to `cells[i]`; all are the size of the first.
pub fn sheet(axes: &[Axis], cells: &[Cell], images: &[RgbImage]) -> RgbImage {
    let (cw, ch) = images.first().map_or((64, 64), |i| i.dimensions());
    let count = |i: usize| axes.get(i).map_or(1, |a| a.values.len()) as u32;
    let (nx, ny, nz) = (count(0), count(1), count(2));
    // A left margin always; with a y axis, room for its labels.
    let row_label = axes.get(1).map_or(PAD, |a| {
        a.values.iter().map(|v| font::width(&format!("{}: {v}", a.name), SCALE)).max().unwrap_or(0) + 2 * PAD
    });
    let top = LINE + PAD;
    let block_h = top + ny * (ch + PAD);
    // A z axis labels each block, even a block of one value.
    let z_label = if axes.len() > 2 { LINE } else { 0 };
    let (w, h) = (row_label + nx * (cw + PAD) + PAD, nz * (block_h + z_label) + PAD);
    let mut out = RgbImage::from_pixel(w, h, image::Rgb(PAPER));
    for z in 0..nz {
        let mut y0 = z * (block_h + z_label) + PAD;
        if let Some(a) = axes.get(2) {
            font::draw(&mut out, PAD, y0, SCALE, &format!("{}: {}", a.name, a.values[z as usize]), INK);
            y0 += LINE;
        }
        for x in 0..nx {
            let label = axes[0].values[x as usize].clone();
            let text = format!("{}: {label}", axes[0].name);
            let cx = row_label + x * (cw + PAD) + (cw.saturating_sub(font::width(&text, SCALE))) / 2;
            font::draw(&mut out, cx, y0, SCALE, &text, INK);
        }
        for y in 0..ny {
            let cy = y0 + top + y * (ch + PAD);
            if let Some(a) = axes.get(1) {
                font::draw(&mut out, PAD, cy + ch / 2, SCALE, &format!("{}: {}", a.name, a.values[y as usize]), INK);
            }
        }
        for (cell, img) in cells.iter().zip(images).filter(|(c, _)| c.at[2] == z as usize) {
            let x = row_label + cell.at[0] as u32 * (cw + PAD);
            let y = y0 + top + cell.at[1] as u32 * (ch + PAD);
            let img = if img.dimensions() == (cw, ch) {
                img.clone()
            } else {
                image::imageops::resize(img, cw, ch, image::imageops::FilterType::Triangle)
            };
            image::imageops::replace(&mut out, &img, i64::from(x), i64::from(y));
        }
    }
    out
}

/// The sheet's infotext: the axes, then each cell's label and its recipe's
/// infotext, so every cell can be re-made from the file alone.
pub fn legend(axes: &[Axis], cells: &[Cell], seeds: &[i64], backend: &str) -> String {
    let names = ["x", "y", "z"];
    let mut s = String::from("genpath X/Y/Z plot\n");
    for (n, a) in names.iter().zip(axes) {
        s.push_str(&format!("{n}: {} = {}\n", a.name, a.values.join(", ")));
    }
    for (c, seed) in cells.iter().zip(seeds) {
        s.push_str(&format!(
            "\n[{}]\n{}\n",
            c.label.join(", "),
            crate::recipe::infotext::format(&c.recipe, *seed, backend)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_read_keys_values_and_prompt_replacements() {
        let a: Axis = "cfg=4, 7,10".parse().unwrap();
        assert_eq!((a.key, a.values), (Key::Field(vec!["cfg".into()]), vec!["4".into(), "7".into(), "10".into()]));
        let a: Axis = "init.strength=0.3,0.6".parse().unwrap();
        assert_eq!(a.key, Key::Field(vec!["init".into(), "strength".into()]));
        assert_eq!("sr=orange,purple".parse::<Axis>().unwrap().key, Key::PromptReplace);
        for bad in ["cfg", "cfg=", "sr=orange", "c g=1", "a..b=1"] {
            assert!(bad.parse::<Axis>().is_err(), "{bad}");
        }
        assert!(format!("v={}", vec!["1"; 17].join(",")).parse::<Axis>().is_err());
    }

    #[test]
    fn every_cell_lands_inside_the_sheet_whatever_the_axes() {
        let text = "prompt = \"a fox\"\nseed = 3\n";
        for axes in [vec!["cfg=4,9"], vec!["cfg=4,9", "steps=8,20"], vec!["cfg=4,9", "steps=8", "seed=1"]] {
            let axes: Vec<Axis> = axes.iter().map(|a| a.parse().unwrap()).collect();
            let made = cells("r.toml", text, &axes, Limits::default()).unwrap();
            // Marker images: white squares; every one must show whole on the sheet.
            let images = vec![RgbImage::from_pixel(16, 16, image::Rgb([255, 255, 255])); made.len()];
            let sheet = sheet(&axes, &made, &images);
            let white = sheet.pixels().filter(|p| p.0 == [255, 255, 255]).count();
            assert_eq!(white, made.len() * 256, "{} axes: a cell is cut off", axes.len());
            assert!(sheet.get_pixel(0, sheet.height() - 1).0 == PAPER, "a margin all round");
        }
    }

    #[test]
    fn cells_vary_the_recipe_x_fastest() {
        let text = "prompt = \"a fox, orange fur, in a forest\"\nseed = 3\n";
        let axes: Vec<Axis> = ["cfg=4,9", "sr=orange,purple,green"].iter().map(|a| a.parse().unwrap()).collect();
        let made = cells("r.toml", text, &axes, Limits::default()).unwrap();
        assert_eq!(made.len(), 6);
        assert_eq!(made[1].at, [1, 0, 0]);
        assert_eq!(made[1].recipe.cfg, 9.0);
        assert!(made[5].recipe.prompt.contains("green fur"), "{}", made[5].recipe.prompt);
        assert_eq!(made[5].label, vec!["cfg: 9".to_string(), "sr: green".to_string()]);
        let bad: Vec<Axis> = vec!["sr=blue,red".parse().unwrap()];
        assert!(cells("r.toml", text, &bad, Limits::default()).is_err(), "blue is not in the prompt");
        let wrong: Vec<Axis> = vec!["steps=ten".parse().unwrap()];
        let e = cells("r.toml", text, &wrong, Limits::default()).unwrap_err().to_string();
        assert!(e.contains("steps: ten"), "{e}");
    }
}
