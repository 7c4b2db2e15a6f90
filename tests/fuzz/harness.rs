//! A mutation fuzzer that runs on the stable toolchain: each target is a
//! function from bytes to "handled" (any `Ok` or `Err`); a panic is a bug.
//! Inputs start from a seed corpus (`tests/fuzz/corpus/<target>/`) and past
//! crash inputs (`tests/fuzz/crashes/<target>/`), and are mutated by byte
//! flips, interesting values, insertions of format tokens, deletions,
//! duplications and splices with other corpus entries.
//!
//! Used by `tests/it/fuzz.rs` (replay everything, then a short deterministic
//! run of every target, in every `cargo test`) and by `examples/fuzz.rs`
//! (long sessions that save new crashes, slow and memory-hungry inputs).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check
#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use genpath::recipe::{Limits, Recipe};

/// One thing the fuzzer feeds.
pub struct Target {
    pub name: &'static str,
    /// Tokens of the input's format, inserted by the mutator.
    pub dictionary: &'static [&'static str],
    pub run: fn(&[u8]),
}

const TOML_TOKENS: &[&str] = &[
    "=",
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    "\n",
    "#",
    "\\",
    "\\u",
    "\"\"\"",
    "1e999",
    "-1",
    "nan",
    "inf",
    "9999999999",
    "true",
    "0x",
    "{scene}",
    "[[shot]]",
    "[init]",
    "[[control]]",
    "[reference]",
];

pub const TARGETS: &[Target] = &[
    Target { name: "recipe", dictionary: TOML_TOKENS, run: recipe },
    Target {
        name: "prompt",
        dictionary: &["(", ")", "[", "]", ":", ":1.5", "\\", ",", "#FF7A1A", "BREAK", "{scene}", " ", "(((("],
        run: prompt,
    },
    Target { name: "curriculum", dictionary: TOML_TOKENS, run: curriculum },
    Target {
        name: "import",
        dictionary: &[
            "\nNegative prompt:",
            "Steps:",
            "Seed:",
            "CFG scale:",
            "Size:",
            ",",
            "\"",
            ": ",
            "tEXt",
            "zTXt",
            "iTXt",
            "IEND",
            "IDAT",
            "\u{0}",
            "{\"",
            "\"class_type\"",
            "\"inputs\"",
            "Exif\u{0}\u{0}",
            "MM\u{0}*",
            "II*\u{0}",
        ],
        run: import,
    },
    Target {
        name: "bundle",
        dictionary: &[
            "PK\u{3}\u{4}",
            "PK\u{1}\u{2}",
            "PK\u{5}\u{6}",
            "../",
            "/",
            "manifest.json",
            "\u{0}\u{0}\u{0}\u{0}",
        ],
        run: bundle,
    },
    Target {
        name: "pipeline",
        dictionary: &[
            "[matrix]",
            "[base]",
            "[budget]",
            "[run]",
            "[[checks]]",
            "[overrides.",
            "{product}",
            "output",
            "..",
            "/",
            "=",
            "\"",
            "[",
            "]",
            "\n",
            "1e308",
            "-1",
        ],
        run: pipeline,
    },
];

pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Recipe files: parse and validate, then resolve the shots.
fn recipe(bytes: &[u8]) {
    if let Ok(r) = Recipe::parse("recipe.toml", &text(bytes), Limits::default()) {
        let _ = r.resolve();
    }
}

/// Prompts: the renderer's parser, then a tiny render of whatever it understood.
fn prompt(bytes: &[u8]) {
    let prompt = text(bytes);
    let _ = genpath::recipe::prompt::parse(&prompt);
    let escaped = prompt.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " ");
    let toml = format!("prompt = \"{escaped}\"\nseed = 3\nwidth = 32\nheight = 32\nsteps = 4\n");
    if let Ok(r) = Recipe::parse("p.toml", &toml, Limits::default()) {
        for shot in r.resolve() {
            let _ = genpath::backend::builtin::render(&shot, 3, &Default::default());
        }
    }
}

/// The marker that splits a curriculum input into path.toml and exercise.toml.
pub const CURRICULUM_SPLIT: &str = "\n# ---- exercise.toml ----\n";

/// A curriculum folder: the input is `path.toml`, the marker, and one
/// `exercise.toml` (in a fixed skeleton with a starter, solution and asset).
fn curriculum(bytes: &[u8]) {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let root = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("genpath-fuzz-curriculum-{}", std::process::id()));
        let ex = dir.join("exercises/fluency/first-image");
        std::fs::create_dir_all(ex.join("starter")).unwrap();
        std::fs::create_dir_all(ex.join("solution")).unwrap();
        std::fs::create_dir_all(ex.join("assets")).unwrap();
        std::fs::create_dir_all(dir.join("curriculum")).unwrap();
        let recipe = "prompt = \"a fox\"\nseed = 1\n";
        std::fs::write(ex.join("starter/recipe.toml"), recipe).unwrap();
        std::fs::write(ex.join("solution/recipe.toml"), recipe).unwrap();
        std::fs::write(ex.join("assets/a.png"), tiny_png()).unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("curriculum/pricing.toml"), dir.join("curriculum/pricing.toml")).unwrap();
        dir
    });
    let input = text(bytes);
    let (path, exercise) = input.split_once(CURRICULUM_SPLIT).unwrap_or((&input, ""));
    std::fs::write(root.join("curriculum/path.toml"), path).unwrap();
    std::fs::write(root.join("exercises/fluency/first-image/exercise.toml"), exercise).unwrap();
    let _ = genpath::curriculum::Curriculum::load(genpath::curriculum::Source::Folder(root.clone()));
}

/// Generation metadata from any tool: PNG text chunks, JPEG/WebP EXIF,
/// A1111 infotext, ComfyUI graphs.
fn import(bytes: &[u8]) {
    let _ = genpath::recipe::import::from_png(bytes);
    if let Some(t) = genpath::recipe::import::exif_user_comment(bytes) {
        let _ = genpath::recipe::import::recipe_from_infotext(&genpath::recipe::import::parse_infotext(&t));
    }
    let t = text(bytes);
    let _ = genpath::recipe::import::recipe_from_infotext(&genpath::recipe::import::parse_infotext(&t));
    if let Ok(graph) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = genpath::recipe::import::recipe_from_comfy(&graph);
    }
}

/// Submission bundles, verified as `collect` does before writing anything.
fn bundle(bytes: &[u8]) {
    let _ = genpath::bundle::read(bytes, genpath::bundle::Limits::default());
}

/// Pipeline files: parse, validate, expand.
fn pipeline(bytes: &[u8]) {
    if let Ok(p) = genpath::pipeline::Pipeline::parse("pipeline.toml", &text(bytes), Limits::default()) {
        let _ = p.expand();
    }
}

pub fn tiny_png() -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(4, 4))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// SplitMix64: small, fast, deterministic for a seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const INTERESTING: &[u8] =
    &[0, 1, 0x7f, 0x80, 0xff, b'"', b'\\', b'\n', b'[', b']', b'(', b')', b'{', b'}', b'=', b'.'];

/// One mutation of `input` (sometimes several stacked).
pub fn mutate(input: &[u8], corpus: &[Vec<u8>], dictionary: &[&str], rng: &mut Rng) -> Vec<u8> {
    let mut data = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let token = dictionary[rng.below(dictionary.len())].as_bytes();
                let at = rng.below(len + 1);
                data.splice(at..at, token.iter().copied());
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                data.drain(a..b);
            }
            4 if len > 0 => {
                // Duplicate a range (repetition finds quadratic paths).
                let a = rng.below(len);
                let b = (a + 1 + rng.below(256)).min(len);
                let piece: Vec<u8> = data[a..b].to_vec();
                let most = if rng.below(8) == 0 { 512 } else { 4 };
                let times = 1 + rng.below(most);
                let at = rng.below(data.len() + 1);
                let repeated: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * times).collect();
                data.splice(at..at, repeated);
            }
            5 if !corpus.is_empty() => {
                // Splice: our head, another entry's tail.
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(data.len() + 1);
                let from = rng.below(other.len() + 1);
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            6 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            7 if len >= 4 => {
                // Overwrite 4 bytes with a big-endian number (lengths, sizes, CRCs).
                let i = rng.below(len - 3);
                let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 100_000, 65_536][rng.below(6)];
                data[i..i + 4].copy_from_slice(&v.to_be_bytes());
            }
            _ => {
                if len > 1 {
                    let a = rng.below(len);
                    let b = rng.below(len);
                    data.swap(a, b);
                }
            }
        }
    }
    // Inputs stay at most 1 MiB, so a session explores rather than grows.
    data.truncate(1 << 20);
    data
}

/// The files of a corpus folder, sorted by name (missing folder: none).
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten().filter(|e| e.path().is_file()).map(|e| (e.path(), std::fs::read(e.path()).unwrap())).collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz")
}

/// The seed corpus and past crashes of a target.
pub fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all = files(&fuzz_dir().join("corpus").join(target));
    all.extend(files(&fuzz_dir().join("crashes").join(target)));
    all
}

/// Run one input; a panic comes back as its message.
pub fn run_one(t: &Target, input: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| (t.run)(input))).map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into())
    })
}

/// Silence the default panic message while fuzzing (panics are collected and reported).
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}
