//! Image embeddings in identity checks: the built-in encoder a workspace
//! judges with by default (and `builtin_embedding = false`), its measured
//! separation of the fixtures' real sets, a model of the user's with its
//! line from the workspace or the exercise, and `genpath calibrate
//! --embedding-model`. A user's model is played by the tiny ONNX model the
//! library builds in code. Built with `--no-default-features`, identity is
//! judged by colour alone and a configured model is a clear error that says
//! how to get a genpath that reads it.

use std::path::{Path, PathBuf};

use crate::common::{run, stderr, stdout};

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subjects/photos").join(name)
}

fn image_paths(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg" || e == "png"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A workspace whose genpath.toml names an embedding model (and a line).
fn workspace_with_model(model: &[u8], line: Option<f64>) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(ws.path().join("tiny.onnx"), model).unwrap();
    let line = line.map_or(String::new(), |l| format!("embedding_min_similarity = {l}\n"));
    std::fs::write(ws.path().join("genpath.toml"), format!("[checks]\nembedding_model = \"tiny.onnx\"\n{line}"))
        .unwrap();
    ws
}

#[cfg(not(feature = "embedding"))]
#[test]
fn a_configured_embedding_model_without_the_feature_is_a_clear_error() {
    let ws = workspace_with_model(b"not read", Some(0.6));
    let mut args = vec!["check", "control.consistent-character"];
    let images = image_paths(&fixture_dir("dog6"));
    args.extend(images.iter().map(String::as_str));
    args.extend(["--json", "--no-images"]);
    let o = run(ws.path(), &args);
    let err = stderr(&o);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(err.contains("tiny.onnx") && err.contains("--no-default-features"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Only an exercise with a check that reads the model loads it: one that
/// never judges a set neither waits for the model nor fails on a bad one.
#[test]
fn an_exercise_without_a_set_check_never_loads_the_model() {
    let ws = workspace_with_model(b"not an onnx model", Some(0.6));
    let images = image_paths(&fixture_dir("dog6"));
    let o = run(ws.path(), &["check", "fluency.first-image", &images[0], "--json", "--no-images"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    assert!(v["outcomes"].as_array().is_some_and(|a| !a.is_empty()), "{}{}", stdout(&o), stderr(&o));
    assert!(!stderr(&o).contains("tiny.onnx"), "{}", stderr(&o));
}

/// The identity outcome of `genpath check control.consistent-character` on
/// `images` in the workspace `ws`, as JSON.
fn identity_outcome(ws: &Path, images: &[String]) -> serde_json::Value {
    let mut args = vec!["check", "control.consistent-character"];
    args.extend(images.iter().map(String::as_str));
    args.extend(["--json", "--no-images"]);
    let o = run(ws, &args);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    v["outcomes"].as_array().unwrap().iter().find(|o| o["check"] == "identity_consistency").unwrap().clone()
}

fn embedding_measure(identity: &serde_json::Value) -> Option<serde_json::Value> {
    identity["measures"].as_array().unwrap().iter().find(|m| m["name"] == "odd_one_out_embedding_similarity").cloned()
}

/// Four photos of a dog and one of a cat: the colours pass (odd one out
/// ΔE00 5.7), and only an encoder tells the cat from the dogs. With no model
/// named, a workspace judges with the built-in encoder at its line and
/// fails the set; `builtin_embedding = false` judges by colour alone, as a
/// genpath built without the runtime does.
#[test]
fn a_workspace_judges_identity_with_the_builtin_encoder_unless_told_not_to() {
    let ws = tempfile::tempdir().unwrap();
    let mut images: Vec<String> = image_paths(&fixture_dir("dog6")).into_iter().take(4).collect();
    images.push(image_paths(&fixture_dir("cat"))[0].clone());

    let identity = identity_outcome(ws.path(), &images);
    if cfg!(feature = "embedding") {
        let m = embedding_measure(&identity).unwrap_or_else(|| panic!("no embedding measure: {identity}"));
        assert_eq!(m["threshold"], genpath::checks::BUILTIN_MIN_SIMILARITY, "{m}");
        assert!(m["value"].as_f64().unwrap() < genpath::checks::BUILTIN_MIN_SIMILARITY, "{m}");
        assert_eq!(identity["passed"], false, "{identity}");
        assert!(identity["message"].as_str().unwrap().contains("image 5"), "{identity}");
    } else {
        assert!(embedding_measure(&identity).is_none(), "{identity}");
        assert_eq!(identity["passed"], true, "{identity}");
    }

    std::fs::write(ws.path().join("genpath.toml"), "[checks]\nbuiltin_embedding = false\n").unwrap();
    let identity = identity_outcome(ws.path(), &images);
    assert!(embedding_measure(&identity).is_none(), "{identity}");
    assert_eq!(identity["passed"], true, "colour alone lets the cat through: {identity}");
}

#[cfg(feature = "embedding")]
mod with_the_feature {
    use super::*;
    use genpath::checks::{CheckSpec, Context, Deliverable, Embedding, Image, Severity, run_one};
    use genpath::imaging::embedding::{Embedder, tiny_test_model};

    fn images(dir: &Path) -> Vec<Image> {
        image_paths(dir).iter().map(|p| Image::load(p.clone(), std::fs::read(p).unwrap())).collect()
    }

    fn identity(params: &[(&str, f64)]) -> CheckSpec {
        CheckSpec {
            check: "identity_consistency".into(),
            severity: Severity::Essential,
            params: params.iter().map(|(k, v)| ((*k).to_string(), toml::Value::Float(*v))).collect(),
        }
    }

    fn model() -> (tempfile::TempDir, Embedder) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.onnx");
        std::fs::write(&path, tiny_test_model()).unwrap();
        let m = Embedder::load(&path).unwrap();
        (dir, m)
    }

    fn similarity(o: &genpath::checks::Outcome) -> (f64, Option<f64>) {
        let m = o.measures.iter().find(|m| m.name == "odd_one_out_embedding_similarity").expect("no embedding measure");
        (m.value, m.threshold)
    }

    /// Unset, the model's similarity is reported and not judged; set, the
    /// odd one out below it fails (and is named) where colour alone passed;
    /// an exercise's own line overrides the workspace's.
    #[test]
    fn identity_embedding_is_reported_until_a_line_is_set_then_judged() {
        let (_dir, m) = model();
        let d = Deliverable { file: "recipe.toml".into(), count: 0, width: None, height: None, description: None };
        let set = images(&fixture_dir("dog6"));
        let with = |min: Option<f64>| Context {
            embedding: Some(Embedding { model: &m, min_similarity: min, builtin: false }),
            ..Context::standalone(&d)
        };
        let plain = run_one(&identity(&[]), &set, &Context::standalone(&d));
        assert!(plain.passed, "{}", plain.message);
        assert!(plain.measures.iter().all(|m| m.name != "odd_one_out_embedding_similarity"));

        let reported = run_one(&identity(&[]), &set, &with(None));
        let (sim, threshold) = similarity(&reported);
        assert!(reported.passed && threshold.is_none(), "{}", reported.message);
        assert!((-1.0..=1.0).contains(&sim) && sim < 1.0, "{sim}");
        assert!(reported.message.contains("not judged"), "{}", reported.message);

        let strict = run_one(&identity(&[]), &set, &with(Some(sim + 0.001)));
        assert!(!strict.passed, "{}", strict.message);
        assert!(strict.message.contains("by the embedding model"), "{}", strict.message);
        assert_eq!(similarity(&strict).1, Some(sim + 0.001));
        // `value` keeps identity's one meaning, the palette's odd one out, in every outcome.
        assert_eq!(strict.value, reported.value);
        assert_eq!(strict.threshold, reported.threshold);

        let lenient = run_one(&identity(&[]), &set, &with(Some(sim - 0.001)));
        assert!(lenient.passed, "{}", lenient.message);
        // The exercise's line wins over the workspace's.
        let own = run_one(&identity(&[("min_embedding_similarity", -1.0)]), &set, &with(Some(sim + 0.001)));
        assert!(own.passed, "{}", own.message);
    }

    /// The built-in encoder: EfficientNet-Lite0 with its ImageNet weights,
    /// as `scripts/export_efficientnet_lite0.py` exports it
    /// (`models/README.md`).
    fn real_encoder() -> &'static Embedder {
        genpath::imaging::embedding::builtin().unwrap().expect("built with the embedding feature")
    }

    /// The line `genpath calibrate identity_consistency` prints for the 23
    /// fixture identities at a 5% false-pass rate (docs/checks.md), which
    /// the built-in encoder judges at. The test below also sets the line for
    /// each identity from the others only, so the rates do not rest on a
    /// line fitted to the sets it judges.
    const LITE0_LINE: f64 = genpath::checks::BUILTIN_MIN_SIMILARITY;

    /// The one-intruder target (a set of four images of one subject
    /// and one of another passes at most 10%), which no colour cue reaches
    /// (25.6% pass with colour alone: tests/it/subject.rs), met with a real
    /// encoder: measured 22 of 23 same sets (the cat and the duck toy under
    /// new light as "needs review", vouched for by the encoder), 0 of 23
    /// mixed and 7 of 496 one-intruder sets pass (two different dogs, and
    /// the IP-Adapter warrior among the faces and statues), AUC 0.990.
    #[test]
    fn a_real_encoder_catches_the_intruders_colour_lets_through() {
        use genpath::checks::Passes;
        use genpath::checks::calibrate::{Kind, calibrate, made_negatives, threshold_at};
        let m = real_encoder();
        assert_eq!(m.dim(), 1280);
        let same = crate::subject::identity_sets();
        let identity_of: std::collections::HashMap<String, String> =
            same.iter().map(|g| (g.label.clone(), g.identity.clone())).collect();
        let mut groups = made_negatives(&same);
        groups.extend(same);
        let d = crate::subject::no_deliverable();
        let ctx = Context {
            embedding: Some(Embedding { model: m, min_similarity: None, builtin: true }),
            ..Context::standalone(&d)
        };
        let report = calibrate(&identity(&[("min_embedding_similarity", LITE0_LINE)]), groups, &ctx, 0.05);

        let rate = |kind: Kind| {
            let (_, n, passed) = report.verdicts().into_iter().find(|v| v.0 == kind).unwrap();
            passed as f64 / n as f64
        };
        let e = report.measures.iter().find(|m| m.name == "odd_one_out_embedding_similarity").unwrap();
        let auc = |kind: Kind| e.auc_by_kind.iter().find(|(k, _)| *k == kind).unwrap().1;
        eprintln!(
            "with EfficientNet-Lite0 at {LITE0_LINE}: same {:.2}, mixed {:.2}, intruder {:.3}; AUC against intruders {:.3}, mixed {:.3}; suggested {:?}",
            rate(Kind::Same),
            rate(Kind::Mixed),
            rate(Kind::Intruder),
            auc(Kind::Intruder),
            auc(Kind::Mixed),
            e.suggested,
        );
        assert!(auc(Kind::Intruder) >= 0.92 && auc(Kind::Mixed) >= 0.92);
        assert!(rate(Kind::Same) >= 0.8);
        assert!(rate(Kind::Mixed) <= 0.05);
        assert!(rate(Kind::Intruder) <= 0.10);
        // calibrate reproduces the documented line.
        let (line, _) = e.suggested.unwrap();
        assert!((line - LITE0_LINE).abs() < 0.0005, "calibrate suggests {line:.4}");

        // Each identity judged by a line set on the others' sets alone.
        let similarity = |o: &genpath::checks::Outcome| {
            o.measures.iter().find(|m| m.name == "odd_one_out_embedding_similarity").unwrap().value
        };
        let identities_in = |g: &genpath::checks::calibrate::Group| -> Vec<String> {
            let label = g.label.replace(" (4)", "").replace(" (1)", "");
            label.split(" + ").map(|l| identity_of[l].clone()).collect()
        };
        let held_out: std::collections::BTreeSet<String> = identity_of.values().cloned().collect();
        let (mut same_passed, mut same_n, mut intruders_passed, mut intruders_n) = (0, 0, 0, 0);
        for id in &held_out {
            let (mut pos, mut neg) = (Vec::new(), Vec::new());
            for (g, o) in report.outcomes.iter().filter(|(g, _)| !identities_in(g).contains(id)) {
                if g.kind.should_pass() { pos.push(similarity(o)) } else { neg.push(similarity(o)) }
            }
            let (line, _) = threshold_at(&pos, &neg, Passes::AtLeast, 0.05).unwrap();
            for (g, o) in report.outcomes.iter().filter(|(g, _)| identities_in(g).contains(id)) {
                let passes = similarity(o) >= line;
                match g.kind {
                    Kind::Same => (same_passed, same_n) = (same_passed + usize::from(passes), same_n + 1),
                    Kind::Intruder => {
                        (intruders_passed, intruders_n) = (intruders_passed + usize::from(passes), intruders_n + 1)
                    }
                    _ => {}
                }
            }
        }
        eprintln!(
            "lines from the other identities: same {same_passed}/{same_n}, intruders {intruders_passed}/{intruders_n}"
        );
        assert_eq!(same_n, 23);
        assert!(same_passed as f64 >= 0.8 * same_n as f64);
        assert!(intruders_passed as f64 <= 0.10 * intruders_n as f64);
    }

    /// Identity as a workspace judges it (colour and the built-in encoder)
    /// gives a set and the changes a reviewer would not call a different
    /// picture (90% crop, 3% shift, JPEG q75) the same verdict: the odd one
    /// out's similarity stays on its side of the line and moves little, and
    /// the sets whose colours sit on their lines are sent to a person both
    /// ways rather than passing one way and failing the other.
    #[test]
    fn identity_with_the_builtin_encoder_survives_crop_shift_and_jpeg() {
        let d = crate::subject::no_deliverable();
        let ctx = Context { embedding: Embedding::builtin_for(&[identity(&[])]).unwrap(), ..Context::standalone(&d) };
        let check = identity(&[]);
        let (mut worst, mut agree, mut total, mut changed): (f64, usize, usize, Vec<String>) = (0.0, 0, 0, Vec::new());
        for set in crate::subject::identity_sets() {
            let base = run_one(&check, &set.images, &ctx);
            let (b, _) = similarity(&base);
            for (name, change) in crate::subject::variants() {
                let o = run_one(&check, &crate::subject::varied(&set.images, change), &ctx);
                let (v, _) = similarity(&o);
                worst = worst.max((v - b).abs());
                assert_eq!(v >= LITE0_LINE, b >= LITE0_LINE, "{} {name}: {b:.3} → {v:.3}", set.label);
                total += 1;
                if o.passed == base.passed {
                    agree += 1;
                } else {
                    changed.push(format!("{} {name} {}→{}: {}", set.label, base.mark(), o.mark(), o.message));
                }
            }
        }
        eprintln!("the odd one out's similarity moves at most {worst:.3}; verdicts agree {agree}/{total}: {changed:?}");
        // Measured: 0.097 at most.
        assert!(worst < 0.15, "{worst:.3}");
        assert_eq!(agree, total, "{changed:?}");
    }

    /// `scene_variety` with the built-in encoder, on the real sets sorted by
    /// looking at them (docs/checks.md, `scene_variety` defaults): every set
    /// shot in different places passes, and so does every set of four
    /// different subjects' first images; of the eleven shot in one place,
    /// six fail — five because their backgrounds embed alike (one garden,
    /// one beach, one grey backdrop, a drawing on white), the cat on its
    /// burst — where colour-free pHash and keypoints failed two.
    #[test]
    fn scene_variety_fails_one_place_by_the_builtin_encoder() {
        let d = crate::subject::no_deliverable();
        let ctx = Context { embedding: Embedding::builtin_for(&[identity(&[])]).unwrap(), ..Context::standalone(&d) };
        let check = CheckSpec { check: "scene_variety".into(), ..identity(&[]) };
        let varied = [
            "backpack",
            "bear_plushie",
            "can",
            "dog",
            "dog3",
            "duck_toy",
            "fancy_boot",
            "monster_toy",
            "poop_emoji",
            "shiny_sneaker",
            "clock",
            "vase",
        ];
        let sets = crate::subject::identity_sets();
        let (mut one_place_failed, mut by_encoder) = (0, 0);
        for set in &sets {
            let o = run_one(&check, &set.images, &ctx);
            let alike = o.measures.iter().find(|m| m.name == "background_similarity").map(|m| m.value);
            eprintln!("{}: {} {alike:?} {}", set.label, o.mark(), o.message);
            if varied.iter().any(|v| set.label == format!("photos/{v}")) {
                assert!(o.passed, "{}: {}", set.label, o.message);
            } else if !o.passed {
                one_place_failed += 1;
                by_encoder += usize::from(o.message.contains("one place"));
            }
        }
        assert_eq!(sets.len(), varied.len() + 11);
        assert!(
            one_place_failed >= 6 && by_encoder >= 5,
            "{one_place_failed} one-place sets fail, {by_encoder} by the encoder"
        );
        // Four different subjects, each in its own place: varied.
        for i in 0..sets.len() {
            let four: Vec<Image> = (0..4).map(|k| sets[(i + k) % sets.len()].images[0].clone()).collect();
            let o = run_one(&check, &four, &ctx);
            assert!(o.passed, "four subjects from {}: {}", sets[i].label, o.message);
        }
    }

    /// `genpath calibrate --embedding-model` measures the model beside the
    /// colour measures and prints the workspace line; a file that is not a
    /// model is an error naming it.
    #[test]
    fn calibrate_measures_an_embedding_model_and_prints_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("tiny.onnx");
        std::fs::write(&model, tiny_test_model()).unwrap();
        let dirs: Vec<String> =
            ["backpack", "can", "dog6"].iter().map(|d| fixture_dir(d).to_string_lossy().into_owned()).collect();
        let mut args = vec!["calibrate", "identity_consistency", "--same"];
        args.extend(dirs.iter().map(String::as_str));
        // A loose false-pass rate: the tiny model is no encoder, and the
        // line is what is under test, not how well it separates.
        args.extend(["--false-pass", "0.5", "--embedding-model", model.to_str().unwrap()]);
        let o = run(dir.path(), &args);
        let out = stdout(&o);
        assert!(o.status.success(), "{out}{}", stderr(&o));
        assert!(out.contains("odd_one_out_embedding_similarity (passes ≥ threshold"), "{out}");
        assert!(out.contains("embedding_min_similarity = "), "{out}");

        let junk = dir.path().join("junk.onnx");
        std::fs::write(&junk, b"this is not a model").unwrap();
        let last = args.len() - 1;
        args[last] = junk.to_str().unwrap();
        let o = run(dir.path(), &args);
        assert!(!o.status.success(), "{}", stdout(&o));
        assert!(stderr(&o).contains("junk.onnx") && stderr(&o).contains("not an ONNX model"), "{}", stderr(&o));
    }

    /// A workspace's `[checks] embedding_model` reaches `genpath check`: the
    /// JSON carries the measure, held to the workspace's line.
    #[test]
    fn a_workspace_embedding_model_reaches_genpath_check() {
        let ws = workspace_with_model(&tiny_test_model(), Some(0.999_999));
        let mut args = vec!["check", "control.consistent-character"];
        let images = image_paths(&fixture_dir("dog6"));
        args.extend(images.iter().map(String::as_str));
        args.extend(["--json", "--no-images"]);
        let o = run(ws.path(), &args);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        let identity =
            v["outcomes"].as_array().unwrap().iter().find(|o| o["check"] == "identity_consistency").unwrap().clone();
        let measure = identity["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "odd_one_out_embedding_similarity")
            .unwrap_or_else(|| panic!("no embedding measure: {identity}"))
            .clone();
        assert_eq!(measure["threshold"], 0.999_999, "{measure}");
        assert_eq!(identity["passed"], false, "{identity}");

        // A model file that is not there: an error naming genpath.toml and the file.
        std::fs::remove_file(ws.path().join("tiny.onnx")).unwrap();
        let o = run(ws.path(), &args);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("embedding_model") && stderr(&o).contains("tiny.onnx"), "{}", stderr(&o));
    }
}
