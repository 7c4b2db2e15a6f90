//! Markdown and CSV renderings of a report.

use std::fmt::Write as _;

use super::{Report, Status};
use crate::time::Timestamp;

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn or_dash(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

/// The UTC day of a time, or `-`.
fn day(t: Option<&Timestamp>) -> String {
    t.map_or("-".to_string(), |t| t.day().to_string())
}

/// Text from learners and bundles as inert Markdown: HTML is escaped (a
/// Markdown viewer renders raw `<script>`), so are the characters that make
/// emphasis, code, links and table cells, and line breaks become spaces.
fn cell_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} — progress report\n", cell_md(&r.title));
    let _ = writeln!(
        out,
        "Made {}{}.\n",
        r.date,
        r.exercise_filter.as_ref().map(|e| format!(", exercise {e}")).unwrap_or_default()
    );
    if let Some(f) = &r.most_failed {
        let _ = writeln!(
            out,
            "**Where the group is stuck:** `{}` in {} (failed in {} attempts).\n",
            f.check, f.exercise, f.failures
        );
    }
    let _ = writeln!(out, "## Learners\n");
    let _ = writeln!(out, "| Learner | Name | Milestones | Passed | Attempts | Last activity | Late | Missing |");
    let _ = writeln!(out, "|---|---|---|---|---:|---|---|---|");
    for l in &r.learners {
        let milestones: Vec<String> =
            l.milestones.iter().map(|m| format!("{} ({})", cell_md(&m.stage), day(Some(&m.reached_at)))).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            l.id,
            cell_md(&l.name),
            if milestones.is_empty() { "-".into() } else { milestones.join(", ") },
            if l.passed.is_empty() { "-".into() } else { l.passed.join(", ") },
            l.attempts,
            day(l.last_activity.as_ref()),
            if l.late.is_empty() { "-".into() } else { l.late.join(", ") },
            if l.missing.is_empty() { "-".into() } else { l.missing.join(", ") },
        );
    }
    let _ = writeln!(out, "\n## Exercises\n");
    let _ = writeln!(out, "| Exercise | Pass rate | Passed | Median attempts to pass | Late | Checks failing most |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
    for e in &r.exercises {
        let failing: Vec<String> = e.failing_checks.iter().map(|f| format!("`{}` ×{}", f.check, f.failures)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {}/{} | {} | {} | {} |",
            e.id,
            percent(e.pass_rate),
            e.passed,
            e.learners,
            e.median_attempts_to_pass.map(|m| format!("{m:.1}")).unwrap_or_else(|| "-".into()),
            e.late,
            if failing.is_empty() { "-".into() } else { failing.join(", ") }
        );
    }
    let _ = writeln!(out, "\n## Detail\n");
    let _ = writeln!(out, "| Learner | Exercise | Status | Late | Due | Attempts | Best score | Reproduced |");
    let _ = writeln!(out, "|---|---|---|---|---|---:|---:|---|");
    for l in &r.learners {
        for x in &l.exercises {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                l.id,
                x.exercise,
                x.status.as_str(),
                if x.late { "late" } else { "-" },
                or_dash(x.due.map(|d| d.to_string()).as_deref()),
                x.attempts,
                x.best_score.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                match x.reproduced {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                }
            );
        }
    }
    out
}

/// Text from learners for a spreadsheet: a cell that starts like a formula
/// (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`, so opening the file in
/// a spreadsheet never runs it (OWASP's CSV injection advice).
fn cell_csv(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

/// One row per learner and exercise (a gradebook), with the exercise's pass
/// rate and most-failed check repeated on each row so a spreadsheet filter
/// shows them. Quoting is the `csv` crate's.
pub fn csv(r: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(64 + r.learners.len() * r.exercises.len() * 120));
    let mut row = |fields: [String; 14]| {
        let _ = w.write_record(&fields);
    };
    row([
        "learner",
        "name",
        "exercise",
        "status",
        "late",
        "due",
        "attempts",
        "best_score",
        "attempts_to_pass",
        "reproduced",
        "last_activity",
        "milestones",
        "exercise_pass_rate",
        "exercise_most_failed_check",
    ]
    .map(String::from));
    let by_id: std::collections::HashMap<&str, &super::ExerciseReport> =
        r.exercises.iter().map(|e| (e.id.as_str(), e)).collect();
    for l in &r.learners {
        let milestones: Vec<String> =
            l.milestones.iter().map(|m| format!("{}@{}", m.stage, day(Some(&m.reached_at)))).collect();
        let milestones = cell_csv(&milestones.join(" "));
        let name = cell_csv(&l.name);
        let last = l.last_activity.map(|t| t.day().to_string()).unwrap_or_default();
        for x in &l.exercises {
            let e = by_id.get(x.exercise.as_str());
            row([
                l.id.clone(),
                name.clone(),
                x.exercise.to_string(),
                x.status.as_str().to_string(),
                x.late.to_string(),
                x.due.map(|d| d.to_string()).unwrap_or_default(),
                x.attempts.to_string(),
                x.best_score.map(|s| s.to_string()).unwrap_or_default(),
                x.attempts_to_pass.map(|s| s.to_string()).unwrap_or_default(),
                x.reproduced.map(|b| b.to_string()).unwrap_or_default(),
                last.clone(),
                milestones.clone(),
                e.map(|e| format!("{:.3}", e.pass_rate)).unwrap_or_default(),
                e.and_then(|e| e.failing_checks.first()).map(|f| f.check.clone()).unwrap_or_default(),
            ]);
        }
        if l.exercises.is_empty() {
            row([
                l.id.clone(),
                name.clone(),
                String::new(),
                Status::None.as_str().to_string(),
                "false".into(),
                String::new(),
                "0".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                milestones.clone(),
                String::new(),
                String::new(),
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::cell_md;

    #[test]
    fn learner_text_is_inert_in_a_spreadsheet() {
        assert_eq!(super::cell_csv("=HYPERLINK(\"http://e\")"), "'=HYPERLINK(\"http://e\")");
        assert_eq!(super::cell_csv("-1+1"), "'-1+1");
        assert_eq!(super::cell_csv("Ada"), "Ada");
    }

    #[test]
    fn learner_text_is_inert_markdown() {
        assert_eq!(cell_md("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(cell_md("**bold** [x](http://e) `c` a|b"), "\\*\\*bold\\*\\* \\[x\\](http://e) \\`c\\` a\\|b");
        assert_eq!(cell_md("two\nlines\u{7}"), "two lines");
        assert_eq!(cell_md("Ada Lovelace-Byron"), "Ada Lovelace-Byron");
    }
}
