//! Problems found in user-written files (curriculum, recipes, config), each
//! located by file, line and column so the author can jump straight to it.
//!
//! Loading collects every problem it can find before giving up, so one run of
//! `genpath path` shows an instructor all their mistakes rather than the first.

use std::fmt;
use std::ops::Range;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user knows it (a path, or `builtin:` + path for embedded files).
    pub file: String,
    /// 1-based line; 0 when the problem is about the whole file.
    pub line: usize,
    /// 1-based column (in characters); 0 when the problem is about the whole file.
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    /// A problem that concerns a whole file (e.g. it is missing).
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line: 0, column: 0, message: message.into() }
    }

    /// A problem at a byte span of `text`.
    pub fn at(file: impl Into<String>, text: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let (line, column) = span.map(|s| locate(text, s.start)).unwrap_or((0, 0));
        Self { file: file.into(), line, column, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for Diagnostic {}

/// Every problem found while loading something; an error when non-empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// `Ok(())` when nothing was found, else `Err(self)`.
    pub fn into_result(mut self) -> Result<(), Diagnostics> {
        if self.0.is_empty() {
            Ok(())
        } else {
            self.0.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            self.0.dedup();
            Err(self)
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} problem{} found:", if n == 1 { "" } else { "s" })?;
        for d in &self.0 {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// 1-based (line, column) of a byte offset; columns count characters, not bytes.
pub fn locate(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Unknown keys reported at once before giving up on a file.
const MAX_UNKNOWN_KEYS: usize = 20;

/// Parse TOML text into `T`, turning a syntax or schema error into a
/// located diagnostic. Every misspelt key is reported at once, each with
/// the closest known key ("did you mean `steps`?"): a key `T` does not
/// know is noted, its line blanked (byte offsets kept, so later spans stay
/// true), and the text parsed again.
pub fn parse_toml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut work = std::borrow::Cow::Borrowed(text);
    loop {
        let e = match toml::from_str::<T>(&work) {
            Ok(v) if diags.is_empty() => return Ok(v),
            Ok(_) => return Err(in_file_order(diags)),
            Err(e) => e,
        };
        let message = e.message().trim();
        // A required key written with a typo is already said: "did you mean `steps`?".
        if let Some(missing) = message.strip_prefix("missing field `").and_then(|m| m.split('`').next())
            && diags.0.iter().any(|d| d.message.ends_with(&format!("did you mean `{missing}`?")))
        {
            return Err(in_file_order(diags));
        }
        let unknown = unknown_key(message);
        diags.push(Diagnostic::at(file, text, e.span(), unknown.as_deref().unwrap_or(message)));
        // Go on only past a plain one-line `key = value` (a table header or a
        // multi-line value cannot be blanked without changing what follows).
        let line = e.span().filter(|_| unknown.is_some() && diags.len() < MAX_UNKNOWN_KEYS).and_then(|span| {
            let start = work[..span.start].rfind('\n').map_or(0, |i| i + 1);
            let end = work[span.start..].find('\n').map_or(work.len(), |i| span.start + i);
            let body = work[start..end].trim_start();
            let value = body.split_once('=').map(|(_, v)| v.trim_start());
            let one_line = value
                .is_some_and(|v| !v.starts_with(['[', '{']) && !v.starts_with("\"\"\"") && !v.starts_with("\'\'\'"));
            (!body.starts_with('[') && one_line).then_some(start..end)
        });
        let Some(line) = line else { return Err(in_file_order(diags)) };
        let mut blanked = work.into_owned();
        blanked.replace_range(line.clone(), &" ".repeat(line.len()));
        work = std::borrow::Cow::Owned(blanked);
    }
}

/// Problems in the order they are written (serde meets keys in its own order).
fn in_file_order(mut d: Diagnostics) -> Diagnostics {
    d.0.sort_by_key(|d| (d.line, d.column));
    d
}

/// serde's "unknown field `x`, expected one of `a`, `b`" as a person would
/// say it: the closest known key, else the keys there are.
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let text = match crate::names::closest(key, known.iter().copied()) {
        Some(k) => format!("unknown key `{key}`: did you mean `{k}`?"),
        None if known.is_empty() => format!("unknown key `{key}`"),
        None => format!("unknown key `{key}` (the keys here: {})", known.join(", ")),
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(locate(text, 0), (1, 1));
        assert_eq!(locate(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(locate(text, 9), (2, 3));
    }

    #[test]
    fn every_misspelt_key_is_reported_with_the_closest_one() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            steps: i32,
            cfg: f32,
            #[serde(default)]
            list: Vec<i32>,
        }
        let d = parse_toml::<S>("r.toml", "stesp = 20\ncgf = 7\nlist = [1,\n 2]\nzzzzzz = 1\n").unwrap_err();
        let shown: Vec<String> = d.0.iter().map(|d| d.to_string()).collect();
        assert_eq!(shown[0], "r.toml:1:1: unknown key `stesp`: did you mean `steps`?");
        assert_eq!(shown[1], "r.toml:2:1: unknown key `cgf`: did you mean `cfg`?");
        assert!(
            shown[2].starts_with("r.toml:5:1: unknown key `zzzzzz` (the keys here: steps, cfg, list)"),
            "{shown:?}"
        );
        // A good file still parses; a syntax error is one located problem.
        assert!(parse_toml::<S>("r.toml", "steps = 1\ncfg = 2\n").is_ok());
        assert_eq!(parse_toml::<S>("r.toml", "steps = \n").unwrap_err().0.len(), 1);
    }

    #[test]
    fn parse_error_is_located() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            a: i32,
        }
        let d = parse_toml::<S>("x.toml", "a = 1\nb = 2\n").unwrap_err();
        assert_eq!((d.0[0].line, d.0[0].column), (2, 1), "{d}");
        assert!(d.0[0].message.contains("unknown key `b`"), "{d}");
    }
}

/// One step of a path into a TOML document: a table key or an array index.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The byte span of the value at `path` in a TOML document, for pointing a
/// semantic error (found after deserialising) at the place it was written.
/// Parses the document: to place many problems, build [`Spans`] once.
pub fn span_of(text: &str, path: &[Seg<'_>]) -> Option<Range<usize>> {
    Spans::new(text).span(path)
}

/// A TOML document parsed once for placing many problems in it: looking up a
/// path and turning an offset into line and column cost no re-reading, so a
/// file with thousands of problems is placed in linear time.
pub struct Spans<'a> {
    root: Option<toml::Spanned<toml::de::DeValue<'a>>>,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    text: &'a str,
}

impl<'a> Spans<'a> {
    pub fn new(text: &'a str) -> Spans<'a> {
        let root = toml::de::DeTable::parse(text)
            .ok()
            .map(|t| toml::Spanned::new(t.span(), toml::de::DeValue::Table(t.into_inner())));
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Spans { root, line_starts, text }
    }

    /// The span of the value at `path`.
    pub fn span(&self, path: &[Seg<'_>]) -> Option<Range<usize>> {
        let mut cur = self.root.as_ref()?;
        for seg in path {
            cur = match *seg {
                Seg::Key(k) => cur.get_ref().get(k)?,
                Seg::Index(i) => cur.get_ref().get(i)?,
            };
        }
        Some(cur.span())
    }

    /// A problem at the value at `path` (or the whole file when it is not found).
    pub fn at(&self, file: &str, path: &[Seg<'_>], message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.span(path).map(|s| self.locate(s.start)).unwrap_or((0, 0));
        Diagnostic { file: file.to_string(), line, column, message: message.into() }
    }

    /// 1-based (line, column) of a byte offset, as [`locate`], by binary search.
    fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }
}

#[cfg(test)]
mod span_tests {
    use super::*;

    #[test]
    fn span_of_finds_nested_values() {
        let text = "a = 1\n[[c]]\nk = 2\n[[c]]\nk = 3\n";
        let s = span_of(text, &[Seg::Key("c"), Seg::Index(1), Seg::Key("k")]).unwrap();
        assert_eq!(&text[s.clone()], "3");
        assert_eq!(locate(text, s.start), (5, 5));
        assert!(span_of(text, &[Seg::Key("zz")]).is_none());
        let spans = Spans::new(text);
        for offset in 0..text.len() {
            assert_eq!(spans.locate(offset), locate(text, offset), "at {offset}");
        }
        let d = spans.at("f.toml", &[Seg::Key("c"), Seg::Index(1), Seg::Key("k")], "m");
        assert_eq!((d.line, d.column), (5, 5));
    }
}
