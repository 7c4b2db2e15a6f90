//! Reading a prompt the way the renderer needs it: A1111 weight syntax,
//! comma-separated chunks, multi-word phrases matched longest first, hex
//! colours, and a list of the words it did not understand.
//!
//! Each term also gets its position in the text encoder's tokens, as
//! AUTOMATIC1111 (and ComfyUI) lay a prompt out for CLIP: 75-token chunks
//! encoded separately, a chunk that would split a phrase going back to the
//! last comma within 20 tokens, and `BREAK` starting a new chunk. How much
//! a position counts is the model's business (`backend::builtin::model`).

use std::sync::OnceLock;

use super::vocab::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TermKind {
    Subject(Subject),
    Scene(Scene),
    Lighting(Lighting),
    Style(Style),
    Pattern(Pattern),
    Accessory(Accessory),
    Proportions(Proportions),
    Eyes(Eyes),
    Framing(Framing),
    Place(Side),
    CopySpace(Side),
    Thirds,
    Color([u8; 3]),
    BodyWord,
    AccentWord,
    Element(&'static str),
    Neutral,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub kind: TermKind,
    pub weight: f32,
    /// Index of the comma-separated chunk the term came from.
    pub chunk: usize,
    /// Position of the term's first token in the text encoder's input
    /// (`token / CLIP_CHUNK` is its CLIP chunk).
    pub token: u32,
}

/// Tokens per CLIP chunk (77 with the start and end tokens).
pub const CLIP_CHUNK: u32 = 75;

/// A1111's `comma_padding_backtrack`: a chunk that fills up goes back to a
/// comma this many tokens before its end, so a phrase is not cut in two.
const COMMA_BACKTRACK: u32 = 20;

/// The keyword that ends a CLIP chunk early (A1111; upper case, on its own).
pub const BREAK: &str = "BREAK";

/// A word's length in CLIP's byte-pair tokens, approximately: common short
/// words are one token, long or rare words split into pieces.
fn clip_tokens(word: &str) -> u32 {
    1 + (word.chars().count() as u32).saturating_sub(1) / 8
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub terms: Vec<Term>,
    pub understood: Vec<String>,
    pub unknown: Vec<String>,
}

impl Parsed {
    /// The strongest term of a kind selected by `pick`, with its weight.
    pub fn best<T>(&self, pick: impl Fn(&TermKind) -> Option<T>) -> Option<(T, f32)> {
        let mut best: Option<(T, f32)> = None;
        for t in &self.terms {
            if let Some(v) = pick(&t.kind)
                && best.as_ref().is_none_or(|(_, w)| t.weight > *w)
            {
                best = Some((v, t.weight));
            }
        }
        best
    }
}

/// Every phrase of the vocabulary as lowercase words, longest first.
fn phrases() -> &'static Vec<(Vec<&'static str>, TermKind)> {
    static TABLE: OnceLock<Vec<(Vec<&'static str>, TermKind)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v: Vec<(Vec<&'static str>, TermKind)> = Vec::new();
        let mut add = |words: &'static str, kind: TermKind| v.push((words.split_whitespace().collect(), kind));
        for s in SUBJECTS {
            for w in s.words {
                add(w, TermKind::Subject(s.subject));
            }
        }
        for (x, ws) in SCENES {
            ws.iter().for_each(|w| add(w, TermKind::Scene(*x)));
        }
        for (x, ws) in LIGHTINGS {
            ws.iter().for_each(|w| add(w, TermKind::Lighting(*x)));
        }
        for (x, ws) in STYLES {
            ws.iter().for_each(|w| add(w, TermKind::Style(*x)));
        }
        for (x, ws) in PATTERNS {
            ws.iter().for_each(|w| add(w, TermKind::Pattern(*x)));
        }
        for (x, ws) in ACCESSORIES {
            ws.iter().for_each(|w| add(w, TermKind::Accessory(*x)));
        }
        for (x, ws) in PROPORTIONS {
            ws.iter().for_each(|w| add(w, TermKind::Proportions(*x)));
        }
        for (x, ws) in EYES {
            ws.iter().for_each(|w| add(w, TermKind::Eyes(*x)));
        }
        for (x, ws) in FRAMINGS {
            ws.iter().for_each(|w| add(w, TermKind::Framing(*x)));
        }
        for (x, ws) in PLACEMENTS {
            ws.iter().for_each(|w| add(w, TermKind::Place(*x)));
        }
        for (x, ws) in COPY_SPACE {
            ws.iter().for_each(|w| add(w, TermKind::CopySpace(*x)));
        }
        THIRDS.iter().for_each(|w| add(w, TermKind::Thirds));
        for (name, c) in COLORS {
            add(name, TermKind::Color(*c));
        }
        BODY_WORDS.iter().for_each(|w| add(w, TermKind::BodyWord));
        ACCENT_WORDS.iter().for_each(|w| add(w, TermKind::AccentWord));
        for (e, ws) in ELEMENTS {
            ws.iter().for_each(|w| add(w, TermKind::Element(e)));
        }
        NEUTRAL.iter().for_each(|w| add(w, TermKind::Neutral));
        // Longest first; among equals, the table order above decides (stable sort).
        v.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        v
    })
}

/// The largest weight a segment can reach by nesting brackets.
const MAX_WEIGHT: f32 = 10.0;

/// Split A1111-style emphasis into (text, weight) segments:
/// `(word:1.3)` sets a weight, `(word)` multiplies by 1.1, `[word]` by 1/1.1.
///
/// Linear in the prompt's length however deep the brackets nest: each
/// bracket is a node holding its own factor (1.1, 1/1.1, or the explicit
/// weight found when it closes); a segment records its innermost open
/// bracket, and weights are the products along the parent chain, computed
/// once at the end in creation order (a parent is always created before its
/// children).
fn weighted_segments(prompt: &str) -> Vec<(String, f32)> {
    // Node 0 is the prompt itself.
    let mut factor: Vec<f32> = vec![1.0];
    let mut parent: Vec<usize> = vec![0];
    let mut open: Vec<(char, usize)> = Vec::new(); // bracket char and its node
    let mut segments: Vec<(String, usize)> = Vec::new();
    let mut cur = String::new();
    let innermost = |open: &[(char, usize)]| open.last().map_or(0, |(_, n)| *n);
    let mut chars = prompt.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => cur.push(next),
                None => cur.push('\\'),
            },
            '(' | '[' => {
                segments.push((std::mem::take(&mut cur), innermost(&open)));
                let node = factor.len();
                factor.push(if c == '(' { 1.1 } else { 1.0 / 1.1 });
                parent.push(innermost(&open));
                open.push((c, node));
            }
            ')' | ']' if open.last().is_some_and(|(b, _)| (*b == '(') == (c == ')')) => {
                let Some((b, node)) = open.pop() else { continue };
                // `(text:1.3)`: an explicit weight replaces this bracket's 1.1.
                if b == '('
                    && let Some(colon) = cur.rfind(':')
                    && let Ok(x) = cur[colon + 1..].trim().parse::<f32>()
                    && x.is_finite()
                {
                    factor[node] = x.clamp(0.0, 3.0);
                    cur.truncate(colon);
                }
                segments.push((std::mem::take(&mut cur), node));
            }
            _ => cur.push(c),
        }
    }
    segments.push((cur, innermost(&open)));
    // Deep nesting multiplies without end (1.1^1000 overflows): weights stay finite.
    let mut weight = vec![1.0f32; factor.len()];
    for n in 1..factor.len() {
        weight[n] = (weight[parent[n]] * factor[n]).clamp(0.0, MAX_WEIGHT);
    }
    segments.into_iter().filter(|(t, _)| !t.trim().is_empty()).map(|(t, n)| (t, weight[n])).collect()
}

fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && !matches!(c, '#' | '-' | '+' | '\'')))
        .map(|w| w.trim_matches(|c: char| c == '-' || c == '\''))
        .map(|w| if w == BREAK { w.to_string() } else { w.to_lowercase() })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether a word is a hex colour code (`#FF7A1A`, `#abc`).
pub fn is_hex(word: &str) -> bool {
    word.starts_with('#') && crate::imaging::color::parse_hex(word).is_some()
}

/// What to tell a learner whose prompt had hex codes in it.
pub const HEX_HINT: &str = "hex codes mean nothing to a text encoder (CLIP and T5 read `#1B998B` as a few \
    meaningless fragments): name the colour for the ballpark, and for the exact value give an image in \
    those colours as a [reference] (weight ~0.8) or a colour-blocked [init] at moderate strength";

/// Where the next token goes, chunk by chunk (A1111's
/// `TextConditionalModel.tokenize_line`, token by token).
#[derive(Default)]
struct Layout {
    /// First position of the current chunk.
    base: u32,
    /// Tokens in the current chunk.
    used: u32,
    /// Offset in the chunk just after its last comma, and the first term after it.
    after_comma: Option<(u32, usize)>,
}

impl Layout {
    /// Place a word of `n` tokens; returns the position of its first token.
    fn place(&mut self, n: u32, terms: &mut [Term]) -> u32 {
        let mut first = None;
        for _ in 0..n {
            if self.used == CLIP_CHUNK {
                match self.after_comma {
                    // A full chunk with a comma close to its end: the words
                    // after the comma start the next chunk instead.
                    Some((at, from)) if CLIP_CHUNK - at <= COMMA_BACKTRACK => {
                        let shift = at;
                        terms[from..].iter_mut().for_each(|t| t.token += CLIP_CHUNK - shift);
                        first = first.map(|f: u32| f + CLIP_CHUNK - shift);
                        self.base += CLIP_CHUNK;
                        self.used = CLIP_CHUNK - at;
                    }
                    _ => {
                        self.base += CLIP_CHUNK;
                        self.used = 0;
                    }
                }
                self.after_comma = None;
            }
            first.get_or_insert(self.base + self.used);
            self.used += 1;
        }
        first.unwrap_or(self.base + self.used)
    }

    /// A comma is never moved back: it starts the next chunk if this one is full.
    fn comma(&mut self, terms: usize) {
        if self.used == CLIP_CHUNK {
            self.base += CLIP_CHUNK;
            self.used = 0;
        }
        self.used += 1;
        self.after_comma = Some((self.used, terms));
    }

    /// `BREAK`: pad the current chunk; the next token starts a new one.
    fn break_chunk(&mut self) {
        self.base += CLIP_CHUNK;
        self.used = 0;
        self.after_comma = None;
    }
}

/// The prompt with the text it quotes blanked out: `a sign that says
/// "OPEN"` asks for lettering, not for the word "open" (the renderer letters
/// it; an unpaired quote is left as it is).
fn without_quoted(prompt: &str) -> std::borrow::Cow<'_, str> {
    if prompt.matches('"').count() < 2 {
        return std::borrow::Cow::Borrowed(prompt);
    }
    let mut out = String::with_capacity(prompt.len());
    let mut inside = false;
    let last_pair_end = prompt.rfind('"').unwrap_or(0);
    for (i, c) in prompt.char_indices() {
        if c == '"' && (inside || i < last_pair_end) {
            inside = !inside;
            out.push(' ');
        } else {
            out.push(if inside { ' ' } else { c });
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Parse a prompt into terms, noting what was and was not understood.
pub fn parse(prompt: &str) -> Parsed {
    let prompt = &*without_quoted(prompt);
    let mut parsed = Parsed::default();
    let mut chunk = 0usize;
    let mut layout = Layout::default();
    for (text, weight) in weighted_segments(prompt) {
        let pieces: Vec<&str> = text.split(',').collect();
        for (pi, piece) in pieces.iter().enumerate() {
            if pi > 0 {
                chunk += 1;
                layout.comma(parsed.terms.len());
            }
            let words = tokenize(piece);
            let mut i = 0;
            while i < words.len() {
                if words[i] == BREAK {
                    layout.break_chunk();
                    chunk += 1;
                    i += 1;
                    continue;
                }
                // A text encoder (CLIP, T5) reads `#1B998B` as a few meaningless
                // fragments: a hex code is not understood, and says no colour.
                if is_hex(&words[i]) {
                    layout.place(clip_tokens(&words[i]) + 1, &mut parsed.terms);
                    if !parsed.unknown.contains(&words[i]) {
                        parsed.unknown.push(words[i].clone());
                    }
                    i += 1;
                    continue;
                }
                let hit = phrases().iter().find(|(p, _)| {
                    p.len() <= words.len() - i && p.iter().zip(&words[i..]).all(|(a, b)| *a == b.as_str())
                });
                match hit {
                    Some((p, kind)) => {
                        let token = layout.place(p.iter().map(|w| clip_tokens(w)).sum(), &mut parsed.terms);
                        parsed.terms.push(Term { kind: *kind, weight, chunk, token });
                        parsed.understood.push(p.join(" "));
                        i += p.len();
                    }
                    None => {
                        layout.place(clip_tokens(&words[i]), &mut parsed.terms);
                        if words[i].parse::<f64>().is_err() && !parsed.unknown.contains(&words[i]) {
                            parsed.unknown.push(words[i].clone());
                        }
                        i += 1;
                    }
                }
            }
        }
        if text.trim_end().ends_with(',') {
            chunk += 1;
        }
    }
    parsed
}

/// Words that ask for two of what a picture has one of — two scenes, two
/// lightings, two styles, two framings — each said as a person would
/// ("two scenes: `studio backdrop`, `on a beach`"). A model draws one of
/// them or a muddle of both; either way part of the intent is lost without
/// a word, as ten campaign shots that all said `{scene}` beside "studio
/// backdrop" showed.
pub fn conflicts(parsed: &Parsed) -> Vec<String> {
    let family = |k: &TermKind| match k {
        TermKind::Scene(_) => Some("scenes"),
        TermKind::Lighting(_) => Some("lightings"),
        TermKind::Style(_) => Some("styles"),
        TermKind::Framing(_) => Some("framings"),
        _ => None,
    };
    let mut out = Vec::new();
    for name in ["scenes", "lightings", "styles", "framings"] {
        let mut kinds: Vec<TermKind> = Vec::new();
        let mut words: Vec<&str> = Vec::new();
        for (t, w) in parsed.terms.iter().zip(&parsed.understood) {
            if family(&t.kind) == Some(name) && !kinds.contains(&t.kind) {
                kinds.push(t.kind);
                words.push(w);
            }
        }
        if kinds.len() > 1 {
            let listed: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
            out.push(format!(
                "{} {name}: {} — a model draws one or a muddle of both; keep one",
                kinds.len(),
                listed.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_scenes_or_two_lightings_are_conflicts() {
        let c = conflicts(&parse("a fox, studio backdrop, on a beach, golden hour, flat vector"));
        assert_eq!(c, vec!["2 scenes: `studio backdrop`, `beach` — a model draws one or a muddle of both; keep one"]);
        assert!(
            conflicts(&parse("a fox on a beach, on the beach, golden hour")).is_empty(),
            "the same scene twice is fine"
        );
        assert_eq!(conflicts(&parse("a fox, noon, night, watercolor, pixel art")).len(), 2);
    }

    use super::*;

    #[test]
    fn weights_follow_a1111() {
        let s = weighted_segments("a (fox:1.3), [forest], ((red))");
        let w = |t: &str| s.iter().find(|(x, _)| x.contains(t)).map(|(_, w)| *w).unwrap();
        assert!((w("fox") - 1.3).abs() < 1e-5);
        assert!((w("forest") - 1.0 / 1.1).abs() < 1e-5);
        assert!((w("red") - 1.21).abs() < 1e-5);
        assert!((w("a ") - 1.0).abs() < 1e-5);
    }

    #[test]
    fn explicit_weights_nest_like_a1111() {
        // A1111 multiplies the range of an explicit weight by it: nesting multiplies.
        let s = weighted_segments("((a fox:1.5) in snow:1.2), (b:0.5)");
        let w = |t: &str| s.iter().find(|(x, _)| x.contains(t)).map(|(_, w)| *w).unwrap();
        assert!((w("a fox") - 1.8).abs() < 1e-5, "{s:?}");
        assert!((w("in snow") - 1.2).abs() < 1e-5, "{s:?}");
        assert!((w("b") - 0.5).abs() < 1e-5, "{s:?}");
        assert!((weighted_segments("\\(x\\)")[0].1 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn deep_nesting_parses_in_linear_work() {
        // 100,000 nested pairs took longer than 20 s with the old quadratic parser.
        let n = 100_000;
        let prompt = format!("{}fox{}", "(".repeat(n), ")".repeat(n));
        let s = weighted_segments(&prompt);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, "fox");
        let p = format!("{}fox:1.1{}", "(".repeat(n), ")".repeat(n));
        assert!(weighted_segments(&p)[0].1.is_finite());
    }

    #[test]
    fn phrases_match_longest_first() {
        let p = parse("a fox in a night city, copy space on the left, golden hour");
        let kinds: Vec<TermKind> = p.terms.iter().map(|t| t.kind).filter(|k| *k != TermKind::Neutral).collect();
        assert!(kinds.contains(&TermKind::Subject(Subject::Fox)));
        assert!(kinds.contains(&TermKind::Scene(Scene::NightCity)));
        assert!(kinds.contains(&TermKind::CopySpace(Side::Left)));
        assert!(kinds.contains(&TermKind::Lighting(Lighting::GoldenHour)));
        assert!(!kinds.contains(&TermKind::Scene(Scene::CityStreet)));
        assert!(p.unknown.is_empty(), "{:?}", p.unknown);
    }

    #[test]
    fn unknown_words_and_hex_codes_are_reported_as_not_understood() {
        let p = parse("a flibbertigibbet fox, #FF5A36 fur");
        assert_eq!(p.unknown, vec!["flibbertigibbet".to_string(), "#ff5a36".to_string()]);
        assert!(!p.terms.iter().any(|t| matches!(t.kind, TermKind::Color(_))), "a hex code says no colour");
    }

    #[test]
    fn quoted_text_is_lettering_not_words() {
        let p = parse("a sign that says \"Flibber Open\", a fox");
        assert!(p.unknown.iter().all(|w| w != "flibber" && w != "open"), "{:?}", p.unknown);
        assert!(p.terms.iter().any(|t| t.kind == TermKind::Subject(Subject::Fox)));
        assert!(parse("an \"unpaired fox").terms.iter().any(|t| t.kind == TermKind::Subject(Subject::Fox)));
    }

    #[test]
    fn tokens_are_laid_out_in_clip_chunks_like_a1111() {
        let p = parse("a fox, orange fur");
        let tok: Vec<u32> = p.terms.iter().map(|t| t.token).collect();
        assert_eq!(tok, vec![0, 1, 3, 4], "{:?}", p.terms);
        // BREAK pads the chunk: the next word starts at 75, and is no unknown word.
        let p = parse("a fox BREAK teal scarf");
        assert_eq!(p.terms.iter().map(|t| t.token).collect::<Vec<_>>(), vec![0, 1, 75, 76]);
        assert!(p.unknown.is_empty(), "{:?}", p.unknown);
        assert_ne!(p.terms[1].chunk, p.terms[2].chunk, "BREAK also ends the phrase");
        // A word crossing token 75 moves the words since a close comma with it.
        let filler = "fox ".repeat(70);
        let p = parse(&format!("{filler}, teal scarf"));
        let teal = p.terms.iter().find(|t| matches!(t.kind, TermKind::Color(_))).unwrap();
        assert_eq!(teal.token, 71, "fits before 75");
        let filler = "fox ".repeat(73);
        let p = parse(&format!("{filler}, orange teal scarf"));
        let colours: Vec<u32> =
            p.terms.iter().filter(|t| matches!(t.kind, TermKind::Color(_))).map(|t| t.token).collect();
        assert_eq!(colours, vec![75, 76], "the phrase after the comma moved to the next chunk whole");
        // A comma that fills a chunk (found by the fuzz target): it opens the next.
        let p = parse(&format!("{}, teal", "fox ".repeat(75)));
        assert_eq!(p.terms.last().unwrap().token, 76);
    }
}
