//! The built-in renderer's vocabulary: every word it understands, in tables.
//!
//! `curriculum/vocabulary.md` is generated from these tables (`genpath dev
//! vocabulary`), and a test keeps the file equal to the output, so the
//! documentation cannot drift from what the renderer does.

/// Character or product: decides which identity attributes apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectClass {
    Character,
    Product,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Fox,
    Cat,
    Owl,
    Robot,
    Bear,
    Astronaut,
    Rabbit,
    Penguin,
    Bottle,
    Sneaker,
    Mug,
    Headphones,
    Watch,
    Chair,
    Lamp,
    Backpack,
}

pub struct SubjectWord {
    pub subject: Subject,
    pub words: &'static [&'static str],
    pub class: SubjectClass,
    /// Typical colours when the prompt names none: (body, accent).
    pub colors: [[u8; 3]; 2],
}

pub const SUBJECTS: &[SubjectWord] = &[
    SubjectWord {
        subject: Subject::Fox,
        words: &["fox", "foxes"],
        class: SubjectClass::Character,
        colors: [[232, 112, 40], [250, 244, 232]],
    },
    SubjectWord {
        subject: Subject::Cat,
        words: &["cat", "kitten", "kitty"],
        class: SubjectClass::Character,
        colors: [[120, 120, 128], [245, 200, 80]],
    },
    SubjectWord {
        subject: Subject::Owl,
        words: &["owl"],
        class: SubjectClass::Character,
        colors: [[140, 100, 70], [245, 190, 70]],
    },
    SubjectWord {
        subject: Subject::Robot,
        words: &["robot", "droid", "android"],
        class: SubjectClass::Character,
        colors: [[150, 170, 190], [60, 200, 220]],
    },
    SubjectWord {
        subject: Subject::Bear,
        words: &["bear", "teddy"],
        class: SubjectClass::Character,
        colors: [[140, 90, 55], [230, 190, 150]],
    },
    SubjectWord {
        subject: Subject::Astronaut,
        words: &["astronaut", "spaceman", "cosmonaut"],
        class: SubjectClass::Character,
        colors: [[240, 240, 244], [255, 140, 40]],
    },
    SubjectWord {
        subject: Subject::Rabbit,
        words: &["rabbit", "bunny", "hare"],
        class: SubjectClass::Character,
        colors: [[235, 225, 215], [245, 160, 175]],
    },
    SubjectWord {
        subject: Subject::Penguin,
        words: &["penguin"],
        class: SubjectClass::Character,
        colors: [[40, 44, 60], [250, 170, 40]],
    },
    SubjectWord {
        subject: Subject::Bottle,
        words: &["bottle", "water bottle"],
        class: SubjectClass::Product,
        colors: [[60, 150, 200], [240, 240, 240]],
    },
    SubjectWord {
        subject: Subject::Sneaker,
        words: &["sneaker", "sneakers", "shoe", "shoes", "trainer"],
        class: SubjectClass::Product,
        colors: [[220, 60, 60], [250, 250, 250]],
    },
    SubjectWord {
        subject: Subject::Mug,
        words: &["mug", "cup", "coffee mug"],
        class: SubjectClass::Product,
        colors: [[245, 240, 230], [60, 110, 180]],
    },
    SubjectWord {
        subject: Subject::Headphones,
        words: &["headphones", "headset"],
        class: SubjectClass::Product,
        colors: [[50, 50, 60], [230, 80, 60]],
    },
    SubjectWord {
        subject: Subject::Watch,
        words: &["watch", "wristwatch", "smartwatch"],
        class: SubjectClass::Product,
        colors: [[190, 190, 200], [70, 60, 50]],
    },
    SubjectWord {
        subject: Subject::Chair,
        words: &["chair", "armchair"],
        class: SubjectClass::Product,
        colors: [[200, 150, 90], [60, 120, 110]],
    },
    SubjectWord {
        subject: Subject::Lamp,
        words: &["lamp", "desk lamp"],
        class: SubjectClass::Product,
        colors: [[240, 200, 80], [60, 60, 70]],
    },
    SubjectWord {
        subject: Subject::Backpack,
        words: &["backpack", "rucksack", "bag"],
        class: SubjectClass::Product,
        colors: [[60, 110, 90], [230, 170, 60]],
    },
];

impl Subject {
    pub fn info(self) -> &'static SubjectWord {
        SUBJECTS.iter().find(|s| s.subject == self).unwrap_or(&SUBJECTS[0])
    }
    pub fn name(self) -> &'static str {
        self.info().words[0]
    }
    pub fn class(self) -> SubjectClass {
        self.info().class
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scene {
    Beach,
    Forest,
    CityStreet,
    NightCity,
    Studio,
    Kitchen,
    Mountains,
    Snow,
    Desert,
    Office,
    Park,
    Space,
}

pub const SCENES: &[(Scene, &[&str])] = &[
    (Scene::Beach, &["beach", "seaside", "shore", "ocean"]),
    (Scene::Forest, &["forest", "woods", "woodland"]),
    (Scene::CityStreet, &["city street", "street", "city", "downtown"]),
    (Scene::NightCity, &["night city", "city at night", "cyberpunk city"]),
    (Scene::Studio, &["studio backdrop", "studio", "plain background", "product shot", "seamless backdrop"]),
    (Scene::Kitchen, &["kitchen"]),
    (Scene::Mountains, &["mountains", "mountain", "alps"]),
    (Scene::Snow, &["snow", "snowy", "winter"]),
    (Scene::Desert, &["desert", "dunes"]),
    (Scene::Office, &["office", "desk", "workspace"]),
    (Scene::Park, &["park", "meadow", "garden"]),
    (Scene::Space, &["space", "outer space", "galaxy", "moon surface"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lighting {
    Sunrise,
    Noon,
    GoldenHour,
    Night,
    Neon,
    Overcast,
    Soft,
}

pub const LIGHTINGS: &[(Lighting, &[&str])] = &[
    (Lighting::Sunrise, &["sunrise", "dawn", "morning"]),
    (Lighting::Noon, &["noon", "midday", "daylight", "sunny"]),
    (Lighting::GoldenHour, &["golden hour", "sunset", "dusk"]),
    (Lighting::Night, &["night", "moonlight", "at night"]),
    (Lighting::Neon, &["neon", "neon lights"]),
    (Lighting::Overcast, &["overcast", "cloudy", "rainy", "grey day"]),
    (Lighting::Soft, &["soft light", "softbox", "studio lighting", "soft lighting"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    FlatVector,
    Watercolor,
    PixelArt,
    LineArt,
    Clay,
    Photographic,
}

pub const STYLES: &[(Style, &[&str])] = &[
    (Style::FlatVector, &["flat vector", "flat", "vector", "flat illustration", "minimal"]),
    (Style::Watercolor, &["watercolor", "watercolour", "painted", "gouache"]),
    (Style::PixelArt, &["pixel art", "pixel", "8-bit", "16-bit", "retro game"]),
    (Style::LineArt, &["line art", "lineart", "ink", "outline", "sketch", "coloring page"]),
    (Style::Clay, &["soft 3d", "3d", "clay", "claymation", "3d render", "toy"]),
    (Style::Photographic, &["photographic", "photo", "photograph", "photorealistic", "realistic", "dslr", "35mm"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    Plain,
    Stripes,
    Spots,
    Checks,
}

pub const PATTERNS: &[(Pattern, &[&str])] = &[
    (Pattern::Plain, &["plain", "solid color", "solid colour"]),
    (Pattern::Stripes, &["striped", "stripes", "stripy"]),
    (Pattern::Spots, &["spotted", "spots", "polka dots", "dotted"]),
    (Pattern::Checks, &["checkered", "checked", "plaid", "gingham"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Accessory {
    None,
    Scarf,
    Hat,
    Glasses,
    Bowtie,
    Crown,
    Cape,
}

pub const ACCESSORIES: &[(Accessory, &[&str])] = &[
    (Accessory::Scarf, &["scarf", "neckerchief"]),
    (Accessory::Hat, &["hat", "beanie", "cap"]),
    (Accessory::Glasses, &["glasses", "spectacles", "sunglasses"]),
    (Accessory::Bowtie, &["bowtie", "bow tie", "bow"]),
    (Accessory::Crown, &["crown", "tiara"]),
    (Accessory::Cape, &["cape", "cloak"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proportions {
    Regular,
    Chubby,
    Slim,
    Tall,
    Tiny,
}

pub const PROPORTIONS: &[(Proportions, &[&str])] = &[
    (Proportions::Regular, &["regular build", "average build"]),
    (Proportions::Chubby, &["chubby", "round", "plump", "chonky"]),
    (Proportions::Slim, &["slim", "slender", "skinny"]),
    (Proportions::Tall, &["tall", "lanky"]),
    (Proportions::Tiny, &["tiny", "small", "little", "mini"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Eyes {
    Round,
    Sleepy,
    Sparkly,
    Dots,
}

pub const EYES: &[(Eyes, &[&str])] = &[
    (Eyes::Round, &["round eyes", "big eyes"]),
    (Eyes::Sleepy, &["sleepy eyes", "sleepy", "half-closed eyes"]),
    (Eyes::Sparkly, &["sparkly eyes", "shiny eyes", "anime eyes"]),
    (Eyes::Dots, &["dot eyes", "beady eyes", "simple eyes"]),
];

/// Shot size: how much of the frame the subject fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    CloseUp,
    Medium,
    Wide,
}

pub const FRAMINGS: &[(Framing, &[&str])] = &[
    (Framing::CloseUp, &["close-up", "closeup", "close up", "portrait"]),
    (Framing::Medium, &["medium shot", "mid shot", "half body"]),
    (Framing::Wide, &["wide shot", "wide", "full body", "establishing shot", "far away"]),
];

/// Where in the frame something goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
    Top,
    Bottom,
    Center,
}

/// Phrases that place the subject.
pub const PLACEMENTS: &[(Side, &[&str])] = &[
    (Side::Left, &["on the left", "left side", "at the left", "left third"]),
    (Side::Right, &["on the right", "right side", "at the right", "right third"]),
    (Side::Top, &["at the top", "top of the frame", "upper third"]),
    (Side::Bottom, &["at the bottom", "bottom of the frame", "lower third"]),
    (Side::Center, &["centered", "centred", "in the center", "in the centre", "center", "centre", "symmetrical"]),
];

/// Phrases that ask for a calm empty area (the subject moves away from it).
pub const COPY_SPACE: &[(Side, &[&str])] = &[
    (
        Side::Left,
        &["copy space on the left", "empty space on the left", "negative space on the left", "text space on the left"],
    ),
    (
        Side::Right,
        &[
            "copy space on the right",
            "empty space on the right",
            "negative space on the right",
            "text space on the right",
        ],
    ),
    (
        Side::Top,
        &[
            "copy space on the top",
            "copy space at the top",
            "empty space at the top",
            "negative space at the top",
            "text space at the top",
        ],
    ),
    (
        Side::Bottom,
        &[
            "copy space on the bottom",
            "copy space at the bottom",
            "empty space at the bottom",
            "negative space at the bottom",
            "text space at the bottom",
        ],
    ),
];

/// The composition rule that puts the subject on a thirds intersection.
pub const THIRDS: &[&str] = &["rule of thirds", "thirds", "off-center", "off-centre"];

/// Named colours (families: each render wanders a little around the value).
/// Hex codes are not understood, as no text encoder understands them.
pub const COLORS: &[(&str, [u8; 3])] = &[
    ("red", [214, 48, 49]),
    ("crimson", [190, 30, 60]),
    ("orange", [240, 120, 30]),
    ("amber", [255, 170, 20]),
    ("yellow", [250, 210, 50]),
    ("gold", [212, 170, 60]),
    ("golden", [212, 170, 60]),
    ("cream", [245, 235, 210]),
    ("beige", [220, 200, 170]),
    ("brown", [130, 85, 50]),
    ("green", [60, 160, 80]),
    ("mint", [150, 225, 190]),
    ("olive", [120, 130, 50]),
    ("teal", [27, 153, 139]),
    ("turquoise", [60, 200, 200]),
    ("cyan", [40, 200, 230]),
    ("blue", [45, 110, 210]),
    ("navy", [25, 40, 90]),
    ("purple", [130, 70, 180]),
    ("violet", [150, 90, 220]),
    ("lavender", [190, 170, 230]),
    ("pink", [245, 140, 180]),
    ("magenta", [220, 40, 160]),
    ("coral", [250, 120, 100]),
    ("white", [248, 248, 245]),
    ("black", [30, 30, 34]),
    ("grey", [140, 140, 145]),
    ("gray", [140, 140, 145]),
    ("silver", [195, 198, 205]),
];

/// Words naming the subject's main surface: a colour before one sets the body colour.
pub const BODY_WORDS: &[&str] =
    &["fur", "body", "coat", "feathers", "skin", "shell", "paint", "case", "leather", "fabric", "finish", "plastic"];

/// Words naming the accent: a colour before one sets the accent colour.
pub const ACCENT_WORDS: &[&str] = &[
    "accent", "accents", "trim", "details", "sole", "cap", "lid", "strap", "straps", "laces", "band", "belly", "visor",
    "cushions",
];

/// Elements a negative prompt can remove.
pub const ELEMENTS: &[(&str, &[&str])] = &[
    ("sun", &["sun", "sunshine"]),
    ("moon", &["moon"]),
    ("clouds", &["clouds", "cloud"]),
    ("stars", &["stars", "star"]),
    ("trees", &["trees", "tree"]),
    ("buildings", &["buildings", "building", "houses"]),
    ("windows", &["windows", "window"]),
    ("plants", &["plants", "plant", "cactus", "flowers"]),
    ("waves", &["waves", "water", "sea"]),
    ("snowflakes", &["snowflakes", "snowfall"]),
    ("shadow", &["shadow", "shadows"]),
    ("pattern", &["pattern", "patterns"]),
    ("accessory", &["accessory", "accessories"]),
    ("grain", &["grain", "noise", "grainy", "noisy"]),
    ("outline", &["outline", "outlines"]),
    ("clutter", &["clutter", "busy background", "props", "furniture"]),
];

/// Words that are understood but change nothing (articles, quality tags …).
pub const NEUTRAL: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "with",
    "and",
    "on",
    "in",
    "at",
    "by",
    "for",
    "to",
    "its",
    "his",
    "her",
    "their",
    "wearing",
    "holding",
    "standing",
    "sitting",
    "cute",
    "happy",
    "friendly",
    "mascot",
    "copy space",
    "negative space",
    "empty space",
    "character",
    "illustration",
    "image",
    "picture",
    "art",
    "artwork",
    "high quality",
    "best quality",
    "masterpiece",
    "detailed",
    "highly detailed",
    "sharp",
    "sharp focus",
    "4k",
    "8k",
    "hd",
    "clean",
    "simple",
    "product",
    "brand",
    "logo-free",
    "background",
    "scene",
    "shot",
    "view",
    "front view",
    "side view",
    "very",
    "large",
    "new",
    "same",
    "one",
    "single",
    "pip",
    "named",
    "called",
    "colors",
    "colours",
    "palette",
    "brand colors",
    "brand colours",
    "lighting",
    "light",
    "style",
    "composition",
    "frame",
    "subject",
    "empty",
    "copy",
    "text",
    "area",
    "left",
    "right",
    "top",
    "bottom",
    "eyes",
    "wears",
    "is",
    "are",
    "looking",
    "camera",
    "facing",
];

/// Samplers the renderer accepts; `_a` (ancestral) ones keep changing with the step count.
pub const SAMPLERS: &[(&str, &[&str])] = &[
    ("euler", &["euler"]),
    ("euler_a", &["euler a", "euler_a", "euler ancestral"]),
    ("heun", &["heun"]),
    ("dpm2", &["dpm2"]),
    ("dpm2_a", &["dpm2 a", "dpm2_a"]),
    ("dpmpp_2m", &["dpm++ 2m", "dpmpp_2m", "dpm++ 2m karras"]),
    ("dpmpp_2s_a", &["dpm++ 2s a", "dpmpp_2s_a"]),
    ("dpmpp_sde", &["dpm++ sde", "dpmpp_sde", "dpm++ sde karras"]),
    ("ddim", &["ddim"]),
    ("lms", &["lms"]),
    ("unipc", &["unipc"]),
];

/// The canonical sampler name for what a recipe wrote, if known.
pub fn sampler(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    SAMPLERS.iter().find(|(canon, aliases)| *canon == n || aliases.contains(&n.as_str())).map(|(c, _)| *c)
}

pub fn is_ancestral(sampler: &str) -> bool {
    sampler.ends_with("_a")
}

/// Model evaluations a sampler spends on one step: second-order samplers
/// (Heun, DPM2, DPM++ 2S a, DPM++ SDE) run the network twice per step, so a
/// step costs twice the GPU time (k-diffusion's `sample_heun`, `sample_dpm_2`,
/// `sample_dpmpp_2s_ancestral`, `sample_dpmpp_sde`). A grid's cost axis is
/// steps × this, not steps.
pub fn evaluations_per_step(sampler: &str) -> u32 {
    match sampler {
        "heun" | "dpm2" | "dpm2_a" | "dpmpp_2s_a" | "dpmpp_sde" => 2,
        _ => 1,
    }
}

/// How many Euler steps' worth of convergence one step of a sampler buys:
/// multistep and higher-order solvers reach a finished image in fewer steps
/// than Euler (DPM-Solver++ 2M and UniPC converge by ~15–20 steps where
/// Euler needs ~25–30; Lu et al. 2022, Zhao et al. 2023; the A1111 wiki's
/// sampler comparisons), DDIM needs more, ancestral samplers add fresh noise
/// each step and converge like Euler before it. The renderer applies it in
/// its steps model (curriculum/physics.md, *Sampling*).
pub fn convergence_per_step(sampler: &str) -> f32 {
    match sampler {
        "dpmpp_2m" | "unipc" => 1.4,
        "heun" | "dpm2" | "dpm2_a" | "dpmpp_2s_a" | "dpmpp_sde" => 1.8,
        "ddim" | "lms" => 0.8,
        _ => 1.0,
    }
}

/// Render the vocabulary as Markdown (the content of `curriculum/vocabulary.md`).
pub fn markdown() -> String {
    fn list<T>(rows: &[(T, &[&str])], name: impl Fn(&T) -> String) -> String {
        rows.iter().map(|(t, words)| format!("| {} | {} |\n", name(t), words.join(", "))).collect()
    }
    let mut out = String::new();
    out.push_str("# The built-in renderer's vocabulary\n\n");
    out.push_str("Generated by `genpath dev vocabulary` from the renderer's own tables; do not edit by hand.\n\n");
    out.push_str("The built-in backend draws what these words name. Anything the prompt leaves out is chosen from\n");
    out.push_str(
        "the seed *and the whole prompt*, so changing one word can change an unpinned attribute elsewhere —\n",
    );
    out.push_str("describe what must stay the same. Words it does not know are reported as not understood and still\n");
    out.push_str("perturb the result. `(word:1.3)` weights a word; the negative prompt removes elements.\n\n");
    out.push_str("How the renderer behaves — conditioning, image-to-image, inpainting, sampling — and the real\n");
    out.push_str("model behaviour each rule imitates: [physics.md](physics.md).\n\n");
    out.push_str("## Subjects\n\n| subject | words | kind |\n|---|---|---|\n");
    for s in SUBJECTS {
        let kind = if s.class == SubjectClass::Character { "character" } else { "product" };
        out.push_str(&format!("| {} | {} | {kind} |\n", s.words[0], s.words.join(", ")));
    }
    out.push_str("\n## Identity attributes\n\n");
    out.push_str("Colours: a named colour, which is a family, not a value: each seed renders it a little differently (hue ±8°), as real models do. Hex codes (`#FF5A36`) are not understood — no text encoder reads them; for an exact colour give an image in it as a `[reference]`. A colour before a body word (");
    out.push_str(&BODY_WORDS.join(", "));
    out.push_str(") sets the body colour; before an accent word (");
    out.push_str(&ACCENT_WORDS.join(", "));
    out.push_str(") or an accessory it sets the accent colour; otherwise the first colour is the body and the second the accent.\n\n");
    out.push_str("| colour | sRGB |\n|---|---|\n");
    for (name, c) in COLORS {
        out.push_str(&format!("| {name} | {} |\n", crate::imaging::color::to_hex(*c)));
    }
    out.push_str("\n### Patterns\n\n| pattern | words |\n|---|---|\n");
    out.push_str(&list(PATTERNS, |p| format!("{p:?}").to_lowercase()));
    out.push_str("\n### Accessories (characters)\n\n| accessory | words |\n|---|---|\n");
    out.push_str(&list(ACCESSORIES, |a| format!("{a:?}").to_lowercase()));
    out.push_str("\n### Proportions\n\n| proportions | words |\n|---|---|\n");
    out.push_str(&list(PROPORTIONS, |p| format!("{p:?}").to_lowercase()));
    out.push_str("\n### Eyes (characters)\n\n| eyes | words |\n|---|---|\n");
    out.push_str(&list(EYES, |e| format!("{e:?}").to_lowercase()));
    out.push_str("\n## Scenes\n\n| scene | words |\n|---|---|\n");
    out.push_str(&list(SCENES, |s| format!("{s:?}").to_lowercase()));
    out.push_str("\n## Lighting and time of day\n\n| lighting | words |\n|---|---|\n");
    out.push_str(&list(LIGHTINGS, |l| format!("{l:?}").to_lowercase()));
    out.push_str("\n## Styles\n\n| style | words |\n|---|---|\n");
    out.push_str(&list(STYLES, |s| format!("{s:?}").to_lowercase()));
    out.push_str("\n## Composition\n\n| framing | words |\n|---|---|\n");
    out.push_str(&list(FRAMINGS, |f| format!("{f:?}").to_lowercase()));
    out.push_str("\n| subject placement | words |\n|---|---|\n");
    out.push_str(&list(PLACEMENTS, |s| format!("{s:?}").to_lowercase()));
    out.push_str("\n| copy space (a calm, empty area) | words |\n|---|---|\n");
    out.push_str(&list(COPY_SPACE, |s| format!("{s:?}").to_lowercase()));
    out.push_str(&format!("\nRule of thirds: {}.\n", THIRDS.join(", ")));
    out.push_str("\n## Negative prompt\n\nThese elements disappear when named in `negative`:\n\n| element | words |\n|---|---|\n");
    out.push_str(&list(ELEMENTS, |e| e.to_string()));
    out.push_str("\n## Samplers\n\nAncestral samplers (`_a`) keep changing as the step count changes; the others converge.\n\n| sampler | also written |\n|---|---|\n");
    out.push_str(&list(SAMPLERS, |s| s.to_string()));
    out.push_str("\n## How the settings behave\n\n");
    out.push_str("- **seed**: the same recipe gives the same bytes; `-1` picks a random seed and records it.\n");
    out.push_str("- **steps**: below about 12 the image is visibly noisy and soft; it converges by 20–30; more only costs time.\n");
    out.push_str("- **cfg**: below about 4 colours wash out and specified attributes may be ignored or swapped; 5–9 is the sweet spot; above about 11 colours oversaturate and posterise.\n");
    out.push_str("- **control** `edges` (white lines on black): subject silhouette and horizon follow the map; weight 0–2, full adherence from 0.8. `mask` (white = subject, mid grey = keep calm for text): the subject fills the white region. `pose` (a stick figure image): the character stands where the figure stands.\n");
    out.push_str("- **init** (img2img): low strength keeps the init image's structure and palette, high strength keeps little. With a `mask` (white = repaint) pixels outside it are kept exactly.\n");
    out.push_str("- **reference**: pulls the palette, proportions and pattern toward the reference image, by analysing its pixels.\n");
    out
}
