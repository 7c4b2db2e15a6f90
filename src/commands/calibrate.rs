//! `genpath calibrate CHECK --same DIR… [--different DIR…]`: how well a
//! check separates work a person labelled, and the threshold the data
//! supports. For a set check every folder is one set; for a check of one
//! subject across a set, mixed and one-intruder sets are also made from
//! the same-subject ones. For an image check every image is judged alone.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::{UsageError, write_stdout};
use crate::checks::calibrate::{self, Group, Kind, Report};
use crate::checks::{CheckSpec, Context, Deliverable, Embedding, Image, Passes, Severity, registry};

/// The identity parameter a model's line is written to.
const EMBEDDING_PARAM: &str = "min_embedding_similarity";
use crate::present::number;

/// What to calibrate, as the command line gives it.
pub struct Args<'a> {
    pub check: &'a str,
    pub same: &'a [PathBuf],
    pub different: &'a [PathBuf],
    pub params: &'a [String],
    pub false_pass: f64,
    /// List every group's verdict and measures.
    pub each: bool,
    /// exercise.toml files, or folders searched for them, to write the thresholds into.
    pub write: &'a [PathBuf],
    /// An image-embedding model of the user's to measure (`[checks]
    /// embedding_model`), instead of the built-in encoder.
    pub embedding_model: Option<&'a Path>,
    /// Colour alone: neither the built-in encoder nor a model.
    pub no_embedding: bool,
}

pub fn run(args: &Args<'_>) -> Result<()> {
    let def = registry::find(args.check).ok_or_else(|| {
        let names: Vec<&str> = registry::CHECKS.iter().map(|d| d.name).collect();
        UsageError(format!("no check is called '{}'; the checks are: {}", args.check, names.join(", ")))
    })?;
    if !(0.0..=1.0).contains(&args.false_pass) {
        return Err(UsageError(format!("--false-pass is a share from 0 to 1, not {}", args.false_pass)).into());
    }
    let spec = spec(def.name, args.params)?;
    (def.parse)(&spec).map_err(|e| UsageError(format!("{}: {e}", def.name)))?;
    let mut groups = Vec::new();
    for (dirs, kind) in [(args.same, Kind::Same), (args.different, Kind::Different)] {
        for arg in dirs {
            let (dir, identity) = folder_and_identity(arg);
            let images = images_in(&dir)?;
            let label = dir.display().to_string();
            if def.set_level {
                groups.push(Group { label, identity, kind, images });
            } else {
                groups.extend(images.into_iter().map(|i| Group {
                    label: i.label.clone(),
                    identity: identity.clone(),
                    kind,
                    images: vec![i],
                }));
            }
        }
    }
    if def.one_subject {
        let same: Vec<Group> = groups.iter().filter(|g| g.kind == Kind::Same).cloned().collect();
        groups.extend(calibrate::made_negatives(&same));
    }
    if !groups.iter().any(|g| g.kind.should_pass()) || !groups.iter().any(|g| !g.kind.should_pass()) {
        return Err(UsageError(
            "calibrating needs groups on both sides: --same and --different folders (a check of one subject \
             across a set makes its own different sets from three or more --same sets)"
                .into(),
        )
        .into());
    }
    let deliverable =
        Deliverable { file: "recipe.toml".into(), count: 0, width: None, height: None, description: None };
    let model = match args.embedding_model {
        Some(path) => Some(crate::imaging::embedding::Embedder::load(path).map_err(|e| UsageError(format!("{e:#}")))?),
        None => None,
    };
    let embedding = match &model {
        // A model of the user's: measured, not judged; the line is what this run is for.
        Some(model) => Some(Embedding { model, min_similarity: None, builtin: false }),
        // The check as a workspace runs it by default: the built-in encoder at its line.
        None if !args.no_embedding => Embedding::builtin_for(std::slice::from_ref(&spec))?,
        None => None,
    };
    let ctx = Context { embedding, ..Context::standalone(&deliverable) };
    let report = calibrate::calibrate(&spec, groups, &ctx, args.false_pass);
    write_stdout(format_args!("{}", render(&report, args.each)))?;
    if let Some(m) = report.measures.iter().find(|m| m.param.as_deref() == Some(EMBEDDING_PARAM))
        && let Some((t, tp)) = m.suggested
    {
        if model.is_some() {
            write_stdout(format_args!(
                "\nto judge with this model in a workspace, put under [checks] in genpath.toml, beside embedding_model:\n  embedding_min_similarity = {t:.3}\n"
            ))?;
        } else {
            write_stdout(format_args!(
                "\nthe built-in encoder judges at {:.3}; to hold it to the line these sets support, put under [checks] in genpath.toml:\n  embedding_min_similarity = {t:.3}\n",
                crate::checks::BUILTIN_MIN_SIMILARITY
            ))?;
        }
        if tp < 0.8 {
            write_stdout(format_args!(
                "note: that line passes only {:.0}% of the sets that should pass: the model separates these sets poorly; label more sets, or try another model\n",
                tp * 100.0
            ))?;
        }
    }
    if !args.write.is_empty() {
        write_thresholds(def, &report, args.write)?;
    }
    Ok(())
}

/// Write the report's suggested thresholds into exercise files: every file
/// is edited in memory and checked first, so a value out of range or a file
/// that does not use the check writes nothing at all.
fn write_thresholds(def: &registry::CheckDef, report: &Report, targets: &[PathBuf]) -> Result<()> {
    let mut values = Vec::new();
    for m in &report.measures {
        let (Some(param), Some((t, tp))) = (&m.param, m.suggested) else { continue };
        if tp < 0.8 {
            write_stdout(format_args!(
                "\nnote: {param} at this rate passes only {:.0}% of the work that should pass; more labelled sets give a better line\n",
                tp * 100.0
            ))?;
        }
        let p = def.param(param).ok_or_else(|| anyhow::anyhow!("{}: no parameter {param} (a bug)", def.name))?;
        let text = calibrate::threshold_text(t, m.passes, p.kind).map_err(|e| UsageError(format!("{param}: {e}")))?;
        values.push((param.clone(), text));
    }
    if values.is_empty() {
        return Err(UsageError(format!(
            "nothing to write: no measure of {} found a threshold at this false-pass rate",
            def.name
        ))
        .into());
    }
    let mut files = Vec::new();
    for t in targets {
        if t.is_dir() {
            let mut found = Vec::new();
            exercise_files(t, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(t.clone());
        }
    }
    let mut edited = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).with_context(|| format!("Failed to read {}", f.display()))?;
        let (out, written) = calibrate::write_thresholds(&text, def.name, &values)
            .map_err(|e| UsageError(format!("{}: {e}", f.display())))?;
        if !written.is_empty() {
            edited.push((f, out, written));
        }
    }
    if edited.is_empty() {
        return Err(UsageError(format!(
            "no exercise in {} uses {}; nothing was written",
            display_list(targets),
            def.name
        ))
        .into());
    }
    write_stdout(format_args!("\nwritten\n"))?;
    for (f, out, written) in edited {
        crate::workspace::write_atomic(f, out.as_bytes())?;
        for w in written {
            let was = w.old.map_or("default".to_string(), |o| o);
            write_stdout(format_args!("  {}:{}: {} = {} (was {was})\n", f.display(), w.line, w.param, w.new))?;
        }
    }
    Ok(())
}

fn display_list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Every `exercise.toml` under a folder (a curriculum is a few dozen).
fn exercise_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("Failed to read the folder {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            exercise_files(&path, out)?;
        } else if kind.is_file() && path.file_name().is_some_and(|n| n == "exercise.toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The check's spec: its defaults, with `--param key=value` (TOML values) over them.
fn spec(check: &str, params: &[String]) -> Result<CheckSpec> {
    let mut table = toml::Table::new();
    for p in params {
        let parsed: toml::Table = toml::from_str(p)
            .map_err(|e| UsageError(format!("--param {p}: not `key = value` in TOML ({})", e.message())))?;
        table.extend(parsed);
    }
    Ok(CheckSpec { check: check.into(), severity: Severity::Essential, params: table.into_iter().collect() })
}

/// `DIR=IDENTITY` names the identity a folder shows (folders with one
/// identity are never mixed into a different set); a bare `DIR` is its own.
fn folder_and_identity(arg: &Path) -> (PathBuf, String) {
    let text = arg.to_string_lossy();
    match text.rsplit_once('=') {
        Some((dir, identity)) if !dir.is_empty() && !identity.is_empty() && !Path::new(&*text).exists() => {
            (PathBuf::from(dir), identity.to_string())
        }
        _ => (arg.to_path_buf(), text.trim_end_matches('/').to_string()),
    }
}

/// The images directly in `dir`, sorted by name.
fn images_in(dir: &Path) -> Result<Vec<Image>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("Failed to read the folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg" | "webp"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(UsageError(format!("{} has no PNG, JPEG or WebP image", dir.display())).into());
    }
    files
        .iter()
        .map(|f| {
            let bytes = crate::imaging::read_file(f).with_context(|| format!("Failed to read {}", f.display()))?;
            Ok(Image::load(f.display().to_string(), bytes))
        })
        .collect()
}

fn render(r: &Report, each: bool) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{} over labelled groups\n", r.check);
    if each {
        out.push('\n');
        for (g, o) in &r.outcomes {
            let values: Vec<String> = o.measures.iter().map(|m| format!("{} {}", m.name, number(m.value))).collect();
            let value = if values.is_empty() { o.value.map_or("-".into(), number) } else { values.join("  ") };
            let _ = writeln!(out, "{} {:22} {}  {value}", o.mark(), g.kind.name(), g.label);
        }
    }
    out.push_str("\nverdict as configured\n");
    for (kind, n, passed) in r.verdicts() {
        let _ = writeln!(out, "  {:22} {passed:>3} of {n:<3} pass", kind.name());
    }
    for m in &r.measures {
        let side = match m.passes {
            Passes::AtLeast => "≥",
            Passes::AtMost => "≤",
        };
        let _ = writeln!(out, "\n{} (passes {side} threshold; now {})", m.name, m.threshold.map_or("-".into(), number));
        for (label, values) in [("should pass", &m.positives), ("should fail", &m.negatives)] {
            if let Some([min, p5, p50, p95, max]) = calibrate::spread(values) {
                let _ = writeln!(
                    out,
                    "  {label:12} n {:<4} min {} p5 {} median {} p95 {} max {}",
                    values.len(),
                    number(min),
                    number(p5),
                    number(p50),
                    number(p95),
                    number(max)
                );
            }
        }
        let by_kind: Vec<String> = m.auc_by_kind.iter().map(|(k, a)| format!("{} {a:.3}", k.name())).collect();
        if by_kind.is_empty() {
            let _ = writeln!(out, "  ROC AUC {:.3}", m.auc);
        } else {
            let _ = writeln!(out, "  ROC AUC {:.3} (against {})", m.auc, by_kind.join(", against "));
        }
        if let Some((t, tp)) = m.suggested {
            let _ = writeln!(
                out,
                "  at most {:.0}% of should-fail groups passing: threshold {side} {} passes {:.0}% of should-pass groups",
                r.max_false_pass * 100.0,
                number(t),
                tp * 100.0
            );
        }
    }
    if r.measures.is_empty() {
        out.push_str("\n(this check reports no separate measures; the verdicts above are its calibration)\n");
    }
    let wrong: Vec<_> = r.outcomes.iter().filter(|(g, o)| o.passed != g.kind.should_pass()).collect();
    if !wrong.is_empty() {
        let _ = writeln!(out, "\nwrong verdicts ({}):", wrong.len());
        for (g, o) in wrong {
            let _ = writeln!(out, "  {} {} — {}", o.mark(), g.label, o.message);
        }
    }
    out
}
