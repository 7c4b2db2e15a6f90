//! How numbers are shown to people, the same in the CLI and the studio
//! (times: `Timestamp::local`).

/// A measured value for people: whole numbers plain, small ones to two places.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A duration as people read it: `40 s`, `12 min`, `3 h 05 min`.
pub fn minutes(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// Text reflowed into lines of at most `width` characters (a word longer
/// than that gets a line of its own): for summaries printed in a terminal.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// An attempt's number on its exercise as a reader sees it; `?` for work
/// recorded before attempts were numbered.
pub fn attempt_number(number: Option<u32>) -> String {
    number.map_or_else(|| "?".to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_every_word_within_the_width() {
        let text =
            "Generation inside a workflow a team can run: pipelines, budgets, tool\njudgment, reproducible hand-offs.";
        let lines = wrap(text, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), text.split_whitespace().collect::<Vec<_>>().join(" "));
        assert_eq!(wrap("a-very-long-word short", 5), vec!["a-very-long-word", "short"]);
        assert!(wrap("  ", 10).is_empty());
        assert_eq!(
            (minutes(40.4), minutes(725.0), minutes(11_100.0)),
            ("40 s".into(), "12 min".into(), "3 h 05 min".into())
        );
    }
}
