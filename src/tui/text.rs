//! A multi-line text input inside the studio (a reviewer's comments): plain
//! state and one `key` function; the views draw it with [`TextInput::rows`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key press did to the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Editing,
    /// Enter on a blank last line, or Ctrl-S: the text, without trailing blank lines.
    Save(String),
    /// Esc: leave without saving.
    Cancel,
}

/// Lines of text and a cursor (a line and a character in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextInput {
    pub lines: Vec<String>,
    pub row: usize,
    /// In characters, not bytes.
    pub col: usize,
}

fn byte_at(line: &str, col: usize) -> usize {
    line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}

impl TextInput {
    /// Start from `text` with the cursor at its end.
    pub fn new(text: &str) -> TextInput {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        let row = lines.len() - 1;
        let col = lines[row].chars().count();
        TextInput { lines, row, col }
    }

    /// The text as it would be saved.
    pub fn text(&self) -> String {
        let mut lines = self.lines.as_slice();
        while let [rest @ .., last] = lines
            && last.trim().is_empty()
        {
            lines = rest;
        }
        lines.join("\n")
    }

    fn len(&self, row: usize) -> usize {
        self.lines[row].chars().count()
    }

    pub fn key(&mut self, k: KeyEvent) -> Edit {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => return Edit::Cancel,
            KeyCode::Char('s') if ctrl => return Edit::Save(self.text()),
            KeyCode::Enter if self.row + 1 == self.lines.len() && self.lines[self.row].trim().is_empty() => {
                return Edit::Save(self.text());
            }
            KeyCode::Enter => {
                let at = byte_at(&self.lines[self.row], self.col);
                let rest = self.lines[self.row].split_off(at);
                self.row += 1;
                self.lines.insert(self.row, rest);
                self.col = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                let at = byte_at(&self.lines[self.row], self.col);
                self.lines[self.row].insert(at, c);
                self.col += 1;
            }
            KeyCode::Tab => {
                let at = byte_at(&self.lines[self.row], self.col);
                self.lines[self.row].insert_str(at, "  ");
                self.col += 2;
            }
            KeyCode::Backspace if self.col > 0 => {
                let at = byte_at(&self.lines[self.row], self.col - 1);
                self.lines[self.row].remove(at);
                self.col -= 1;
            }
            KeyCode::Backspace if self.row > 0 => {
                let line = self.lines.remove(self.row);
                self.row -= 1;
                self.col = self.len(self.row);
                self.lines[self.row].push_str(&line);
            }
            KeyCode::Delete if self.col < self.len(self.row) => {
                let at = byte_at(&self.lines[self.row], self.col);
                self.lines[self.row].remove(at);
            }
            KeyCode::Delete if self.row + 1 < self.lines.len() => {
                let next = self.lines.remove(self.row + 1);
                self.lines[self.row].push_str(&next);
            }
            KeyCode::Left if self.col > 0 => self.col -= 1,
            KeyCode::Left if self.row > 0 => {
                self.row -= 1;
                self.col = self.len(self.row);
            }
            KeyCode::Right if self.col < self.len(self.row) => self.col += 1,
            KeyCode::Right if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = 0;
            }
            KeyCode::Up if self.row > 0 => {
                self.row -= 1;
                self.col = self.col.min(self.len(self.row));
            }
            KeyCode::Down if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = self.col.min(self.len(self.row));
            }
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.len(self.row),
            _ => {}
        }
        Edit::Editing
    }

    /// The text cut into rows of at most `width` characters (a long line
    /// continues on the next row), and where the cursor is among them.
    pub fn rows(&self, width: usize) -> (Vec<String>, (usize, usize)) {
        let width = width.max(1);
        let mut rows = Vec::new();
        let mut cursor = (0, 0);
        for (i, line) in self.lines.iter().enumerate() {
            let chars: Vec<char> = line.chars().collect();
            let first = rows.len();
            if chars.is_empty() {
                rows.push(String::new());
            }
            for chunk in chars.chunks(width) {
                rows.push(chunk.iter().collect());
            }
            if i == self.row {
                // At the very end of a full row the cursor goes to the start of the next.
                cursor = (first + self.col / width, self.col % width);
                if cursor.0 >= rows.len() {
                    rows.push(String::new());
                }
            }
        }
        (rows, cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(t: &mut TextInput, code: KeyCode) -> Edit {
        t.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(t: &mut TextInput, s: &str) {
        for c in s.chars() {
            assert_eq!(press(t, if c == '\n' { KeyCode::Enter } else { KeyCode::Char(c) }), Edit::Editing);
        }
    }

    #[test]
    fn enter_on_a_blank_last_line_saves_what_was_typed() {
        let mut t = TextInput::new("");
        typed(&mut t, "Good work.\nThe *fur* reads as orange.\n");
        assert_eq!(press(&mut t, KeyCode::Enter), Edit::Save("Good work.\nThe *fur* reads as orange.".into()));
    }

    #[test]
    fn editing_moves_the_cursor_and_joins_lines() {
        let mut t = TextInput::new("ab\ncd");
        assert_eq!((t.row, t.col), (1, 2));
        press(&mut t, KeyCode::Home);
        press(&mut t, KeyCode::Backspace);
        assert_eq!(t.lines, ["abcd"]);
        assert_eq!((t.row, t.col), (0, 2));
        typed(&mut t, "é\n");
        assert_eq!(t.lines, ["abé", "cd"]);
        press(&mut t, KeyCode::Up);
        press(&mut t, KeyCode::End);
        press(&mut t, KeyCode::Delete);
        assert_eq!(t.lines, ["abécd"]);
        // An empty line in the middle is text, not the end.
        press(&mut t, KeyCode::End);
        typed(&mut t, "\nx");
        press(&mut t, KeyCode::Left);
        typed(&mut t, "\n");
        assert_eq!(t.text(), "abécd\n\nx");
        assert_eq!(t.key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)), Edit::Save("abécd\n\nx".into()));
        assert_eq!(press(&mut t, KeyCode::Esc), Edit::Cancel);
    }

    #[test]
    fn long_lines_wrap_into_rows_with_the_cursor_on_them() {
        let t = TextInput::new("abcdefg\nhi");
        assert_eq!(t.rows(3), (vec!["abc".into(), "def".into(), "g".into(), "hi".into()], (3, 2)));
        let t = TextInput::new("abcdef");
        assert_eq!(t.rows(3), (vec!["abc".into(), "def".into(), String::new()], (2, 0)));
    }
}
