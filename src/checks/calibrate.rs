//! Calibration: run one check over groups labelled by a person ("should
//! pass", "should fail") and say how well each of its measures separates
//! them — the distributions, the ROC AUC, and the threshold that lets at
//! most a chosen share of the "should fail" groups through. Thresholds are
//! set from this, never from making one fixture pass (`genpath calibrate`;
//! `docs/checks.md` records what it found on the shared data).

use super::{CheckSpec, Context, Image, Outcome, Passes, run_one};

/// Images a person labelled: one set (for a set check) or one image.
#[derive(Debug, Clone)]
pub struct Group {
    /// Where it came from, as the user knows it.
    pub label: String,
    /// Sets with one identity are never mixed into a "different" set (two
    /// folders of one statue in different scenes are still one statue).
    pub identity: String,
    pub kind: Kind,
    pub images: Vec<Image>,
}

/// What a person says about a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One subject (set checks) or a good image: should pass.
    Same,
    /// Given as different: should fail.
    Different,
    /// Made from the `Same` sets: one image of each of three subjects.
    Mixed,
    /// Made from the `Same` sets: four images of one subject and one of another.
    Intruder,
}

impl Kind {
    pub fn should_pass(self) -> bool {
        self == Kind::Same
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::Same => "same",
            Kind::Different => "different",
            Kind::Mixed => "mixed (3 subjects)",
            Kind::Intruder => "one intruder (4 + 1)",
        }
    }
}

/// The negatives a set check is usually fooled by, made from same-subject
/// sets of at least three identities: for each set, its first image with
/// the first of the next two sets of other identities (a mixed set), and
/// its first four images with the first image of *every* set of another
/// identity (one intruder each). Every stranger, not one per set: the
/// intruders a check lets through are the look-alikes, and which set
/// happens to come next says nothing about how many there are (on the
/// fixtures, one stranger per set let 3 of 23 through; every stranger,
/// 107 of 496).
pub fn made_negatives(same: &[Group]) -> Vec<Group> {
    let n = same.len();
    let mut out = Vec::new();
    for (i, a) in same.iter().enumerate() {
        let others = || (1..n).map(move |k| &same[(i + k) % n]).filter(|g| g.identity != a.identity);
        let mut next = others();
        let Some(b) = next.next() else { continue };
        let Some(c) = next.find(|g| g.identity != b.identity) else { continue };
        let firsts: Vec<Image> = [a, b, c].iter().filter_map(|g| g.images.first().cloned()).collect();
        let label = format!("{} + {} + {}", a.label, b.label, c.label);
        out.push(Group { label, identity: String::new(), kind: Kind::Mixed, images: firsts });
        if a.images.len() < 4 {
            continue;
        }
        for b in others() {
            let Some(stranger) = b.images.first() else { continue };
            let mut images: Vec<Image> = a.images.iter().take(4).cloned().collect();
            images.push(stranger.clone());
            let label = format!("{} (4) + {} (1)", a.label, b.label);
            out.push(Group { label, identity: String::new(), kind: Kind::Intruder, images });
        }
    }
    out
}

/// One measure over every group.
#[derive(Debug, Clone)]
pub struct MeasureReport {
    pub name: String,
    pub passes: Passes,
    /// The threshold the check used.
    pub threshold: Option<f64>,
    /// Values of the groups that should pass, and of those that should fail.
    pub positives: Vec<f64>,
    pub negatives: Vec<f64>,
    /// Probability that a random should-pass group scores better than a
    /// random should-fail one (ties count half).
    pub auc: f64,
    /// The same against each kind of should-fail group on its own, where
    /// there is more than one kind (made mixed sets and one-intruder sets
    /// are different questions, and one-intruder sets outnumber the rest).
    pub auc_by_kind: Vec<(Kind, f64)>,
    /// The most lenient threshold that lets at most the chosen share of
    /// should-fail groups pass, and the share of should-pass groups that
    /// pass at it.
    pub suggested: Option<(f64, f64)>,
    /// The check parameter that holds this measure's threshold.
    pub param: Option<String>,
}

/// A check run over labelled groups.
#[derive(Debug, Clone)]
pub struct Report {
    pub check: String,
    pub outcomes: Vec<(Group, Outcome)>,
    pub measures: Vec<MeasureReport>,
    pub max_false_pass: f64,
}

impl Report {
    /// (kind, groups of that kind, how many passed the check as configured).
    pub fn verdicts(&self) -> Vec<(Kind, usize, usize)> {
        [Kind::Same, Kind::Different, Kind::Mixed, Kind::Intruder]
            .into_iter()
            .filter_map(|k| {
                let of: Vec<_> = self.outcomes.iter().filter(|(g, _)| g.kind == k).collect();
                (!of.is_empty()).then(|| (k, of.len(), of.iter().filter(|(_, o)| o.passed).count()))
            })
            .collect()
    }
}

/// Run `spec` over every group and measure how well it separates them.
pub fn calibrate(spec: &CheckSpec, groups: Vec<Group>, ctx: &Context<'_>, max_false_pass: f64) -> Report {
    let outcomes: Vec<(Group, Outcome)> = groups
        .into_iter()
        .map(|g| {
            let o = run_one(spec, &g.images, ctx);
            (g, o)
        })
        .collect();
    let names: Vec<(String, Passes, Option<f64>, Option<String>)> = outcomes
        .iter()
        .find_map(|(_, o)| (!o.measures.is_empty()).then(|| o.measures.clone()))
        .map(|ms| ms.into_iter().map(|m| (m.name, m.passes, m.threshold, m.param)).collect())
        .unwrap_or_default();
    let measures = names
        .into_iter()
        .map(|(name, passes, threshold, param)| {
            let value_of = |o: &Outcome| o.measures.iter().find(|m| m.name == name).map(|m| m.value);
            // The finite values of the groups whose kind `keep` accepts.
            let pick = |keep: &dyn Fn(Kind) -> bool| -> Vec<f64> {
                outcomes
                    .iter()
                    .filter(|(g, _)| keep(g.kind))
                    .filter_map(|(_, o)| value_of(o))
                    .filter(|v| v.is_finite())
                    .collect()
            };
            let (positives, negatives) = (pick(&|k| k.should_pass()), pick(&|k| !k.should_pass()));
            let kinds: Vec<(Kind, Vec<f64>)> = [Kind::Different, Kind::Mixed, Kind::Intruder]
                .into_iter()
                .map(|kind| (kind, pick(&|k| k == kind)))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            let auc_by_kind = if kinds.len() > 1 {
                kinds.iter().map(|(k, v)| (*k, auc(&positives, v, passes))).collect()
            } else {
                Vec::new()
            };
            let auc = auc(&positives, &negatives, passes);
            let suggested = threshold_at(&positives, &negatives, passes, max_false_pass);
            MeasureReport { name, passes, threshold, positives, negatives, auc, auc_by_kind, suggested, param }
        })
        .collect();
    Report { check: spec.check.clone(), outcomes, measures, max_false_pass }
}

/// `v` oriented so that larger is better.
fn oriented(v: f64, passes: Passes) -> f64 {
    match passes {
        Passes::AtLeast => v,
        Passes::AtMost => -v,
    }
}

/// ROC AUC (Mann–Whitney): the share of (positive, negative) pairs the
/// measure orders the right way, ties counting half. NaN without both.
pub fn auc(positives: &[f64], negatives: &[f64], passes: Passes) -> f64 {
    if positives.is_empty() || negatives.is_empty() {
        return f64::NAN;
    }
    let mut right = 0.0;
    for p in positives {
        for n in negatives {
            let (p, n) = (oriented(*p, passes), oriented(*n, passes));
            right += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    right / (positives.len() * negatives.len()) as f64
}

/// The most lenient threshold at which at most `max_false_pass` of the
/// negatives pass, with the share of positives that pass at it. A measure
/// passes when it is at least (or at most) the threshold.
pub fn threshold_at(positives: &[f64], negatives: &[f64], passes: Passes, max_false_pass: f64) -> Option<(f64, f64)> {
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    let passes_at = |v: f64, t: f64| oriented(v, passes) >= oriented(t, passes);
    let share = |vs: &[f64], t: f64| vs.iter().filter(|v| passes_at(**v, t)).count() as f64 / vs.len() as f64;
    let mut candidates: Vec<f64> = positives.iter().chain(negatives).copied().collect();
    // From the most lenient candidate to the strictest: the first that holds.
    candidates.sort_by(|a, b| oriented(*a, passes).total_cmp(&oriented(*b, passes)));
    candidates.into_iter().find(|t| share(negatives, *t) <= max_false_pass + 1e-12).map(|t| (t, share(positives, t)))
}

/// Percentiles of a sample: min, p5, median, p95, max.
pub fn spread(values: &[f64]) -> Option<[f64; 5]> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Some([at(0.0), at(0.05), at(0.5), at(0.95), at(1.0)])
}

/// One threshold `write_thresholds` set.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// 1-based line of the value in the new text.
    pub line: usize,
    pub param: String,
    /// The value it replaced, as written (`None`: the default applied).
    pub old: Option<String>,
    pub new: String,
}

/// A suggested threshold as a check parameter holds it: rounded towards
/// the stricter side (three decimals, or a whole number for an integer
/// parameter) so the written line fails no more should-fail work than the
/// measured one.
pub fn threshold_text(value: f64, passes: Passes, kind: super::registry::ParamKind) -> Result<String, String> {
    use super::registry::ParamKind;
    let stricter = |v: f64| match passes {
        Passes::AtLeast => v.ceil(),
        Passes::AtMost => v.floor(),
    };
    match kind {
        ParamKind::Integer { min, max } => {
            let v = stricter(value) as i64;
            if !(min..=max).contains(&v) {
                return Err(format!("{v} is outside its range {min}..={max}"));
            }
            Ok(v.to_string())
        }
        ParamKind::Number { min, max } => {
            let v = stricter(value * 1000.0) / 1000.0;
            if !(min..=max).contains(&v) {
                return Err(format!("{v} is outside its range {min}..={max}"));
            }
            let text = format!("{v:.3}");
            let text = text.trim_end_matches('0');
            Ok(if text.ends_with('.') { format!("{text}0") } else { text.to_string() })
        }
        other => Err(format!("a {other:?} parameter does not hold a threshold")),
    }
}

/// Set check parameters in an exercise.toml's text: every `[[checks]]`
/// entry of `check` gets each `(param, value)` — the value replaced where
/// the entry sets it, a line added under `check = …` where it does not.
/// Everything else (comments, order, spacing) is kept byte for byte.
pub fn write_thresholds(
    text: &str,
    check: &str,
    values: &[(String, String)],
) -> Result<(String, Vec<Written>), String> {
    use crate::diagnostics::{Seg, Spans};
    let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let entries: Vec<usize> = table
        .get("checks")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .enumerate()
                .filter(|(_, e)| e.get("check").and_then(|c| c.as_str()) == Some(check))
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default();
    let spans = Spans::new(text);
    // (start, end, replacement, param, old)
    let mut edits: Vec<(usize, usize, String, String, Option<String>)> = Vec::new();
    for &i in &entries {
        for (param, value) in values {
            let at = [Seg::Key("checks"), Seg::Index(i), Seg::Key(param)];
            match spans.span(&at) {
                Some(r) => edits.push((r.start, r.end, value.clone(), param.clone(), Some(text[r].to_string()))),
                None => {
                    let name = spans
                        .span(&[Seg::Key("checks"), Seg::Index(i), Seg::Key("check")])
                        .ok_or_else(|| format!("entry {} of `checks` has no `check` line to write under", i + 1))?;
                    let eol = text[name.end..].find('\n').map_or(text.len(), |n| name.end + n);
                    edits.push((eol, eol, format!("\n{param} = {value}"), param.clone(), None));
                }
            }
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, with, _, _) in &edits {
        out.replace_range(*start..*end, with);
    }
    // Lines in the new text, first to last.
    let mut written = Vec::new();
    let mut shift: isize = 0;
    for (start, end, with, param, old) in edits.into_iter().rev() {
        let at = (start as isize + shift) as usize + usize::from(old.is_none());
        shift += with.len() as isize - (end - start) as isize;
        let line = out[..at].matches('\n').count() + 1;
        let new = with.trim_start_matches('\n').trim_start_matches(&format!("{param} = ")).to_string();
        written.push(Written { line, param, old, new });
    }
    Ok((out, written))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_in_the_right_order() {
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0], Passes::AtLeast), 1.0);
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0], Passes::AtMost), 0.0);
        assert_eq!(auc(&[1.0], &[1.0], Passes::AtLeast), 0.5);
        assert_eq!(auc(&[2.0, 0.0], &[1.0], Passes::AtLeast), 0.5);
        assert!(auc(&[], &[1.0], Passes::AtLeast).is_nan());
    }

    #[test]
    fn the_suggested_threshold_holds_the_false_pass_rate() {
        // Distances (lower passes): same sets 2..=10, different 8..=30.
        let same: Vec<f64> = (2..=10).map(f64::from).collect();
        let diff: Vec<f64> = (8..=30).map(f64::from).collect();
        let (t, tp) = threshold_at(&same, &diff, Passes::AtMost, 0.05).unwrap();
        let fp = diff.iter().filter(|v| **v <= t).count() as f64 / diff.len() as f64;
        assert!(fp <= 0.05, "threshold {t} lets {fp} through");
        assert_eq!(t, 8.0);
        assert!((tp - 7.0 / 9.0).abs() < 1e-9);
        // No false pass allowed: strictly below every negative.
        let (t, _) = threshold_at(&same, &diff, Passes::AtMost, 0.0).unwrap();
        assert_eq!(t, 7.0);
    }

    #[test]
    fn thresholds_are_written_in_place_or_under_their_check_and_nothing_else_moves() {
        let text = "title = \"x\"\n\n# identity, tuned by hand\n[[checks]]\ncheck = \"identity_consistency\"\nmax_palette_delta_e = 11.0 # keep\n\n[[checks]]\ncheck = \"format\"\n\n[[checks]]\ncheck = \"identity_consistency\"\n";
        let values = vec![
            ("max_palette_delta_e".to_string(), "9.5".to_string()),
            ("max_odd_delta_e".to_string(), "12.25".to_string()),
        ];
        let (out, written) = write_thresholds(text, "identity_consistency", &values).unwrap();
        assert_eq!(
            out,
            "title = \"x\"\n\n# identity, tuned by hand\n[[checks]]\ncheck = \"identity_consistency\"\nmax_odd_delta_e = 12.25\nmax_palette_delta_e = 9.5 # keep\n\n[[checks]]\ncheck = \"format\"\n\n[[checks]]\ncheck = \"identity_consistency\"\nmax_odd_delta_e = 12.25\nmax_palette_delta_e = 9.5\n"
        );
        let lines: Vec<(usize, &str, Option<&str>)> =
            written.iter().map(|w| (w.line, w.param.as_str(), w.old.as_deref())).collect();
        assert_eq!(
            lines,
            [
                (6, "max_odd_delta_e", None),
                (7, "max_palette_delta_e", Some("11.0")),
                (14, "max_odd_delta_e", None),
                (15, "max_palette_delta_e", None)
            ]
        );
        for w in &written {
            assert!(out.lines().nth(w.line - 1).unwrap().starts_with(&format!("{} = {}", w.param, w.new)), "{w:?}");
        }
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(parsed["checks"][0]["max_palette_delta_e"].as_float(), Some(9.5));
        assert!(write_thresholds("not toml [", "x", &values).is_err());
    }

    #[test]
    fn a_written_threshold_rounds_to_the_stricter_side_and_stays_in_range() {
        use crate::checks::registry::ParamKind;
        let n = ParamKind::Number { min: 0.0, max: 100.0 };
        assert_eq!(threshold_text(12.34567, Passes::AtMost, n).unwrap(), "12.345");
        assert_eq!(threshold_text(12.34567, Passes::AtLeast, n).unwrap(), "12.346");
        assert_eq!(threshold_text(3.0, Passes::AtLeast, n).unwrap(), "3.0");
        let i = ParamKind::Integer { min: 0, max: 64 };
        assert_eq!(threshold_text(15.2, Passes::AtLeast, i).unwrap(), "16");
        assert_eq!(threshold_text(15.8, Passes::AtMost, i).unwrap(), "15");
        assert!(threshold_text(70.0, Passes::AtMost, i).is_err());
        assert!(threshold_text(1.0, Passes::AtMost, ParamKind::Bool).is_err());
    }
}
