//! The instructor's roster: learners, cohorts, assignments, and the
//! assignment file a learner imports so due dates show in their path.

use crate::common::*;

#[test]
fn roster_cohorts_assignments_and_the_learner_side() {
    let tmp = tempfile::tempdir().unwrap();
    let teacher = tmp.path().join("teacher");
    let csv = tmp.path().join("roster.csv");
    std::fs::write(&csv, "id,name,email\nbo,Bo Chen,bo@example.org\ncy,Cy Diaz,\n").unwrap();
    for args in [
        vec!["learner", "add", "ada", "--name", "Ada Lovelace"],
        vec!["learner", "import", csv.to_str().unwrap()],
        vec!["cohort", "create", "spring"],
        vec!["cohort", "add", "spring", "ada", "bo", "cy"],
        vec![
            "assign",
            "first-image",
            "fluency.seeds",
            "--to",
            "spring",
            "--due",
            "2026-12-04",
            "--note",
            "before Friday",
        ],
        vec!["assign", "composition", "--to", "ada", "--due", "2026-12-11"],
    ] {
        let o = run(&teacher, &args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let learners = stdout(&run(&teacher, &["learner", "list"]));
    assert!(
        learners.contains("Ada Lovelace") && learners.contains("bo@example.org") && learners.contains("Cy Diaz"),
        "{learners}"
    );
    let cohorts = stdout(&run(&teacher, &["cohort", "list"]));
    assert!(cohorts.contains("spring") && cohorts.contains("3 learners"), "{cohorts}");
    let list = stdout(&run(&teacher, &["assignments"]));
    assert!(
        list.contains("fluency.first-image") && list.contains("cohort:spring") && list.contains("2026-12-04"),
        "{list}"
    );
    assert!(list.contains("learner:ada") && list.contains("fluency.composition"), "{list}");
    // Mistakes are clear.
    let o = run(&teacher, &["assign", "first-image", "--to", "nobody"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("neither a cohort nor a learner"), "{}", stderr(&o));
    let o = run(&teacher, &["assign", "first-image", "--to", "spring", "--due", "next friday"]);
    assert!(stderr(&o).contains("YYYY-MM-DD"), "{}", stderr(&o));

    // Export for the cohort; a learner imports it and sees the due dates.
    let file = tmp.path().join("spring.toml");
    let o = run(&teacher, &["assignments", "export", "spring", "--out", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let learner = tmp.path().join("bo");
    let o = run(&learner, &["assignments", "import", file.to_str().unwrap()]);
    assert!(
        o.status.success() && stdout(&o).contains("imported 2 assignment(s) from cohort spring"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let again = run(&learner, &["assignments", "import", file.to_str().unwrap()]);
    assert!(stdout(&again).contains("imported 0"), "importing twice adds nothing: {}", stdout(&again));
    let env = genpath::session::Env::open(Some(&learner), None).unwrap();
    let store = env.workspace.store().unwrap();
    let due = store.due_for("learner").unwrap();
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|a| a.due.is_some_and(|d| d.to_string() == "2026-12-04")));
}

#[test]
fn an_assigned_exercise_in_a_locked_stage_opens_that_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let teacher = tmp.path().join("teacher");
    for args in [
        vec!["learner", "add", "bo", "--name", "Bo"],
        vec!["cohort", "create", "spring"],
        vec!["cohort", "add", "spring", "bo"],
        vec!["assign", "control.edge-layout", "--to", "spring", "--due", "2026-12-04"],
    ] {
        let o = run(&teacher, &args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let file = tmp.path().join("spring.toml");
    let o = run(&teacher, &["assignments", "export", "spring", "--out", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let learner = tmp.path().join("bo");
    let o = run(&learner, &["assignments", "import", file.to_str().unwrap()]);
    assert!(stdout(&o).contains("opened the control stage"), "{}{}", stdout(&o), stderr(&o));
    let env = genpath::session::Env::open(Some(&learner), None).unwrap();
    let store = env.workspace.store().unwrap();
    let p = genpath::progress::of_learner(&env.curriculum, &store, env.learner()).unwrap();
    let control = p.stages.iter().find(|s| s.id == "control").unwrap();
    assert!(control.unlocked && control.unlocked_by.as_deref() == Some("instructor"), "{control:?}");
    // Systems, with nothing assigned in it, stays closed.
    assert!(!p.stages.iter().find(|s| s.id == "systems").unwrap().unlocked);
}
