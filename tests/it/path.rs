//! The learning path end to end: every exercise is honest, and a learner who
//! copies each solution in turn reaches all three milestones.

use std::path::Path;

use crate::common::*;
use genpath::curriculum::Curriculum;

#[test]
fn every_starter_fails_its_lesson_and_every_solution_passes() {
    let curriculum = Curriculum::builtin().unwrap();
    assert!(curriculum.exercises.len() >= 16, "only {} exercises", curriculum.exercises.len());
    for stage in ["fluency", "control", "systems"] {
        assert!(curriculum.stage(stage).is_some_and(|s| !s.exercises.is_empty()), "stage {stage} is empty");
    }
    let reports: Vec<_> = {
        use rayon::prelude::*;
        curriculum.exercises.par_iter().map(|e| genpath::commands::dev_check::check_exercise(&curriculum, e)).collect()
    };
    for (r, e) in reports.iter().zip(&curriculum.exercises) {
        assert!(r.problems.is_empty(), "{}: {:?}", r.exercise, r.problems);
        assert!(r.starter_fails.contains(&e.lesson), "{}: the starter must fail its lesson check {}", e.id, e.lesson);
    }
}

#[test]
fn a_learner_who_copies_each_solution_reaches_every_milestone() {
    let ws = tempfile::tempdir().unwrap();
    let curriculum = Curriculum::builtin().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Locked stages refuse to run before their milestone.
    let o = run(ws.path(), &["run", "control.edge-layout"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
    for e in &curriculum.exercises {
        let dest = ws.path().join("recipes").join(&e.id).join(&e.deliverable.file);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(root.join(e.solution_path()), &dest).unwrap();
        let o = run(ws.path(), &["run", &e.id]);
        assert!(o.status.success(), "{}: {}\n{}", e.id, stdout(&o), stderr(&o));
        assert!(stdout(&o).contains("PASSED"), "{}", stdout(&o));
    }
    let o = run(ws.path(), &["progress", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for stage in v["progress"]["stages"].as_array().unwrap() {
        assert_eq!(stage["milestone_reached"], true, "{stage}");
        let at = stage["milestone_reached_at"].as_str().expect("milestone has a date");
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    }
    let text = stdout(&run(ws.path(), &["progress"]));
    assert_eq!(text.matches("reached 20").count(), 3, "{text}");

    // The portfolio shows the best passing work by capability, with nothing private in it.
    let site = ws.path().join("site");
    let o = run(ws.path(), &["portfolio", "--out", site.to_str().unwrap()]);
    let pieces = format!("wrote {} piece(s)", curriculum.exercises.len());
    assert!(o.status.success() && stdout(&o).contains(&pieces), "{}{}", stdout(&o), stderr(&o));
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    let md = std::fs::read_to_string(site.join("portfolio.md")).unwrap();
    for heading in ["Control", "Consistency", "Reproducibility", "Judgment", "Integration"] {
        assert!(html.contains(&format!(">{heading}</h2>")), "no {heading} section");
        assert!(md.contains(&format!("## {heading}")), "no {heading} section in Markdown");
    }
    assert!(html.contains("The write-up") && html.contains("Evidence") && html.contains("<img src=\"images/"));
    let private = ws.path().display().to_string();
    for text in [&html, &md] {
        assert!(!text.contains(&private), "the workspace path leaked");
        assert!(!text.contains("http://") && !text.contains("https://") && !text.contains("<script"));
    }
    for entry in std::fs::read_dir(site.join("images")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(html.contains(&format!("images/{name}")), "{name} is not shown");
    }
}

#[test]
fn dev_check_command_reports_every_exercise() {
    let ws = tempfile::tempdir().unwrap();
    let o = run(ws.path(), &["dev", "check", "fluency.seeds"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("✓ fluency.seeds"), "{}", stdout(&o));
    assert!(stdout(&o).contains("starter fails: reproducible"), "{}", stdout(&o));
}

#[test]
fn the_handoff_bundle_carries_the_recipe_folder_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let folder = ws.join("recipes").join("systems.handoff");
    std::fs::create_dir_all(&folder).unwrap();
    let solution = std::fs::read_to_string(root.join("exercises/systems/handoff/solution/recipe.toml")).unwrap();
    // An init image kept outside the recipe's folder, by absolute path: fine here, missing on another machine.
    let outside = tmp.path().join("elsewhere").join("backdrop.png");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    std::fs::copy(root.join("exercises/control/inpaint/assets/park.png"), &outside).unwrap();
    let with_init = |image: &str| format!("{solution}\n[init]\nimage = \"{image}\"\nstrength = 0.4\n");
    std::fs::write(folder.join("recipe.toml"), with_init(&outside.display().to_string())).unwrap();
    let o = run(&ws, &["run", "systems.handoff", "--force", "--no-images"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("bundle_reruns") && out.contains("does not travel with it"), "{out}");
    // The same image beside the recipe travels in the bundle.
    std::fs::copy(&outside, folder.join("backdrop.png")).unwrap();
    std::fs::write(folder.join("recipe.toml"), with_init("backdrop.png")).unwrap();
    let o = run(&ws, &["run", "systems.handoff", "--force", "--no-images"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("identical when re-run from the hand-off bundle on a clean machine"), "{}", stdout(&o));
}
