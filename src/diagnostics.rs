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

/// Parse TOML text into `T`, turning a syntax or schema error into a located diagnostic.
pub fn parse_toml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, Diagnostic> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_string();
        Diagnostic::at(file, text, e.span(), message)
    })
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
    fn parse_error_is_located() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            a: i32,
        }
        let d = parse_toml::<S>("x.toml", "a = 1\nb = 2\n").unwrap_err();
        assert_eq!((d.line, d.column), (2, 1), "{d}");
        assert!(d.message.contains("unknown field"), "{d}");
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
