//! The review mode's draws: a function of [`ReviewApp`] (plus the image
//! protocol cache), in the studio's frame, theme and helpers ([`super::view`]).

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::images::Images;
use super::keymap;
use super::review::{Files, ReviewApp, ReviewView, Show, Target};
use super::view::{
    Theme, chrome, decided_by, help_lines, image_screen, reflow, status_and_keys, verdict_span, wrapped,
};
use crate::store::{SubmissionDetail, SubmittedCheckRow};

pub fn draw(f: &mut Frame<'_>, app: &ReviewApp, images: &mut Images) {
    let t = Theme { color: app.color };
    let mut scope = Vec::new();
    if let Some(c) = &app.options.cohort {
        scope.push(format!("cohort {c}"));
    }
    if let Some(l) = app.options.learner.as_ref().filter(|_| app.options.cohort.is_none()) {
        scope.push(format!("learner {l}"));
    }
    if let Some(e) = &app.options.exercise {
        scope.push(e.clone());
    }
    let scope = if scope.is_empty() { "everyone".to_string() } else { scope.join(", ") };
    let title = format!(" genpath review ─ {} ─ {scope} ─ {}: {} ", app.reviewer, app.show.label(), app.items.len());
    let rows = chrome(f, title, &t);
    match app.view {
        ReviewView::List => main(f, app, images, rows[0], &t),
        ReviewView::Image => full_image(f, app, images, rows[0], &t),
        ReviewView::Help => {
            let lines = help_lines(
                keymap::REVIEW,
                &[("Ctrl-C", "quit"), ("", "in a comment: Enter on a blank line or Ctrl-S saves, Esc cancels")],
                "Every grade and comment is saved at once, beside the automatic verdict (which never changes); \
                 the grade of record is what reports and feedback show.",
                &t,
            );
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.scroll, 0)), rows[0]);
        }
    }
    footer(f, app, rows[1], &t);
    if app.editor.is_some() {
        editor(f, app, rows[0], &t);
    }
}

fn footer(f: &mut Frame<'_>, app: &ReviewApp, area: Rect, t: &Theme) {
    let status = match (&app.status, app.current_check()) {
        (Some(s), _) => Line::from(s.clone()),
        (None, Some(c)) => Line::from(Span::styled(format!("grading check {} ─ Tab: next", c.check), t.accent())),
        (None, None) if app.current().is_some() => Line::from(Span::styled("grading the submission", t.dim())),
        (None, None) => Line::from(""),
    };
    let keys = match app.view {
        _ if app.editor.is_some() => "Enter on a blank line or Ctrl-S saves  Esc cancels".to_string(),
        ReviewView::List if area.width >= 110 => "↑/↓ submission  v show  Tab check  p pass  f fail  u clear  \
                                                   +/- score  c comment  ←/→ image  Enter view  q quit"
            .to_string(),
        ReviewView::List => "↑/↓ move  v show  Tab check  p/f/u grade  +/- score  c comment  q quit".to_string(),
        ReviewView::Image => "←/→ step  q back".to_string(),
        ReviewView::Help => "↑/↓ scroll  q back".to_string(),
    };
    status_and_keys(f, status, keys, area, t);
}

/// `s` in exactly `w` columns: cut with … or padded.
fn fit(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        format!("{s}{}", " ".repeat(w - n))
    } else if w == 0 {
        String::new()
    } else {
        format!("{}…", s.chars().take(w - 1).collect::<String>())
    }
}

fn main(f: &mut Frame<'_>, app: &ReviewApp, images: &mut Images, area: Rect, t: &Theme) {
    if app.items.is_empty() {
        let which = match app.show {
            Show::All => String::new(),
            other => format!(" that {}", if other == Show::NeedsReview { "needs review" } else { other.label() }),
        };
        let lines = vec![
            Line::from(format!("No collected submission{which}.")),
            Line::from(""),
            Line::from(Span::styled(
                "v changes what is shown; `genpath collect <folder>` brings in the bundles learners send.",
                t.dim(),
            )),
        ];
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    }
    let want = app.items.len() as u16 + 2;
    let list_h = want.min((area.height / 3).max(5));
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(list_h), Constraint::Min(3)])
        .split(area);
    list(f, app, rows[0], t);
    if let Some(s) = app.current() {
        detail(f, app, s, images, rows[1], t);
    }
}

/// What one row of the list says: whether a person looked (✎) or should (?).
fn flag(s: &SubmissionDetail) -> &'static str {
    if s.reviewed() {
        "✎"
    } else if s.needs_review {
        "?"
    } else {
        " "
    }
}

fn short_verdict(passed: bool, score: u32) -> String {
    format!("{} {score:>3}", if passed { "✓" } else { "✗" })
}

fn list(f: &mut Frame<'_>, app: &ReviewApp, area: Rect, t: &Theme) {
    let block = Block::default().borders(Borders::BOTTOM);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    // flag, learner, exercise (the rest), submitted, late, checks, record.
    let fixed = 2 + 15 + 1 + 11 + 5 + 7 + 8;
    // An exercise id is at most about 30 characters: more room only spreads the row.
    let ex_w = width.saturating_sub(fixed).clamp(12, 34);
    let head = format!(
        "  {}{}{}{}{}{}",
        fit("learner", 15),
        fit("exercise", ex_w + 1),
        fit("submitted", 11),
        fit("", 5),
        fit("checks", 7),
        "record"
    );
    let mut lines = vec![Line::from(Span::styled(head, t.dim()))];
    let visible = (inner.height as usize).saturating_sub(1).max(1);
    let offset = app.selected.saturating_sub(visible - 1);
    for (i, s) in app.items.iter().enumerate().skip(offset).take(visible) {
        let r = s.record();
        let date = s.submitted_at.local().split(' ').next().unwrap_or("").to_string();
        let text = format!(
            "{} {}{} {}{}{}{}",
            flag(s),
            fit(&s.learner_name, 15),
            fit(&s.exercise, ex_w),
            fit(&date, 11),
            fit(if s.late { "late" } else { "" }, 5),
            fit(&short_verdict(s.automatic_passed, s.automatic_score), 7),
            short_verdict(r.passed, r.score),
        );
        let style = if i == app.selected {
            t.selected()
        } else if !s.reviewed() && s.needs_review {
            t.review()
        } else if r.passed {
            t.ok()
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(fit(&text, width), style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn detail(f: &mut Frame<'_>, app: &ReviewApp, s: &SubmissionDetail, images: &mut Images, area: Rect, t: &Theme) {
    let files = app.files.get(&s.id);
    let shown = files.map_or(0, Files::image_count);
    // Wide: the images beside the text; tall: under it; else only named (Enter shows them).
    let (text_area, image_area) = if shown > 0 && area.width >= 100 && area.height >= 8 {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Min(40), Constraint::Length(area.width * 2 / 5)])
            .split(area);
        (cols[0], Some(Rect { x: cols[1].x + 1, width: cols[1].width.saturating_sub(1), ..cols[1] }))
    } else if shown > 0 && area.height >= 20 {
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(8), Constraint::Length(area.height / 3)])
            .split(area);
        (rows[0], Some(rows[1]))
    } else {
        (area, None)
    };
    let text = detail_text(app, s, files, text_area.width as usize, t);
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).scroll((app.scroll, 0)), text_area);
    if let (Some(area), Some(files)) = (image_area, files) {
        strip(f, app, files, images, area, t);
    }
}

/// The submission's images side by side — outputs, then the inputs from its
/// answer folder — as many as fit around the one ←/→ chose.
fn strip(f: &mut Frame<'_>, app: &ReviewApp, files: &Files, images: &mut Images, area: Rect, t: &Theme) {
    let all: Vec<_> = files.images().collect();
    let fits = usize::from(area.width / 20).clamp(1, 3).min(all.len());
    let chosen = app.gallery.min(all.len() - 1);
    let first = chosen.saturating_sub(fits - 1).min(all.len() - fits);
    let cells = Layout::default()
        .direction(Direction::Horizontal)
        .constraints(vec![Constraint::Ratio(1, fits as u32); fits])
        .split(area);
    for (k, cell) in cells.iter().enumerate() {
        let (label, path) = &all[first + k];
        let style = if first + k == chosen { t.selected() } else { t.dim() };
        let parts = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(1), Constraint::Min(1)])
            .split(Rect { width: cell.width.saturating_sub(1), ..*cell });
        f.render_widget(Paragraph::new(Span::styled(fit(label, parts[0].width as usize), style)), parts[0]);
        images.render(f, path, parts[1]);
    }
}

fn measured(c: &SubmittedCheckRow) -> String {
    use crate::present::number;
    match (c.value, c.threshold) {
        (Some(v), Some(th)) => format!("{} / {}", number(v), number(th)),
        (Some(v), None) => number(v),
        _ => "-".into(),
    }
}

fn grade_word(g: Option<crate::store::Grade>) -> String {
    g.map_or("no grade of its own".to_string(), |g| format!("graded {g}"))
}

fn section<'a>(text: &mut Text<'a>, title: String, t: &Theme) {
    text.push_line(Line::from(""));
    text.push_line(Line::from(Span::styled(title, t.accent())));
}

fn detail_text(app: &ReviewApp, s: &SubmissionDetail, files: Option<&Files>, width: usize, t: &Theme) -> Text<'static> {
    let push = |text: &mut Text<'static>, lines: Vec<Line<'static>>| lines.into_iter().for_each(|l| text.push_line(l));
    let exercise = app.curriculum.exercise(&s.exercise);
    let mut text = Text::default();
    let title = exercise.map(|e| format!(" ─ {}", e.title)).unwrap_or_default();
    text.push_line(Line::from(Span::styled(
        format!("{} ({}) ─ {}{title}", s.learner_name, s.learner, s.exercise),
        t.accent(),
    )));
    let attempt = s.attempt_number.map(|a| format!(" · attempt {a}")).unwrap_or_default();
    text.push_line(Line::from(Span::styled(
        format!(
            "submitted {}{}{attempt} · backend {} · learner's own run {}",
            s.submitted_at.local(),
            if s.late { " (late)" } else { "" },
            s.backend,
            if s.claimed_passed { "passed" } else { "failed" }
        ),
        t.dim(),
    )));
    let r = s.record();
    let adjust = s.review.as_ref().map_or(0, |r| r.score_adjust);
    let mut verdict = vec![
        Span::raw("Checks: "),
        verdict_span(s.automatic_passed, s.automatic_score, t),
        Span::raw(" ─ of record: "),
        verdict_span(r.passed, r.score, t),
        Span::raw(format!(" {}", decided_by(r.by))),
    ];
    if adjust != 0 {
        verdict.push(Span::raw(format!(" (score {adjust:+})")));
    }
    text.push_line(Line::from(verdict));
    match &s.review {
        Some(rv) => {
            let adjust = if rv.score_adjust == 0 { String::new() } else { format!(", score {:+}", rv.score_adjust) };
            text.push_line(Line::from(format!(
                "✎ {}, {}: {}{adjust}",
                rv.reviewer,
                rv.reviewed_at.local(),
                grade_word(rv.grade),
            )));
            if rv.comment.is_empty() {
                text.push_line(Line::from(Span::styled("  no comment: c writes one", t.dim())));
            }
            push(&mut text, wrapped(&rv.comment, 2, width, Style::default()));
        }
        None if s.needs_review && !s.reviewed() => text.push_line(Line::from(Span::styled(
            "? awaiting review: a check landed close to its line, or the answer is a write-up",
            t.review(),
        ))),
        None => text.push_line(Line::from(Span::styled("not reviewed: p pass · f fail · c comment", t.dim()))),
    }
    section(&mut text, "Checks".into(), t);
    for (i, c) in s.checks.iter().enumerate() {
        let mark = if c.needs_review {
            Span::styled("? ", t.review())
        } else if c.passed {
            Span::styled("✓ ", t.ok())
        } else {
            Span::styled("✗ ", t.bad())
        };
        let focused = app.check == Some(i);
        let row = format!("{:<22} {:>13}", c.check, measured(c));
        text.push_line(Line::from(vec![
            Span::raw(if focused { "▶ " } else { "  " }),
            mark,
            if focused { Span::styled(row, t.selected()) } else { Span::raw(row) },
        ]));
        push(&mut text, wrapped(&c.message, 6, width, t.dim()));
        if let Some(cr) = &c.review {
            text.push_line(Line::from(Span::styled(
                format!("      ✎ {}: {}", cr.reviewer, grade_word(cr.grade)),
                t.review(),
            )));
            push(&mut text, wrapped(&cr.comment, 8, width, Style::default()));
        }
    }
    if s.checks.is_empty() {
        text.push_line(Line::from(Span::styled("  no check results were recorded", t.dim())));
    }
    let reproduced = match s.reproduced {
        Some(true) => Span::styled("✓ reproduced on this machine", t.ok()),
        Some(false) => Span::styled("✗ NOT reproduced on this machine", t.bad()),
        None => Span::styled("not tried (`genpath collect --reproduce` re-runs it)", t.dim()),
    };
    text.push_line(Line::from(""));
    text.push_line(Line::from(vec![Span::styled("Reproduction: ", t.accent()), reproduced]));
    if let Some(note) = &s.reproduce_note {
        push(&mut text, wrapped(note, 2, width, t.dim()));
    }
    if let Some(files) = files {
        let names: Vec<String> =
            files.inputs.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into()).collect();
        let inputs = if names.is_empty() { String::new() } else { format!(", inputs {}", names.join(", ")) };
        text.push_line(Line::from(vec![
            Span::styled("Images: ", t.accent()),
            Span::raw(format!(
                "{} output{}{inputs}",
                files.outputs.len(),
                if files.outputs.len() == 1 { "" } else { "s" }
            )),
            Span::styled(" ─ ←/→ choose, Enter full screen", t.dim()),
        ]));
        if let Some(p) = &files.problem {
            text.push_line(Line::from(Span::styled(p.clone(), t.bad())));
        }
    }
    if let Some(e) = exercise {
        section(&mut text, "Brief".into(), t);
        for (i, para) in reflow(&e.brief).into_iter().enumerate() {
            if i > 0 {
                text.push_line(Line::from(""));
            }
            text.push_line(Line::from(para));
        }
    }
    if let Some(files) = files {
        section(&mut text, format!("Answer ({})", files.answer), t);
        match &files.answer_text {
            Some(a) => a.lines().for_each(|l| text.push_line(Line::from(format!("  {l}")))),
            None => text.push_line(Line::from(Span::styled("  cannot be read", t.bad()))),
        }
        section(&mut text, "History on this exercise (as the learner's bundles carried it)".into(), t);
        for h in &files.history {
            let score = h.score.map(|s| format!("{s:>3}")).unwrap_or_else(|| "  -".into());
            let failed = if h.failed_checks.is_empty() {
                String::new()
            } else {
                format!("  ✗ {}", h.failed_checks.join(", "))
            };
            text.push_line(Line::from(format!(
                "  #{:<4} {} {:<11} {score}{failed}",
                crate::present::attempt_number(h.number),
                h.started_at.local(),
                h.status
            )));
        }
        if files.history.is_empty() {
            text.push_line(Line::from(Span::styled("  none carried", t.dim())));
        }
    }
    text
}

fn full_image(f: &mut Frame<'_>, app: &ReviewApp, images: &mut Images, area: Rect, t: &Theme) {
    let Some(files) = app.current_files() else { return };
    let all: Vec<_> = files.images().collect();
    let Some((label, path)) = all.get(app.gallery.min(all.len().saturating_sub(1))) else { return };
    let shown = path.strip_prefix(&app.workspace).unwrap_or(path);
    // What and how to move first: the path is long and may be cut.
    let caption = format!(
        "{label} (image {}/{}) ─ ←/→ step ─ q back ─ {}",
        app.gallery.min(all.len() - 1) + 1,
        all.len(),
        shown.display()
    );
    image_screen(f, images, path, caption, area, t);
}

/// The comment editor, over the middle of the screen.
fn editor(f: &mut Frame<'_>, app: &ReviewApp, area: Rect, t: &Theme) {
    let Some(ed) = &app.editor else { return };
    let w = area.width.saturating_sub(4).min(76);
    let h = area.height.saturating_sub(2).min(14);
    let popup = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    let who = app.items.iter().find(|s| s.id == ed.id).map(|s| format!("{} / {}", s.learner, s.exercise));
    let on = match &ed.target {
        Target::Submission => "the submission".to_string(),
        Target::Check(c) => format!("check {c}"),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" Comment on {on} ─ {} ", who.unwrap_or_default()), t.accent()))
        .title_bottom(Line::from(" Markdown ─ Enter on a blank line or Ctrl-S saves ─ Esc cancels ").right_aligned());
    let inner = block.inner(popup);
    f.render_widget(Clear, popup);
    f.render_widget(block, popup);
    let (rows, (row, col)) = ed.input.rows(inner.width.saturating_sub(1).max(1) as usize);
    let height = inner.height.max(1) as usize;
    let offset = row.saturating_sub(height - 1);
    let lines: Vec<Line<'_>> = rows.into_iter().skip(offset).take(height).map(Line::from).collect();
    f.render_widget(Paragraph::new(lines), inner);
    f.set_cursor_position(Position { x: inner.x + col as u16, y: inner.y + (row - offset) as u16 });
}
