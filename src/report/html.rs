//! The HTML report: one self-contained file (inline CSS, charts as inline
//! SVG, thumbnails as data URIs, no scripts, no external requests) that reads
//! on screen and prints on A4 or Letter.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use super::{Report, Status};

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

fn status_cell(status: Status, late: bool) -> String {
    let mut s = format!("<span class=\"{}\">{}</span>", status.as_str().trim_matches('-'), status.as_str());
    if late {
        s.push_str(" <span class=\"late\">late</span>");
    }
    s
}

/// Pass rate per exercise as horizontal bars.
fn pass_rate_chart(r: &Report) -> String {
    let row = 22;
    let label_w = 250;
    let bar_w = 360;
    let h = r.exercises.len() * row + 24;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Pass rate per exercise\" width=\"{}\" height=\"{h}\" viewBox=\"0 0 {} {h}\">",
        label_w + bar_w + 100,
        label_w + bar_w + 100
    );
    for (i, e) in r.exercises.iter().enumerate() {
        let y = i * row + 4;
        let w = (e.pass_rate.clamp(0.0, 1.0) * bar_w as f64).round();
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{bar_w}\" height=\"14\" fill=\"#eef1f6\"/><rect x=\"{label_w}\" y=\"{y}\" width=\"{w}\" height=\"14\" fill=\"#1f8a4c\"/><text x=\"{}\" y=\"{}\">{:.0}% ({}/{})</text>",
            label_w - 6,
            y + 11,
            escape(&e.id),
            label_w + bar_w + 4,
            y + 11,
            e.pass_rate * 100.0,
            e.passed,
            e.learners
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{label_w}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#5b6475\"/><text x=\"{label_w}\" y=\"{2}\">0%</text><text x=\"{1}\" y=\"{2}\" text-anchor=\"end\">100%</text></svg>",
        h - 18,
        label_w + bar_w,
        h - 6
    );
    svg
}

/// Cumulative first passes over time as a step line.
fn progress_chart(r: &Report) -> String {
    if r.progress.is_empty() {
        return "<p class=\"muted\">No passes recorded yet.</p>".into();
    }
    let (w, h, pad) = (640.0, 200.0, 36.0);
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Exercises passed over time\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
    );
    let points: Vec<(chrono::NaiveDate, u32)> = r
        .progress
        .iter()
        .filter_map(|p| chrono::NaiveDate::parse_from_str(&p.date, "%Y-%m-%d").ok().map(|d| (d, p.passes)))
        .collect();
    let (Some(&(first, _)), Some(&(last, top))) = (points.first(), points.last()) else {
        return "<p class=\"muted\">No passes recorded yet.</p>".into();
    };
    // The line starts at zero the day before the first pass, so a single day still shows a step.
    let origin = first.pred_opt().unwrap_or(first);
    let span = (last - origin).num_days().max(1) as f64;
    let top = top.max(1);
    let x = |d: chrono::NaiveDate| pad + (d - origin).num_days() as f64 / span * (w - 2.0 * pad);
    let y = |n: u32| h - pad - f64::from(n) / f64::from(top) * (h - 2.0 * pad);
    let mut path = format!("M{:.1},{:.1}", x(origin), y(0));
    let mut dots = String::new();
    for &(d, passes) in &points {
        let _ = write!(path, " H{:.1} V{:.1}", x(d), y(passes));
        let _ = write!(dots, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#1f8a4c\"/>", x(d), y(passes));
    }
    let _ = write!(
        svg,
        "<line x1=\"{pad}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#5b6475\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{0}\" stroke=\"#5b6475\"/>\
         <path d=\"{path}\" fill=\"none\" stroke=\"#1f8a4c\" stroke-width=\"2\"/>{dots}\
         <text x=\"{pad}\" y=\"{2}\">{3}</text><text x=\"{1}\" y=\"{2}\" text-anchor=\"end\">{4}</text>\
         <text x=\"{5}\" y=\"{6}\" text-anchor=\"end\">{top}</text><text x=\"{5}\" y=\"{0}\" text-anchor=\"end\">0</text></svg>",
        h - pad,
        w - pad,
        h - pad + 16.0,
        origin,
        last,
        pad - 4.0,
        pad + 4.0,
    );
    svg
}

/// A thumbnail as a data URI, when the submission folder has one.
pub fn thumbnail(workspace: &Path, dir: &str) -> Option<String> {
    let bytes = std::fs::read(workspace.join(dir).join("thumb.png")).ok()?;
    Some(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

pub fn html(r: &Report, workspace: &Path) -> String {
    let mut out = String::with_capacity(16_384 + r.learners.len() * r.exercises.len() * 160);
    let title = format!("{} — progress report", r.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1><p class=\"muted\">Made {} with genpath {}{}.</p>\n",
        escape(&title),
        escape(&title),
        escape(&r.date),
        env!("CARGO_PKG_VERSION"),
        r.exercise_filter.as_ref().map(|e| format!(", exercise {}", escape(e))).unwrap_or_default()
    );
    let passes: u32 = r.exercises.iter().map(|e| e.passed).sum();
    let seats: u32 = r.exercises.iter().map(|e| e.learners).sum();
    let late: usize = r.learners.iter().map(|l| l.late.len()).sum();
    let missing: usize = r.learners.iter().map(|l| l.missing.len()).sum();
    let _ = write!(
        out,
        "<div class=\"cards\"><div class=\"card\"><b>{}</b>learners</div><div class=\"card\"><b>{}</b>exercises</div>\
         <div class=\"card\"><b>{passes}/{seats}</b>passed</div><div class=\"card\"><b>{late}</b>late</div><div class=\"card\"><b>{missing}</b>missing</div>",
        r.learners.len(),
        r.exercises.len()
    );
    if let Some(f) = &r.most_failed {
        let _ = write!(
            out,
            "<div class=\"card\"><b><code>{}</code></b>fails most ({}×, {})</div>",
            escape(&f.check),
            f.failures,
            escape(&f.exercise)
        );
    }
    out.push_str("</div>\n<h2>Pass rate per exercise</h2><figure>");
    out.push_str(&pass_rate_chart(r));
    out.push_str("<figcaption>Share of learners whose submission passed the re-check.</figcaption></figure>\n<h2>Progress over time</h2><figure>");
    out.push_str(&progress_chart(r));
    out.push_str(
        "<figcaption>Exercises passed, cumulative, by the day of the first passing attempt.</figcaption></figure>\n",
    );

    out.push_str("<h2>Learners</h2><table><thead><tr><th>Learner</th><th>Milestones</th><th>Passed</th><th class=\"num\">Attempts</th><th>Last activity</th><th>Late</th><th>Missing</th></tr></thead><tbody>\n");
    for l in &r.learners {
        let milestones: Vec<String> = l
            .milestones
            .iter()
            .map(|m| {
                format!(
                    "{} <span class=\"muted\">{}</span>",
                    escape(&m.stage),
                    escape(m.reached_at.get(..10).unwrap_or(&m.reached_at))
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><b>{}</b><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&l.id),
            escape(&l.name),
            if milestones.is_empty() { "-".into() } else { milestones.join("<br>") },
            if l.passed.is_empty() { "-".into() } else { escape(&l.passed.join(", ")) },
            l.attempts,
            escape(l.last_activity.as_deref().map(|s| s.get(..10).unwrap_or(s)).unwrap_or("-")),
            if l.late.is_empty() {
                "-".into()
            } else {
                format!("<span class=\"missing\">{}</span>", escape(&l.late.join(", ")))
            },
            if l.missing.is_empty() {
                "-".into()
            } else {
                format!("<span class=\"missing\">{}</span>", escape(&l.missing.join(", ")))
            },
        );
    }
    out.push_str("</tbody></table>\n<h2>Exercises</h2><table><thead><tr><th>Exercise</th><th class=\"num\">Pass rate</th><th class=\"num\">Median attempts to pass</th><th class=\"num\">Late</th><th>Checks failing most</th></tr></thead><tbody>\n");
    for e in &r.exercises {
        let failing: Vec<String> =
            e.failing_checks.iter().map(|f| format!("<code>{}</code> ×{}", escape(&f.check), f.failures)).collect();
        let _ = writeln!(
            out,
            "<tr><td><b>{}</b><br><span class=\"muted\">{}</span></td><td class=\"num\">{:.0}% ({}/{})</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(&e.id),
            escape(&e.title),
            e.pass_rate * 100.0,
            e.passed,
            e.learners,
            e.median_attempts_to_pass.map(|m| format!("{m:.1}")).unwrap_or_else(|| "-".into()),
            e.late,
            if failing.is_empty() { "-".into() } else { failing.join(", ") }
        );
    }
    out.push_str("</tbody></table>\n<h2>Detail</h2><table><thead><tr><th>Learner</th><th>Exercise</th><th>Status</th><th>Due</th><th class=\"num\">Attempts</th><th class=\"num\">Best score</th><th>Reproduced</th></tr></thead><tbody>\n");
    for l in &r.learners {
        for x in &l.exercises {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&l.id),
                escape(&x.exercise),
                status_cell(x.status, x.late),
                escape(x.due.as_deref().unwrap_or("-")),
                x.attempts,
                x.best_score.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                match x.reproduced {
                    Some(true) => "yes",
                    Some(false) => "<span class=\"failed\">no</span>",
                    None => "-",
                }
            );
        }
    }
    out.push_str("</tbody></table>\n");
    let mut gallery = String::new();
    for l in &r.learners {
        for x in &l.exercises {
            let Some(uri) = x.submission_dir.as_deref().and_then(|d| thumbnail(workspace, d)) else { continue };
            let _ = write!(
                gallery,
                "<figure><img src=\"{uri}\" alt=\"{} — {}\"><figcaption>{} · {}<br>{}</figcaption></figure>",
                escape(&l.id),
                escape(&x.exercise),
                escape(&l.id),
                escape(&x.exercise),
                status_cell(x.status, x.late)
            );
        }
    }
    if !gallery.is_empty() {
        let _ = writeln!(out, "<h2>Submitted work</h2><div class=\"gallery\">{gallery}</div>");
    }
    out.push_str("</body></html>\n");
    out
}
