//! The HTML report: one self-contained file (inline CSS, charts as inline
//! SVG, thumbnails as data URIs, no scripts, no external requests) that reads
//! on screen and prints on A4 or Letter.

use std::path::Path;

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Report, Status};
use crate::time::Timestamp;

/// The page's style sheet, shared with the portfolio.
pub const STYLE: &str = r#"
:root { --ink:#1d2330; --muted:#5b6475; --line:#d9dee7; --pass:#1f8a4c; --fail:#c0392b; --warn:#b9770e; --bg:#ffffff; --soft:#f4f6fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.passed { color: var(--pass); font-weight: 600; } .failed, .missing { color: var(--fail); font-weight: 600; } .pending { color: var(--warn); }
.late { color: var(--fail); font-size: 12px; border: 1px solid var(--fail); border-radius: 4px; padding: 0 3px; }
code { background: var(--soft); padding: 0 3px; border-radius: 3px; }
figure { margin: 8px 0 16px; } figcaption { color: var(--muted); font-size: 12px; }
.gallery { display: flex; flex-wrap: wrap; gap: 12px; }
.gallery figure { width: 176px; margin: 0; }
.gallery img { width: 160px; border: 1px solid var(--line); border-radius: 4px; display: block; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; } tr, figure, .card { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
}
"#;

fn status_cell(status: Status, late: bool) -> Markup {
    html! {
        span class=(status.as_str().trim_matches('-')) { (status.as_str()) }
        @if late { " " span.late { "late" } }
    }
}

/// Pass rate per exercise as horizontal bars.
fn pass_rate_chart(r: &Report) -> Markup {
    let (row, label_w, bar_w) = (22, 250, 360);
    let h = r.exercises.len() * row + 24;
    let width = label_w + bar_w + 100;
    html! {
        svg role="img" aria-label="Pass rate per exercise" width=(width) height=(h) viewBox=(format!("0 0 {width} {h}")) {
            @for (i, e) in r.exercises.iter().enumerate() {
                @let y = i * row + 4;
                @let w = (e.pass_rate.clamp(0.0, 1.0) * bar_w as f64).round();
                text x=(label_w - 6) y=(y + 11) text-anchor="end" { (e.id) }
                rect x=(label_w) y=(y) width=(bar_w) height="14" fill="#eef1f6" {}
                rect x=(label_w) y=(y) width=(w) height="14" fill="#1f8a4c" {}
                text x=(label_w + bar_w + 4) y=(y + 11) {
                    (format!("{:.0}% ({}/{})", e.pass_rate * 100.0, e.passed, e.learners))
                }
            }
            line x1=(label_w) y1=(h - 18) x2=(label_w + bar_w) y2=(h - 18) stroke="#5b6475" {}
            text x=(label_w) y=(h - 6) { "0%" }
            text x=(label_w + bar_w) y=(h - 6) text-anchor="end" { "100%" }
        }
    }
}

/// Cumulative first passes over time as a step line.
fn progress_chart(r: &Report) -> Markup {
    let nothing = html! { p.muted { "No passes recorded yet." } };
    let points: Vec<(chrono::NaiveDate, u32)> = r.progress.iter().map(|p| (p.date, p.passes)).collect();
    let (Some(&(first, _)), Some(&(last, top))) = (points.first(), points.last()) else { return nothing };
    let (w, h, pad) = (640.0, 200.0, 36.0);
    // The line starts at zero the day before the first pass, so a single day still shows a step.
    let origin = first.pred_opt().unwrap_or(first);
    let span = (last - origin).num_days().max(1) as f64;
    let top = top.max(1);
    let x = |d: chrono::NaiveDate| pad + (d - origin).num_days() as f64 / span * (w - 2.0 * pad);
    let y = |n: u32| h - pad - f64::from(n) / f64::from(top) * (h - 2.0 * pad);
    let mut path = format!("M{:.1},{:.1}", x(origin), y(0));
    for &(d, passes) in &points {
        path.push_str(&format!(" H{:.1} V{:.1}", x(d), y(passes)));
    }
    html! {
        svg role="img" aria-label="Exercises passed over time" width=(w) height=(h) viewBox=(format!("0 0 {w} {h}")) {
            line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#5b6475" {}
            line x1=(pad) y1=(pad) x2=(pad) y2=(h - pad) stroke="#5b6475" {}
            path d=(path) fill="none" stroke="#1f8a4c" stroke-width="2" {}
            @for &(d, passes) in &points {
                circle cx=(format!("{:.1}", x(d))) cy=(format!("{:.1}", y(passes))) r="3" fill="#1f8a4c" {}
            }
            text x=(pad) y=(h - pad + 16.0) { (origin) }
            text x=(w - pad) y=(h - pad + 16.0) text-anchor="end" { (last) }
            text x=(pad - 4.0) y=(pad + 4.0) text-anchor="end" { (top) }
            text x=(pad - 4.0) y=(h - pad) text-anchor="end" { "0" }
        }
    }
}

/// A whole self-contained page: the shared head (charset, viewport, title,
/// the style sheet plus `extra_style`) around `body`. The report and the
/// portfolio are both written through it.
pub fn page(title: &str, extra_style: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) (PreEscaped(extra_style)) }
            }
            body { (body) }
        }
    }
    .into_string()
        + "\n"
}

/// A thumbnail as a data URI, when the submission folder has one.
pub fn thumbnail(workspace: &Path, dir: &str) -> Option<String> {
    let bytes = std::fs::read(workspace.join(dir).join("thumb.png")).ok()?;
    Some(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The first ten characters of an ISO time (its day), or `-`.
/// The UTC day of a time, or `-`.
fn day(t: Option<&Timestamp>) -> String {
    t.map_or("-".to_string(), |t| t.day().to_string())
}

/// A list joined by `, `, or `-` when empty.
fn list(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() { "-".into() } else { items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ") }
}

pub fn html(r: &Report, workspace: &Path) -> String {
    let title = format!("{} — progress report", r.title);
    let passes: u32 = r.exercises.iter().map(|e| e.passed).sum();
    let seats: u32 = r.exercises.iter().map(|e| e.learners).sum();
    let late: usize = r.learners.iter().map(|l| l.late.len()).sum();
    let missing: usize = r.learners.iter().map(|l| l.missing.len()).sum();
    let gallery: Vec<(&str, &str, String, Status, bool)> = r
        .learners
        .iter()
        .flat_map(|l| l.exercises.iter().map(move |x| (l, x)))
        .filter_map(|(l, x)| {
            let uri = x.submission_dir.as_deref().and_then(|d| thumbnail(workspace, d))?;
            Some((l.id.as_str(), x.exercise.as_str(), uri, x.status, x.late))
        })
        .collect();
    let body = html! {
                h1 { (title) }
                p.muted {
                    "Made " (r.date) " with genpath " (env!("CARGO_PKG_VERSION"))
                    @if let Some(e) = &r.exercise_filter { ", exercise " (e) }
                    "."
                }
                div.cards {
                    div.card { b { (r.learners.len()) } "learners" }
                    div.card { b { (r.exercises.len()) } "exercises" }
                    div.card { b { (passes) "/" (seats) } "passed" }
                    div.card { b { (late) } "late" }
                    div.card { b { (missing) } "missing" }
                    @if let Some(f) = &r.most_failed {
                        div.card { b { code { (f.check) } } "fails most (" (f.failures) "×, " (f.exercise) ")" }
                    }
                }
                h2 { "Pass rate per exercise" }
                figure {
                    (pass_rate_chart(r))
                    figcaption { "Share of learners whose submission passed the re-check." }
                }
                h2 { "Progress over time" }
                figure {
                    (progress_chart(r))
                    figcaption { "Exercises passed, cumulative, by the day of the first passing attempt." }
                }
                h2 { "Learners" }
                table {
                    thead { tr {
                        th { "Learner" } th { "Milestones" } th { "Passed" } th.num { "Attempts" }
                        th { "Last activity" } th { "Late" } th { "Missing" }
                    } }
                    tbody {
                        @for l in &r.learners {
                            tr {
                                td { b { (l.id) } br; span.muted { (l.name) } }
                                td {
                                    @if l.milestones.is_empty() { "-" }
                                    @for (i, m) in l.milestones.iter().enumerate() {
                                        @if i > 0 { br; }
                                        (m.stage) " " span.muted { (day(Some(&m.reached_at))) }
                                    }
                                }
                                td { (list(&l.passed)) }
                                td.num { (l.attempts) }
                                td { (day(l.last_activity.as_ref())) }
                                td { @if l.late.is_empty() { "-" } @else { span.missing { (l.late.join(", ")) } } }
                                td { @if l.missing.is_empty() { "-" } @else { span.missing { (l.missing.join(", ")) } } }
                            }
                        }
                    }
                }
                h2 { "Exercises" }
                table {
                    thead { tr {
                        th { "Exercise" } th.num { "Pass rate" } th.num { "Median attempts to pass" } th.num { "Late" }
                        th { "Checks failing most" }
                    } }
                    tbody {
                        @for e in &r.exercises {
                            tr {
                                td { b { (e.id) } br; span.muted { (e.title) } }
                                td.num { (format!("{:.0}% ({}/{})", e.pass_rate * 100.0, e.passed, e.learners)) }
                                td.num { (e.median_attempts_to_pass.map(|m| format!("{m:.1}")).unwrap_or_else(|| "-".into())) }
                                td.num { (e.late) }
                                td {
                                    @if e.failing_checks.is_empty() { "-" }
                                    @for (i, f) in e.failing_checks.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        code { (f.check) } " ×" (f.failures)
                                    }
                                }
                            }
                        }
                    }
                }
                h2 { "Detail" }
                table {
                    thead { tr {
                        th { "Learner" } th { "Exercise" } th { "Status" } th { "Due" } th.num { "Attempts" }
                        th.num { "Best score" } th { "Reproduced" }
                    } }
                    tbody {
                        @for l in &r.learners {
                            @for x in &l.exercises {
                                tr {
                                    td { (l.id) }
                                    td { (x.exercise) }
                                    td { (status_cell(x.status, x.late)) }
                                    td { (x.due.map_or("-".to_string(), |d| d.to_string())) }
                                    td.num { (x.attempts) }
                                    td.num { (x.best_score.map(|s| s.to_string()).unwrap_or_else(|| "-".into())) }
                                    td {
                                        @match x.reproduced {
                                            Some(true) => "yes",
                                            Some(false) => span.failed { "no" },
                                            None => "-",
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !gallery.is_empty() {
                    h2 { "Submitted work" }
                    div.gallery {
                        @for (learner, exercise, uri, status, late) in &gallery {
                            figure {
                                img src=(uri) alt=(format!("{learner} — {exercise}"));
                                figcaption { (learner) " · " (exercise) br; (status_cell(*status, *late)) }
                            }
                        }
                    }
                }
    };
    page(&title, "", body)
}
