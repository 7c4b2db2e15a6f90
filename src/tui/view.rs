//! Drawing: one function per view, each a function of the state (plus the
//! image protocol cache, which ratatui-image keeps mutable). Nothing here
//! changes what the app knows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::{App, View};
use super::images::Images;
use super::keymap;
use crate::progress::ExerciseStatus;
use crate::recipe::diff;

/// Colours, or none at all when NO_COLOR is set (shared by every mode's draws).
pub(super) struct Theme {
    pub(super) color: bool,
}

impl Theme {
    pub(super) fn fg(&self, c: Color) -> Style {
        if self.color { Style::default().fg(c) } else { Style::default() }
    }
    pub(super) fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub(super) fn bad(&self) -> Style {
        self.fg(Color::Red)
    }
    /// Work a person should look at.
    pub(super) fn review(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub(super) fn dim(&self) -> Style {
        if self.color { Style::default().fg(Color::DarkGray) } else { Style::default().add_modifier(Modifier::DIM) }
    }
    pub(super) fn accent(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub(super) fn selected(&self) -> Style {
        if self.color {
            Style::default().bg(Color::Blue).fg(Color::White)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }
}

/// The frame every mode draws in: a border with `title`, and inside it the
/// content area and the two footer rows (status, keys).
pub(super) fn chrome(f: &mut Frame<'_>, title: String, t: &Theme) -> std::rc::Rc<[Rect]> {
    let area = f.area();
    let outer = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, t.accent()))
        .title_bottom(Line::from(" ? help ").right_aligned());
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(2)])
        .split(inner)
}

/// The footer: a status line above the keys of the view.
pub(super) fn status_and_keys(f: &mut Frame<'_>, status: Line<'_>, keys: String, area: Rect, t: &Theme) {
    f.render_widget(Paragraph::new(vec![status, Line::from(Span::styled(keys, t.dim()))]), area);
}

pub fn draw(f: &mut Frame<'_>, app: &App, images: &mut Images) {
    let t = Theme { color: app.color };
    let title = format!(
        " genpath ─ {} ─ backend: {} ─ watch {} ",
        app.learner,
        app.backend,
        if app.watch { "on" } else { "off" }
    );
    let rows = chrome(f, title, &t);
    match app.view {
        View::Path => main(f, app, images, rows[0], &t),
        View::Image => full_image(f, app, images, rows[0], &t),
        View::History => history(f, app, images, rows[0], &t),
        View::Inputs => inputs(f, app, images, rows[0], &t),
        View::GridAxes => grid_axes(f, app, rows[0], &t),
        View::Grid => grid(f, app, images, rows[0], &t),
        View::Progress => progress(f, app, rows[0], &t),
        View::Help => help(f, app, rows[0], &t),
        View::Error => error(f, app, rows[0], &t),
    }
    footer(f, app, rows[1], &t);
}

fn footer(f: &mut Frame<'_>, app: &App, area: Rect, t: &Theme) {
    let status = match (&app.run, &app.status) {
        (Some(r), _) => {
            let secs = r.started.elapsed().as_secs_f64();
            let what = if r.cancelling {
                "cancelling".to_string()
            } else if r.checking {
                "checking".to_string()
            } else if let Some(ahead) = r.queued {
                format!("image {}/{} queued on the server, {ahead} ahead", r.image + 1, r.total)
            } else if r.steps > 0 {
                format!("image {}/{} step {}/{}", r.image + 1, r.total, r.step, r.steps)
            } else {
                format!("image {}/{}", r.image + 1, r.total)
            };
            let cost = if r.cost > 0.0 { format!(" ─ cost {:.3}", r.cost) } else { String::new() };
            Line::from(Span::styled(
                format!("▶ running {} ─ {what} ─ {secs:.1} s{cost} ─ c cancels", r.exercise),
                t.accent(),
            ))
        }
        (None, _) if app.grid.running.is_some() => {
            let (done, total) = app.grid.running.unwrap_or_default();
            Line::from(Span::styled(format!("▦ making the grid ─ cell {done}/{total}"), t.accent()))
        }
        (None, Some(s)) => Line::from(s.clone()),
        (None, None) => Line::from(""),
    };
    let hints = app.data.hints.get(&app.exercise().id).copied().unwrap_or(0);
    let keys = match app.view {
        View::Path if area.width >= 100 => format!(
            "e edit  r run  w watch  h hint {hints}/{}  ←/→ images  Enter view  i inputs  a attempts  p progress  q quit",
            app.exercise().hints.len()
        ),
        View::Path => format!(
            "e edit  r run  w watch  h hint {hints}/{}  ←/→ img  a history  p progress  q quit",
            app.exercise().hints.len()
        ),
        View::History => "↑/↓ attempt  q back".to_string(),
        View::Image | View::Inputs => "←/→ step  q back".to_string(),
        View::GridAxes => "Enter make the grid  ←/→ move  Esc back".to_string(),
        View::Grid => "g another grid  q back".to_string(),
        View::Error => "↑/↓ scroll  e edit the recipe  r run again  q back".to_string(),
        _ => "↑/↓ scroll  q back".to_string(),
    };
    status_and_keys(f, status, keys, area, t);
}

fn main(f: &mut Frame<'_>, app: &App, images: &mut Images, area: Rect, t: &Theme) {
    let left_w = if area.width >= 110 { 40 } else { (area.width * 2 / 5).max(24) };
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(left_w), Constraint::Min(20)])
        .split(area);
    path_list(f, app, cols[0], t);
    detail(f, app, images, cols[1], t);
}

fn mark(status: ExerciseStatus) -> &'static str {
    match status {
        ExerciseStatus::Passed => "✔",
        ExerciseStatus::Attempted => "✗",
        ExerciseStatus::Open => "○",
        ExerciseStatus::Locked => "·",
    }
}

fn path_list(f: &mut Frame<'_>, app: &App, area: Rect, t: &Theme) {
    let block = Block::default().borders(Borders::RIGHT).title(" Path ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut selected_line = 0;
    for (stage, sp) in app.curriculum.stages.iter().zip(&app.data.progress.stages) {
        let state = if sp.milestone_reached {
            app.data.milestone_dates.get(&stage.id).map_or("milestone ✔".to_string(), |d| format!("milestone {d}"))
        } else if sp.unlocked {
            format!("{}/{}", sp.passed, sp.exercises.len())
        } else {
            "locked".to_string()
        };
        let head = if sp.milestone_reached {
            "✔"
        } else if sp.unlocked {
            "▶"
        } else {
            "🔒"
        };
        let name = format!("{head} {}", stage.title);
        let pad = width.saturating_sub(Line::from(name.as_str()).width() + state.chars().count() + 1);
        lines.push(Line::from(vec![
            Span::styled(name, t.accent()),
            Span::raw(" ".repeat(pad.max(1))),
            Span::styled(state, t.dim()),
        ]));
        for e in &sp.exercises {
            let idx = app.curriculum.exercises.iter().position(|x| x.id == e.id).unwrap_or(0);
            let next = app.data.progress.next.as_deref() == Some(e.id.as_str());
            let m = if next && e.status != ExerciseStatus::Passed { "→" } else { mark(e.status) };
            let slug = e.id.split_once('.').map_or(e.id.as_str(), |(_, s)| s);
            let due = app
                .data
                .due
                .iter()
                .find(|a| a.exercise == e.id)
                .and_then(|a| a.due)
                .map(|d| format!(" due {d}"))
                .unwrap_or_default();
            let score = e.best_score.map(|s| format!("{s:>3}")).unwrap_or_default();
            // Feedback from an instructor waits here.
            let mail = if app.data.feedback.contains_key(&e.id) { " ✉" } else { "" };
            let label = format!("  {m} {slug}{mail}{due}");
            let pad = width.saturating_sub(label.chars().count() + score.len());
            let style = if idx == app.selected {
                selected_line = lines.len();
                t.selected()
            } else {
                match e.status {
                    ExerciseStatus::Passed => t.ok(),
                    ExerciseStatus::Locked => t.dim(),
                    _ => Style::default(),
                }
            };
            lines.push(Line::from(Span::styled(format!("{label}{}{score}", " ".repeat(pad)), style)));
        }
    }
    let h = inner.height as usize;
    let offset = selected_line.saturating_sub(h.saturating_sub(2));
    f.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}

fn detail(f: &mut Frame<'_>, app: &App, images: &mut Images, area: Rect, t: &Theme) {
    let e = app.exercise();
    let area = Rect { x: area.x + 1, width: area.width.saturating_sub(1), ..area };
    let best =
        app.data.progress.stages.iter().flat_map(|s| &s.exercises).find(|x| x.id == e.id).and_then(|x| x.best_score);
    let last = app.last();
    let checks_h = last.and_then(|l| l.verdict.as_ref()).map_or(2, |v| 2 * v.outcomes.len() as u16 + 1);
    let has_images = last.is_some_and(|l| !l.images.is_empty());
    // The image takes the room a large terminal has: beside the text, as
    // tall as the pane, when the pane is wide; under it otherwise, half the
    // height on a tall terminal, a third on a normal one, none below 24 rows.
    let beside = has_images && area.width >= 120 && area.height >= 20;
    let (area, beside_area) = if beside {
        let cols = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Min(60), Constraint::Percentage(50)])
            .split(area);
        (cols[0], Some(Rect { x: cols[1].x + 1, width: cols[1].width.saturating_sub(1), ..cols[1] }))
    } else {
        (area, None)
    };
    let image_h = match area.height {
        _ if !has_images || beside => 0,
        h if h >= 48 => h / 2,
        h if h >= 24 => (h / 3).max(6),
        _ => 0,
    };
    let feedback = app.data.feedback.get(&e.id).map(|fb| feedback_lines(fb, area.width as usize, t));
    // Its lines and a blank one under them, at most half the pane.
    let feedback_h = feedback.as_ref().map_or(0, |l| (l.len() as u16 + 1).min(area.height / 2));
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(2),
            Constraint::Length(feedback_h),
            Constraint::Min(4),
            Constraint::Length(checks_h.min(area.height / 2)),
            Constraint::Length(image_h),
        ])
        .split(area);
    // By role: title, brief, last attempt, images, then the feedback (drawn under the title).
    let rows = [rows[0], rows[2], rows[3], rows[4], rows[1]];
    // Title.
    let best = best.map(|b| format!("best {b}/100")).unwrap_or_default();
    let title = format!("{} ─ {}", e.id, e.title);
    let pad = (rows[0].width as usize).saturating_sub(title.chars().count() + best.len());
    let d = &e.deliverable;
    let size = match (d.width, d.height) {
        (Some(w), Some(h)) => format!(" {w}×{h}"),
        _ => String::new(),
    };
    let deliver = if d.count == 0 {
        d.file.clone()
    } else {
        format!("{} image{}{size} in {}", d.count, if d.count == 1 { "" } else { "s" }, d.file)
    };
    let n = e.checks.len();
    let meta = format!(
        "{} · {} · deliver {deliver} · {n} check{}",
        e.kind,
        e.capability.as_str(),
        if n == 1 { "" } else { "s" }
    );
    f.render_widget(
        Paragraph::new(vec![
            Line::from(vec![Span::styled(title, t.accent()), Span::raw(" ".repeat(pad)), Span::raw(best)]),
            Line::from(Span::styled(meta, t.dim())),
        ]),
        rows[0],
    );
    // Brief, checks to run, hints, recipe path.
    let mut text = Text::default();
    for (i, para) in reflow(&e.brief).into_iter().enumerate() {
        if i > 0 {
            text.push_line(Line::from(""));
        }
        text.push_line(Line::from(para));
    }
    text.push_line(Line::from(""));
    text.push_line(Line::from(Span::styled("Checks", t.accent())));
    for c in &e.checks {
        text.push_line(Line::from(format!("  {} ({}) {}", c.check, c.severity.as_str(), c.thresholds())));
    }
    let seen = app.data.hints.get(&e.id).copied().unwrap_or(0) as usize;
    if seen > 0 {
        text.push_line(Line::from(""));
        for (i, h) in e.hints.iter().take(seen).enumerate() {
            text.push_line(Line::from(Span::styled(
                format!("Hint {}/{}: {h}", i + 1, e.hints.len()),
                t.fg(Color::Yellow),
            )));
        }
    }
    if let Some(p) = app.data.answers.get(&e.id) {
        text.push_line(Line::from(""));
        let shown = p.strip_prefix(&app.workspace).unwrap_or(p);
        text.push_line(Line::from(Span::styled(format!("Recipe: {} (in your workspace)", shown.display()), t.dim())));
    }
    // The same task on a real tool, below what the exercise asks (J/K scroll to it).
    if let Some(real) = &e.real {
        text.push_line(Line::from(""));
        text.push_line(Line::from(Span::styled("On a real model", t.accent())));
        for (i, para) in reflow(real).into_iter().enumerate() {
            if i > 0 {
                text.push_line(Line::from(""));
            }
            text.push_line(Line::from(para));
        }
    }
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }).scroll((app.brief_scroll, 0)), rows[1]);
    // Last attempt.
    let mut lines = Vec::new();
    match last {
        None => lines.push(Line::from(Span::styled("No attempt yet: e to edit the recipe, r to run it.", t.dim()))),
        Some(l) => {
            let when = l.attempt.started_at.local();
            let when = when.split(' ').nth(1).unwrap_or(&when).to_string();
            let verdict = match &l.verdict {
                Some(v) if v.passed => Span::styled(format!("passed {}/100", v.score), t.ok()),
                Some(v) => Span::styled(format!("failed {}/100", v.score), t.bad()),
                None => Span::styled(
                    format!("{} — {}", l.attempt.status.as_str(), l.attempt.error.clone().unwrap_or_default()),
                    t.bad(),
                ),
            };
            lines.push(Line::from(vec![Span::raw(format!("Last attempt {} at {when} — ", l.attempt.number)), verdict]));
            if let Some(v) = &l.verdict {
                for o in &v.outcomes {
                    let m = o.mark();
                    let style = if o.review {
                        t.fg(Color::Yellow)
                    } else if o.passed {
                        t.ok()
                    } else {
                        t.bad()
                    };
                    let measured = o.measured();
                    let severity = if o.severity == crate::checks::Severity::Essential {
                        String::new()
                    } else {
                        format!("  ({})", o.severity.as_str())
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{m} "), style),
                        Span::raw(format!("{:<22} {:>13}{severity}", o.check, measured)),
                    ]));
                    lines.push(Line::from(Span::styled(format!("  {}", o.message), t.dim())));
                }
            }
        }
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rows[2]);
    if let Some(lines) = feedback {
        f.render_widget(Paragraph::new(lines), rows[4]);
    }
    // Image preview.
    let preview = beside_area.or((image_h > 0).then_some(rows[3]));
    if let (Some(area), Some(l)) = (preview, last)
        && !l.images.is_empty()
    {
        let i = app.gallery.min(l.images.len() - 1);
        let path = &l.images[i];
        let caption =
            format!("image {}/{} ─ {}", i + 1, l.images.len(), path.file_name().and_then(|s| s.to_str()).unwrap_or(""));
        let parts = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(1), Constraint::Min(1)])
            .split(area);
        f.render_widget(Paragraph::new(Span::styled(caption, t.dim())), parts[0]);
        images.render(f, path, parts[1]);
    }
}

/// `text` wrapped to `width` as lines in `style`: each of its lines on its
/// own (a blank line stays), every row indented by `indent` spaces.
pub(super) fn wrapped(text: &str, indent: usize, width: usize, style: Style) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    let mut out = Vec::new();
    for line in text.lines() {
        let rows = crate::present::wrap(line, width.saturating_sub(indent).max(8));
        if rows.is_empty() {
            out.push(Line::from(""));
        }
        out.extend(rows.into_iter().map(|r| Line::from(Span::styled(format!("{pad}{r}"), style))));
    }
    out
}

/// The verdict that counts, as both modes show it: `✓ passed 85/100`.
pub(super) fn verdict_span(passed: bool, score: u32, t: &Theme) -> Span<'static> {
    if passed {
        Span::styled(format!("✓ passed {score}/100"), t.ok())
    } else {
        Span::styled(format!("✗ failed {score}/100"), t.bad())
    }
}

/// Who decided a grade of record, as a reader says it.
pub(super) fn decided_by(by: crate::store::DecidedBy) -> &'static str {
    match by {
        crate::store::DecidedBy::Reviewer => "by reviewer",
        crate::store::DecidedBy::Checks => "by checks",
    }
}

/// An instructor's feedback on the learner's submitted work, wrapped to
/// `width`: the grade of record (and who decided it) beside the automatic
/// verdict, the comment, and the word on each check that failed or was
/// reviewed. Work nobody reviewed still brings the instructor's re-check.
fn feedback_lines(fb: &crate::store::Feedback, width: usize, t: &Theme) -> Vec<Line<'static>> {
    let attempt = |word: &str| fb.attempt_number.map(|a| format!(" {word} attempt {a}")).unwrap_or_default();
    let from = if fb.reviewer.is_empty() {
        format!(" ─ your instructor's re-check{}", attempt("of"))
    } else {
        format!(" from {}{}", fb.reviewer, attempt("on"))
    };
    let mut lines = vec![Line::from(vec![Span::styled("Feedback", t.accent()), Span::raw(from)])];
    let record =
        vec![verdict_span(fb.record.passed, fb.record.score, t), Span::raw(format!(" {}", decided_by(fb.record.by)))];
    let checks = Span::styled(
        format!("checks: {} {}/100", if fb.automatic_passed { "passed" } else { "failed" }, fb.automatic_score),
        t.dim(),
    );
    let one = Line::from([record.clone(), vec![Span::raw(" · "), checks.clone()]].concat());
    if one.width() <= width {
        lines.push(one);
    } else {
        lines.push(Line::from(record));
        lines.push(Line::from(checks));
    }
    lines.extend(wrapped(&fb.comment, 2, width, Style::default()));
    for c in &fb.checks {
        let mark = if c.passed { "✓" } else { "✗" };
        let grade = c.grade.map(|g| format!(" (graded {g})")).unwrap_or_default();
        let (said, style) =
            if c.comment.is_empty() { (c.message.as_str(), t.dim()) } else { (c.comment.as_str(), t.review()) };
        let said = if said.is_empty() { String::new() } else { format!(": {}", reflow(said).join(" ")) };
        lines.extend(wrapped(&format!("{mark} {}{grade}{said}", c.check), 2, width, style));
    }
    lines
}

/// Join the hard-wrapped lines of each paragraph so the terminal can wrap them to its width.
pub fn reflow(text: &str) -> Vec<String> {
    text.split("\n\n").map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|p| !p.is_empty()).collect()
}

fn full_image(f: &mut Frame<'_>, app: &App, images: &mut Images, area: Rect, t: &Theme) {
    let Some(l) = app.last() else { return };
    if l.images.is_empty() {
        return;
    }
    let i = app.gallery.min(l.images.len() - 1);
    let path = &l.images[i];
    let shown = path.strip_prefix(&app.workspace).unwrap_or(path);
    let caption = format!("image {}/{} ─ {} ─ ←/→ step ─ q back", i + 1, l.images.len(), shown.display());
    image_screen(f, images, path, caption, area, t);
}

/// The axes line of an X/Y/Z plot, with what it takes and an example.
fn grid_axes(f: &mut Frame<'_>, app: &App, area: Rect, t: &Theme) {
    let recipe = app.data.answers.get(&app.exercise().id).map(|p| p.strip_prefix(&app.workspace).unwrap_or(p));
    let recipe = recipe.map_or_else(|| "your recipe".to_string(), |p| p.display().to_string());
    let mut lines = vec![
        Line::from(Span::styled(format!("X/Y/Z plot of {recipe}"), t.accent())),
        Line::from(""),
        Line::from("One to three axes, x; y; z, each KEY=V1,V2,… as `genpath grid` takes them:"),
        Line::from(Span::styled(
            "  a recipe key: cfg, steps, seed, sampler, model, init.strength, hires.scale …",
            t.dim(),
        )),
        Line::from(Span::styled(
            "  or sr=FIND,R1,R2 to replace a word of the prompt (the first column keeps it)",
            t.dim(),
        )),
        Line::from(Span::styled(format!("  e.g. {}", super::app::GRID_EXAMPLE), t.dim())),
        Line::from(""),
    ];
    let top = lines.len() as u16;
    let width = area.width.saturating_sub(2).max(1) as usize;
    let (rows, (row, col)) = app.grid.axes.rows(width);
    lines.extend(rows.into_iter().map(|r| Line::from(format!("> {r}"))));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Cells render on the built-in renderer; the sheet is kept under outputs/<exercise>/grids/.",
        t.dim(),
    )));
    f.render_widget(Paragraph::new(lines), area);
    let (x, y) = (area.x + 2 + col as u16, area.y + top + row as u16);
    if x < area.right() && y < area.bottom() {
        f.set_cursor_position(ratatui::layout::Position { x, y });
    }
}

/// The last grid made, full screen.
fn grid(f: &mut Frame<'_>, app: &App, images: &mut Images, area: Rect, t: &Theme) {
    let Some(path) = &app.grid.last else { return };
    let shown = path.strip_prefix(&app.workspace).unwrap_or(path);
    image_screen(f, images, path, format!("grid ─ {} ─ g another ─ q back", shown.display()), area, t);
}

/// The exercise's input images (as copied beside the recipe), one at a time.
fn inputs(f: &mut Frame<'_>, app: &App, images: &mut Images, area: Rect, t: &Theme) {
    let Some(path) = app.inputs.get(app.input.min(app.inputs.len().saturating_sub(1))) else { return };
    let shown = path.strip_prefix(&app.workspace).unwrap_or(path);
    let caption = format!(
        "{} input {}/{} ─ {} ─ ←/→ step ─ q back",
        app.exercise().id,
        app.input + 1,
        app.inputs.len(),
        shown.display()
    );
    image_screen(f, images, path, caption, area, t);
}

/// One image over the whole area, under its caption.
pub(super) fn image_screen(
    f: &mut Frame<'_>,
    images: &mut Images,
    path: &std::path::Path,
    caption: String,
    area: Rect,
    t: &Theme,
) {
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(1)])
        .split(area);
    f.render_widget(Paragraph::new(Span::styled(caption, t.dim())), parts[0]);
    f.render_widget(Clear, parts[1]);
    images.render(f, path, parts[1]);
}

fn history(f: &mut Frame<'_>, app: &App, images: &mut Images, area: Rect, t: &Theme) {
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Length(34), Constraint::Min(20)])
        .split(area);
    let mut lines = vec![Line::from(Span::styled(format!("Attempts at {}", app.exercise().id), t.accent()))];
    if app.history.is_empty() {
        lines.push(Line::from(Span::styled("none yet", t.dim())));
    }
    for (i, a) in app.history.iter().map(|h| &h.attempt).enumerate() {
        let when = a.started_at.local();
        let score = a.score.map(|s| format!("{s:>3}")).unwrap_or_else(|| "  -".into());
        let style = if i == app.history_cursor {
            t.selected()
        } else if a.status == crate::store::AttemptStatus::Passed {
            t.ok()
        } else {
            Style::default()
        };
        lines.push(Line::from(Span::styled(
            format!("#{:<4} {when} {:<11} {score}", a.number, a.status.as_str()),
            style,
        )));
    }
    f.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::RIGHT)), cols[0]);
    let mut text = Text::default();
    let (item, prev_item) = (app.history.get(app.history_cursor), app.history.get(app.history_cursor + 1));
    if let Some(a) = item.map(|h| &h.attempt) {
        let prev = prev_item.map(|h| &h.attempt);
        let title = match prev {
            Some(p) => format!("recipe of #{} — changes since #{}", a.number, p.number),
            None => format!("recipe of #{} (the first attempt)", a.number),
        };
        text.push_line(Line::from(Span::styled(title, t.accent())));
        for l in diff::diff(prev.map_or("", |p| p.recipe_text.as_str()), &a.recipe_text) {
            text.push_line(match l {
                diff::Line::Same(s) => Line::from(format!("  {s}")),
                diff::Line::Added(s) if prev.is_some() => Line::from(Span::styled(format!("+ {s}"), t.ok())),
                diff::Line::Added(s) => Line::from(format!("  {s}")),
                diff::Line::Removed(s) => Line::from(Span::styled(format!("- {s}"), t.bad())),
            });
        }
        if let Some(e) = &a.error {
            text.push_line(Line::from(Span::styled(format!("error: {e}"), t.bad())));
        }
    }
    let inner = Rect { x: cols[1].x + 1, width: cols[1].width.saturating_sub(1), ..cols[1] };
    // Under the diff, when there is room: this attempt's image beside the
    // one before it, so a change is judged by its picture.
    let pair = [item, prev_item].map(|h| h.and_then(|h| h.images.get(app.gallery.min(h.images.len().max(1) - 1))));
    let image_h = if pair[0].is_some() && inner.height >= 20 { inner.height / 2 } else { 0 };
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(4), Constraint::Length(image_h)])
        .split(inner);
    f.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), rows[0]);
    if image_h == 0 {
        return;
    }
    let halves = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(rows[1]);
    for ((path, h), half) in pair.iter().zip([item, prev_item]).zip(halves.iter()) {
        let (Some(path), Some(h)) = (path, h) else { continue };
        let parts = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(1), Constraint::Min(1)])
            .split(Rect { width: half.width.saturating_sub(1), ..*half });
        let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
        f.render_widget(Paragraph::new(Span::styled(format!("#{} ─ {name}", h.attempt.number), t.dim())), parts[0]);
        images.render(f, path, parts[1]);
    }
}

fn progress(f: &mut Frame<'_>, app: &App, area: Rect, t: &Theme) {
    let p = &app.data.progress;
    let mut lines = vec![
        Line::from(Span::styled(format!("Progress of {}", app.learner), t.accent())),
        Line::from(format!(
            "{} attempts · {} rendering · {} studying (between runs)",
            p.attempts,
            crate::present::minutes(p.seconds),
            crate::present::minutes(p.study_seconds)
        )),
        Line::from(""),
        Line::from(Span::styled("Milestones", t.accent())),
    ];
    for s in &p.stages {
        let when = match (app.data.milestone_dates.get(&s.id), s.milestone_reached) {
            (Some(d), _) => Span::styled(format!("reached {d}"), t.ok()),
            (None, true) => Span::styled("reached".to_string(), t.ok()),
            (None, false) if s.unlocked => Span::raw("not yet"),
            (None, false) => Span::styled("locked".to_string(), t.dim()),
        };
        lines.push(Line::from(vec![Span::raw(format!("  {:<9} {:<50} ", s.title, s.milestone_title)), when]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!("  {:<34} {:>8} {:>5} {:>7}  status", "exercise", "attempts", "best", "time"),
        t.accent(),
    )));
    for s in &p.stages {
        for e in &s.exercises {
            let best = e.best_score.map(|b| b.to_string()).unwrap_or_else(|| "-".into());
            let time = if e.seconds > 0.0 { format!("{:.0}s", e.seconds) } else { "-".into() };
            let style = if e.status == ExerciseStatus::Passed { t.ok() } else { Style::default() };
            lines.push(Line::from(Span::styled(
                format!("  {:<34} {:>8} {:>5} {:>7}  {}", e.id, e.attempts, best, time, e.status.as_str()),
                style,
            )));
        }
    }
    if !app.data.pipelines.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Pipelines", t.accent())));
        for p in &app.data.pipelines {
            let style = if p.failed > 0 {
                t.bad()
            } else if p.done == p.total {
                t.ok()
            } else {
                Style::default()
            };
            lines.push(Line::from(Span::styled(
                format!(
                    "  {:<24} {:<11} {:>4}/{:<4} done  {:>3} failed  spent {:.2}",
                    p.name, p.status, p.done, p.total, p.failed, p.spent
                ),
                style,
            )));
            if let Some((_, e)) = p.failures.first() {
                lines.push(Line::from(Span::styled(format!("    last failure: {e}"), t.dim())));
            }
        }
    }
    f.render_widget(Paragraph::new(lines).scroll((app.scroll, 0)), area);
}

/// The last failed run's error, whole: wrapped to the width, scrollable,
/// each problem on its own line as the engine wrote it (file:line:col first).
fn error(f: &mut Frame<'_>, app: &App, area: Rect, t: &Theme) {
    let Some((id, text)) = &app.error else { return };
    let mut lines = vec![Line::from(Span::styled(format!("{id} ─ the last run failed"), t.bad())), Line::from("")];
    // Paths inside the workspace are shown from it: shorter, and what `e` opens.
    let ws = format!("{}{}", app.workspace.display(), std::path::MAIN_SEPARATOR);
    lines.extend(text.lines().map(|l| Line::from(l.replace(&ws, ""))));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Fix the recipe (e opens it) and run again (r): this clears when a run goes through.",
        t.dim(),
    )));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.scroll, 0)), area);
}

fn help(f: &mut Frame<'_>, app: &App, area: Rect, t: &Theme) {
    let lines = help_lines(
        keymap::BINDINGS,
        &[("Ctrl-C", "quit (a running attempt is cancelled and recorded)")],
        "Runs happen in the background: keep browsing while an attempt runs. Logs go to the workspace's logs/genpath.log.",
        t,
    );
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.scroll, 0)), area);
}

/// A help screen from a keymap table. A binding without help belongs to the
/// one before it (← and →): their keys are listed together, first keys first.
pub(super) fn help_lines<A>(
    table: &[keymap::Binding<A>],
    extra: &[(&str, &'static str)],
    note: &'static str,
    t: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled("Keys", t.accent())), Line::from("")];
    let mut i = 0;
    while i < table.len() {
        let group = 1 + table[i + 1..].iter().take_while(|b| b.help.is_empty()).count();
        let bindings = &table[i..i + group];
        let depth = bindings.iter().map(|b| b.keys.len()).max().unwrap_or(0);
        let keys: Vec<String> =
            (0..depth).flat_map(|k| bindings.iter().filter_map(move |b| b.keys.get(k))).map(keymap::key_name).collect();
        if !table[i].help.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<14}", keys.join(" ")), t.accent()),
                Span::raw(table[i].help),
            ]));
        }
        i += group;
    }
    for (keys, help) in extra {
        lines.push(Line::from(vec![Span::styled(format!("  {keys:<14}"), t.accent()), Span::raw(*help)]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(note, t.dim())));
    lines
}
