//! The HTML report: one self-contained file (inline CSS, charts as inline
//! SVG, thumbnails as data URIs, no scripts, no external requests) that reads
//! on screen and prints on A4 or Letter.

use std::path::Path;

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::text::{automatic, reviewer_grade, value};
use super::{LearnerExercise, Report, Sources, Status, SubmissionDrill};
use crate::store::{DecidedBy, SubmittedCheckRow};
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
.note { background: var(--soft); border-left: 3px solid var(--muted); padding: 6px 10px; margin: 8px 0; }
.verdicts { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.verdicts > div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; min-width: 170px; }
.verdicts > div.of-record { border: 2px solid var(--ink); }
.verdicts small { display: block; color: var(--muted); }
.comment { background: #fffbea; border: 1px solid #eedc9a; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.review-flag { color: var(--warn); font-weight: 600; }
details.drill { border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; margin: 8px 0; }
details.drill > summary { cursor: pointer; font-weight: 600; }
.work { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; margin: 8px 0; }
.work figure { margin: 0; }
.work img { border: 1px solid var(--line); border-radius: 4px; display: block; background: #fff; }
.work .arrow { align-self: center; font-size: 24px; color: var(--muted); }
pre { background: var(--soft); padding: 8px; overflow-x: auto; white-space: pre-wrap; font-size: 12px; }
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
/// A reviewer's comment, written in Markdown, as HTML: emphasis, lists,
/// code and links render; any HTML the comment holds is shown as text,
/// never interpreted (a comment cannot inject markup or scripts into a page).
pub fn comment(markdown: &str) -> Markup {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    // Whether each open link was kept: only web links are (a `javascript:`
    // or file URL shows as its text alone).
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).filter_map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
        Event::Start(Tag::Image { dest_url, .. }) => {
            links.push(false);
            Some(Event::Text(dest_url))
        }
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let web = dest_url.starts_with("https://") || dest_url.starts_with("http://");
            links.push(web);
            web.then_some(e)
        }
        Event::End(TagEnd::Link | TagEnd::Image) => links.pop().unwrap_or(false).then_some(e),
        other => Some(other),
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    html! { div.comment { (PreEscaped(out)) } }
}

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

/// An image as a data URI no wider or taller than `max_side` pixels: the
/// file itself when it is small enough, else a JPEG copy scaled down (a
/// report of a whole cohort embeds hundreds of images).
pub fn image_uri(bytes: &[u8], max_side: u32) -> Option<String> {
    let img = crate::imaging::decode(bytes).ok()?;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let png = bytes.starts_with(b"\x89PNG");
    if img.width().max(img.height()) <= max_side && bytes.len() <= 512 * 1024 && png {
        return Some(format!("data:image/png;base64,{}", b64(bytes)));
    }
    let (rgb, _) = crate::imaging::over_white(img);
    let small = crate::imaging::shrink(rgb, max_side);
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    small.write_with_encoder(enc).ok()?;
    Some(format!("data:image/jpeg;base64,{}", b64(&out)))
}

/// The automatic verdict, the reviewer's decision and the grade of record,
/// side by side; the one that counts is outlined.
pub fn verdicts(s: &SubmissionDrill) -> Markup {
    let by_reviewer = s.decided_by == DecidedBy::Reviewer;
    html! {
        div.verdicts {
            div class=(if by_reviewer { "" } else { "of-record" }) {
                small { "Automatic re-check" }
                span class=(if s.automatic_passed { "passed" } else { "failed" }) {
                    (automatic(s.automatic_passed, s.automatic_score))
                }
            }
            div class=(if by_reviewer { "of-record" } else { "" }) {
                small { "Reviewer" @if let Some(r) = &s.reviewer { " · " (r) } }
                (reviewer_grade(s.grade, s.score_adjust))
            }
            div {
                small { "Grade of record (" (if by_reviewer { "the reviewer's" } else { "the re-check's" }) ")" }
                span class=(if s.passed { "passed" } else { "failed" }) {
                    (if s.passed { "passed" } else { "failed" }) ", " (s.score)
                }
            }
        }
        @if let Some(c) = &s.comment { (comment(c)) }
    }
}

/// Every check of a submission: value against threshold, message, review.
pub fn checks_table(checks: &[SubmittedCheckRow]) -> Markup {
    html! {
        table {
            thead { tr {
                th { "Check" } th {} th.num { "Measured" } th.num { "Threshold" } th { "Finding" } th { "Reviewer" }
            } }
            tbody {
                @for c in checks {
                    tr {
                        td { code { (c.check) } @if c.needs_review { " " span.review-flag title="close to its line: a person should look" { "?" } } }
                        td class=(if c.passed { "passed" } else { "failed" }) { (if c.passed { "✓" } else { "✗" }) }
                        td.num { (value(c.value)) }
                        td.num { (value(c.threshold)) }
                        td { (c.message) }
                        td {
                            @match &c.review {
                                Some(v) => {
                                    (v.grade.map_or("-".to_string(), |g| g.to_string()))
                                    @if !v.comment.trim().is_empty() { (comment(&v.comment)) }
                                }
                                None => "-",
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A submission's work: conditioning inputs beside the outputs (an init
/// image before → after), images at most `side` pixels, then the recipe.
pub fn work(files: &super::drill::Files, side: u32, alt: &str, answer_open: bool) -> Markup {
    let (before, inputs): (Vec<_>, Vec<_>) = files.inputs.iter().partition(|i| i.before);
    html! {
        div.work {
            @for i in before.iter().chain(inputs.iter()) {
                @if let Some(uri) = image_uri(&i.bytes, side) {
                    figure { img src=(uri) alt=(i.role) style=(format!("max-width:{side}px")); figcaption { (i.role) br; code { (i.name) } } }
                }
            }
            @if !files.inputs.is_empty() && !files.images.is_empty() { span.arrow { "→" } }
            @for (n, bytes) in files.images.iter().enumerate() {
                @if let Some(uri) = image_uri(bytes, side) {
                    figure { img src=(uri) alt=(format!("{alt} — image {}", n + 1)) style=(format!("max-width:{side}px")); figcaption { "output " (n + 1) } }
                }
            }
        }
        @if files.total_images > files.images.len() {
            p.muted { (files.images.len()) " of " (files.total_images) " images shown." }
        }
        @if let Some((name, text)) = &files.answer {
            details open[answer_open] { summary { "The answer: " code { (name) } } pre { (text) } }
        }
    }
}

/// One learner's exercise drilled into (cohort report).
fn drill(sources: &Sources<'_>, learner: &str, x: &LearnerExercise, s: &SubmissionDrill) -> Markup {
    let files = sources.files(&x.exercise, s);
    let failing: Vec<&SubmittedCheckRow> = s.failing().collect();
    html! {
        // Open where a person's attention is wanted: a failure, a reviewer's grade, a wait for review.
        details.drill id=(format!("s{}", s.id)) open[!s.passed || s.decided_by == DecidedBy::Reviewer || x.awaiting_review] {
            summary {
                (learner) " · " (x.exercise) " — " (status_cell(x.status, x.late))
                @if s.decided_by == DecidedBy::Reviewer { span.muted { " (reviewer's grade; re-check " (if s.automatic_passed { "passed" } else { "failed" }) ")" } }
                @if x.awaiting_review { " " span.review-flag { "needs review" } }
            }
            p.muted {
                "Submitted " (s.submitted_at.day()) " on " code { (s.backend) } " · " (x.submissions) " submission(s)"
                @if let Some(n) = &s.reproduce_note { " · reproduction: " (n) }
            }
            (verdicts(s))
            @if !failing.is_empty() {
                p { b { "Why it failed the re-check:" } }
                ul { @for c in &failing { li { code { (c.check) } " " (value(c.value)) " (threshold " (value(c.threshold)) "): " (c.message) } } }
            }
            @let reviewed: Vec<&SubmittedCheckRow> = s.checks.iter().filter(|c| c.review.is_some()).collect();
            @if !reviewed.is_empty() {
                p { b { "The reviewer on its checks:" } }
                ul {
                    @for c in &reviewed {
                        @if let Some(v) = &c.review {
                            li {
                                code { (c.check) } " — " (v.grade.map_or("no grade".to_string(), |g| g.to_string()))
                                @if !v.comment.trim().is_empty() { (comment(&v.comment)) }
                            }
                        }
                    }
                }
            }
            (work(&files, 256, &format!("{learner} — {}", x.exercise), false))
            details { summary { "Every check" } (checks_table(&s.checks)) }
        }
    }
}

/// The UTC day of a time, or `-`.
fn day(t: Option<&Timestamp>) -> String {
    t.map_or("-".to_string(), |t| t.day().to_string())
}

/// A list joined by `, `, or `-` when empty.
fn list(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() { "-".into() } else { items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ") }
}

pub fn html(r: &Report, sources: &Sources<'_>) -> String {
    let workspace = sources.workspace;
    let title = format!("{} — progress report", r.title);
    let passes: u32 = r.exercises.iter().map(|e| e.passed).sum();
    let seats: u32 = r.exercises.iter().map(|e| e.learners).sum();
    let late: usize = r.learners.iter().map(|l| l.late.len()).sum();
    let missing: usize = r.learners.iter().map(|l| l.missing.len()).sum();
    /// (learner, exercise, thumbnail, status, late, submission of record)
    type Thumb<'a> = (&'a str, &'a str, String, Status, bool, Option<i64>);
    let gallery: Vec<Thumb<'_>> = r
        .learners
        .iter()
        .flat_map(|l| l.exercises.iter().map(move |x| (l, x)))
        .filter_map(|(l, x)| {
            let uri = x.submission_dir.as_deref().and_then(|d| thumbnail(workspace, d))?;
            Some((l.id.as_str(), x.exercise.as_str(), uri, x.status, x.late, x.submission.as_ref().map(|s| s.id)))
        })
        .collect();
    let body = html! {
                h1 { (title) }
                p.muted {
                    "Made " (r.date) " with genpath " (env!("CARGO_PKG_VERSION"))
                    @if let Some(e) = &r.exercise_filter { ", exercise " (e) }
                    "."
                }
                p.note { (r.passed_means) }
                div.cards {
                    div.card { b { (r.learners.len()) } "learners" }
                    div.card { b { (r.exercises.len()) } "exercises" }
                    div.card { b { (passes) "/" (seats) } "passed" }
                    div.card { b { (late) } "late" }
                    div.card { b { (missing) } "missing" }
                    div.card { b class=(if r.needs_review > 0 { "review-flag" } else { "" }) { (r.needs_review) } "need review" }
                    @if let Some(f) = &r.most_failed {
                        div.card { b { code { (f.check) } } "fails most (" (f.failures) "×, " (f.exercise) ")" }
                    }
                }
                h2 { "Pass rate per exercise" }
                figure {
                    (pass_rate_chart(r))
                    figcaption { "Share of learners whose submission passed (the grade of record)." }
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
                        th.num { "Needs review" } th { "Checks failing most" }
                    } }
                    tbody {
                        @for e in &r.exercises {
                            tr {
                                td { b { (e.id) } br; span.muted { (e.title) } }
                                td.num { (format!("{:.0}% ({}/{})", e.pass_rate * 100.0, e.passed, e.learners)) }
                                td.num { (e.median_attempts_to_pass.map(|m| format!("{m:.1}")).unwrap_or_else(|| "-".into())) }
                                td.num { (e.late) }
                                td.num { (e.needs_review) }
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
                        th { "Learner" } th { "Exercise" } th { "Status (of record)" } th { "Automatic" } th { "Reviewer" }
                        th { "Due" } th.num { "Attempts" } th.num { "Best score" } th { "Reproduced" }
                    } }
                    tbody {
                        @for l in &r.learners {
                            @for x in &l.exercises {
                                tr {
                                    td { (l.id) }
                                    td { (x.exercise) }
                                    td {
                                        @if let Some(sub) = &x.submission { a href=(format!("#s{}", sub.id)) { (status_cell(x.status, x.late)) } }
                                        @else { (status_cell(x.status, x.late)) }
                                        @if x.awaiting_review { " " span.review-flag { "needs review" } }
                                    }
                                    td { (x.automatic_passed.zip(x.automatic_score).map_or("-".into(), |(p, s)| automatic(p, s))) }
                                    td {
                                        (reviewer_grade(x.grade, x.score_adjust))
                                        @if x.comment.is_some() { " " span.muted { "(comment)" } }
                                    }
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
                @if r.learners.iter().any(|l| l.exercises.iter().any(|x| x.submission.is_some())) {
                    h2 { "Submissions" }
                    p.muted { "Each learner's submission of record: the verdicts side by side, why it failed, \
                               the conditioning inputs beside the images, the answer and every check." }
                    @for l in &r.learners {
                        @for x in &l.exercises {
                            @if let Some(sub) = &x.submission { (drill(sources, &l.id, x, sub)) }
                        }
                    }
                }
                @if !gallery.is_empty() {
                    h2 { "Submitted work" }
                    div.gallery {
                        @for (learner, exercise, uri, status, late, id) in &gallery {
                            figure {
                                @let alt = format!("{learner} — {exercise}");
                                @if let Some(id) = id { a href=(format!("#s{id}")) { img src=(uri) alt=(alt); } }
                                @else { img src=(uri) alt=(alt); }
                                figcaption { (learner) " · " (exercise) br; (status_cell(*status, *late)) }
                            }
                        }
                    }
                }
    };
    page(&title, "", body)
}

#[cfg(test)]
mod tests {
    use super::comment;

    #[test]
    fn a_comment_renders_its_markdown_and_nothing_it_could_inject() {
        let html = comment("The fox is **cropped**.\n\n- wider framing\n- `seed = 7`").into_string();
        assert!(html.contains("<strong>cropped</strong>") && html.contains("<li>wider framing</li>"), "{html}");
        assert!(html.contains("<code>seed = 7</code>"), "{html}");
        let html = comment("<script>alert(1)</script> and <i>tail</i>").into_string();
        assert!(!html.contains("<script") && !html.contains("<i>"), "{html}");
        assert!(html.contains("&lt;script&gt;") && html.contains("&lt;i&gt;tail&lt;/i&gt;"), "{html}");
        let html =
            comment("[click](javascript:alert(1)) ![x](https://tracker.example/p.png) [docs](https://example.org)")
                .into_string();
        assert!(!html.contains("javascript:alert(1)\"") && !html.contains("<img"), "{html}");
        assert!(html.contains("<a href=\"https://example.org\">docs</a>"), "{html}");
        assert_eq!(html.matches("<a ").count(), html.matches("</a>").count(), "{html}");
    }
}
