//! The instructor's roster: learners, cohorts and assignments, and the small
//! assignment file a learner imports so due dates show in their path.

use chrono::NaiveDate;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::{Env, UsageError};
use crate::config::valid_id;
use crate::diagnostics::Seg;
use crate::id::ExerciseId;
use crate::time::Timestamp;

fn check_id(what: &str, id: &str) -> Result<()> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(UsageError(format!("{what} id '{id}' may only hold letters, digits, '-' and '_'")).into())
    }
}

pub fn learner_add(env: &Env, id: &str, name: Option<&str>, email: Option<&str>) -> Result<()> {
    check_id("learner", id)?;
    let store = env.workspace.store()?;
    store.upsert_learner(id, name.unwrap_or(id), email)?;
    outln!("learner {id} ({})", name.unwrap_or(id));
    Ok(())
}

pub fn learner_list(env: &Env) -> Result<()> {
    for l in env.workspace.store()?.learners()? {
        outln!("{:<16} {:<28} {}", l.id, l.name, l.email.unwrap_or_default());
    }
    Ok(())
}

/// Import `id,name,email` lines (a header line starting with `id` is skipped).
pub fn learner_import(env: &Env, file: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let store = env.workspace.store()?;
    let mut n = 0;
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.first().is_none_or(|f| f.is_empty()) || (i == 0 && fields[0].eq_ignore_ascii_case("id")) {
            continue;
        }
        if !valid_id(fields[0]) {
            return Err(UsageError(format!(
                "{}:{}: learner id '{}' may only hold letters, digits, '-' and '_'",
                file.display(),
                i + 1,
                fields[0]
            ))
            .into());
        }
        store.upsert_learner(
            fields[0],
            fields.get(1).filter(|s| !s.is_empty()).unwrap_or(&fields[0]),
            fields.get(2).filter(|s| !s.is_empty()).copied(),
        )?;
        n += 1;
    }
    outln!("{n} learners imported from {}", file.display());
    Ok(())
}

pub fn cohort_create(env: &Env, id: &str, title: Option<&str>) -> Result<()> {
    check_id("cohort", id)?;
    let created = env.workspace.store()?.create_cohort(id, title)?;
    outln!("{} cohort {id}", if created { "created" } else { "already have" });
    Ok(())
}

pub fn cohort_add(env: &Env, cohort: &str, learners: &[String]) -> Result<()> {
    let store = env.workspace.store()?;
    if !store.cohort_exists(cohort)? {
        return Err(UsageError(format!("no cohort '{cohort}': create it with `genpath cohort create {cohort}`")).into());
    }
    for l in learners {
        if !store.learner_exists(l)? {
            return Err(
                UsageError(format!("no learner '{l}': add them with `genpath learner add {l} --name \"…\"`")).into()
            );
        }
        store.add_to_cohort(cohort, l)?;
    }
    outln!("cohort {cohort}: added {}", learners.join(", "));
    Ok(())
}

pub fn cohort_list(env: &Env) -> Result<()> {
    for c in env.workspace.store()?.cohorts()? {
        outln!("{:<16} {:>3} learners  {}", c.id, c.members.len(), c.members.join(", "));
    }
    Ok(())
}

fn due_date(due: Option<&str>) -> Result<Option<NaiveDate>> {
    match due {
        None => Ok(None),
        Some(d) => crate::time::parse_day(d)
            .map(Some)
            .ok_or_else(|| UsageError(format!("due date '{d}' must be written YYYY-MM-DD")).into()),
    }
}

pub fn assign(env: &Env, exercises: &[String], to: &str, due: Option<&str>, note: Option<&str>) -> Result<()> {
    let store = env.workspace.store()?;
    let due = due_date(due)?;
    let ids: Vec<ExerciseId> =
        exercises.iter().map(|q| env.curriculum.find(q).map(|e| e.id.clone())).collect::<Result<_, _>>()?;
    let cohort = store.cohort_exists(to)?;
    if !cohort && !store.learner_exists(to)? {
        return Err(UsageError(format!(
            "'{to}' is neither a cohort nor a learner (see `genpath cohort list`, `genpath learner list`)"
        ))
        .into());
    }
    for id in &ids {
        if cohort {
            store.assign_to_cohort(id, to, due, note)?;
        } else {
            store.assign_to_learner(id, to, due, note)?;
        }
    }
    outln!(
        "assigned {} to {} {to}{}",
        ids.join(", "),
        if cohort { "cohort" } else { "learner" },
        due.map(|d| format!(", due {d}")).unwrap_or_default()
    );
    Ok(())
}

pub fn list(env: &Env) -> Result<()> {
    let now = Timestamp::now();
    let rows = env.workspace.store()?.assignments()?;
    if rows.is_empty() {
        outln!("no assignments");
    }
    for a in rows {
        let overdue = a.due.is_some_and(|d| crate::time::is_past(d, &now));
        outln!(
            "{:<32} {:<20} due {:<10}{}  {}",
            a.exercise,
            a.target,
            a.due.map_or("-".to_string(), |d| d.to_string()),
            if overdue { " (past)" } else { "" },
            a.note.unwrap_or_default()
        );
    }
    Ok(())
}

/// The file an instructor hands to learners.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignmentFile {
    version: u32,
    #[serde(default)]
    cohort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    learner: Option<String>,
    /// Stages the instructor opened (`genpath unlock`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unlock: Vec<String>,
    #[serde(default)]
    assignment: Vec<AssignmentEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignmentEntry {
    exercise: String,
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Write what a cohort, or one learner, has been given: assignments (a
/// learner's own and their cohorts') and the stages opened for them.
pub fn export(env: &Env, to: &str, out: &Path) -> Result<()> {
    let store = env.workspace.store()?;
    let rows = store.assignments()?;
    let (targets, unlock, file_cohort, file_learner) = if store.cohort_exists(to)? {
        (vec![format!("cohort:{to}")], store.cohort_unlocks(to)?, Some(to.to_string()), None)
    } else if store.learner_exists(to)? {
        let cohorts: Vec<String> =
            store.cohorts()?.into_iter().filter(|c| c.members.iter().any(|m| m == to)).map(|c| c.id).collect();
        let mut targets = vec![format!("learner:{to}")];
        let mut unlock = store.stage_unlocks(to)?;
        for c in &cohorts {
            targets.push(format!("cohort:{c}"));
            unlock.extend(store.cohort_unlocks(c)?);
        }
        unlock.sort();
        unlock.dedup();
        (targets, unlock, None, Some(to.to_string()))
    } else {
        return Err(UsageError(format!(
            "'{to}' is neither a cohort nor a learner (see `genpath cohort list`, `genpath learner list`)"
        ))
        .into());
    };
    let file = AssignmentFile {
        version: 1,
        cohort: file_cohort,
        learner: file_learner,
        unlock,
        assignment: rows
            .into_iter()
            .filter(|a| targets.contains(&a.target))
            .map(|a| AssignmentEntry { exercise: a.exercise.into(), due: a.due.map(|d| d.to_string()), note: a.note })
            .collect(),
    };
    if file.assignment.is_empty() && file.unlock.is_empty() {
        return Err(UsageError(format!(
            "'{to}' has no assignments and no opened stages to export (`genpath assign`, `genpath unlock`)"
        ))
        .into());
    }
    let text = format!(
        "# genpath assignments — import with `genpath assignments import {}`\n{}",
        out.display(),
        toml::to_string_pretty(&file)?
    );
    crate::workspace::write_atomic(out, text.as_bytes())?;
    outln!("wrote {} assignment(s) to {}", file.assignment.len(), out.display());
    if !file.unlock.is_empty() {
        outln!("  with the {} stage(s) opened", file.unlock.join(", "));
    }
    Ok(())
}

pub fn import(env: &Env, file: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("Failed to read {}", file.display()))?;
    let name = file.display().to_string();
    let parsed: AssignmentFile = crate::diagnostics::parse_toml(&name, &text)?;
    if parsed.version != 1 {
        return Err(UsageError(format!(
            "{} is assignment file version {}; this genpath reads version 1",
            file.display(),
            parsed.version
        ))
        .into());
    }
    if let Some(l) = parsed.learner.as_deref().filter(|l| *l != env.learner()) {
        return Err(UsageError(format!(
            "{name} is for learner '{l}', and this workspace is '{}''s; nothing was imported",
            env.learner()
        ))
        .into());
    }
    // Every name is checked before anything is written.
    let exercises = parsed
        .assignment
        .iter()
        .map(|a| Ok((env.curriculum.find(&a.exercise)?, due_date(a.due.as_deref())?, a.note.as_deref())))
        .collect::<Result<Vec<_>>>()?;
    let spans = crate::diagnostics::Spans::new(&text);
    let unknown: Vec<_> = parsed
        .unlock
        .iter()
        .enumerate()
        .filter(|(_, stage)| !env.curriculum.stages.iter().any(|s| &s.id == *stage))
        .map(|(i, stage)| {
            let stages = env.curriculum.stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ");
            spans.at(
                &name,
                &[Seg::Key("unlock"), Seg::Index(i)],
                format!("stage '{stage}' is not in this curriculum (its stages: {stages}); nothing was imported"),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(crate::diagnostics::Diagnostics(unknown).into());
    }
    let store = env.workspace.store()?;
    let existing = store.due_for(env.learner())?;
    let progress = crate::progress::of_learner(&env.curriculum, &store, env.learner())?;
    let locked = |stage: &str| progress.stages.iter().any(|s| s.id == stage && !s.unlocked);
    let mut opened: Vec<(String, String)> = Vec::new();
    for stage in &parsed.unlock {
        if locked(stage) && !opened.iter().any(|(s, _)| s == stage) {
            store.unlock_stage(env.learner(), stage, "opened by your instructor")?;
            opened.push((stage.clone(), "your instructor opened it".into()));
        }
    }
    let mut n = 0;
    for (e, due, note) in exercises {
        // An assigned exercise is one the instructor wants done now: its
        // stage opens, so the learner never needs --force for it.
        if locked(&e.stage) && !opened.iter().any(|(s, _)| *s == e.stage) {
            store.unlock_stage(env.learner(), &e.stage, &format!("assigned: {}", e.id))?;
            opened.push((e.stage.clone(), format!("your instructor assigned {} in it", e.id)));
        }
        if existing.iter().any(|x| x.exercise == e.id && x.due == due) {
            continue;
        }
        store.assign_to_learner(&e.id, env.learner(), due, note)?;
        n += 1;
    }
    outln!("imported {n} assignment(s){}", parsed.cohort.map(|c| format!(" from cohort {c}")).unwrap_or_default());
    for (stage, why) in opened {
        outln!("opened the {stage} stage: {why}");
    }
    Ok(())
}

/// `genpath unlock STAGE --learner L | --cohort C` (instructors): open a
/// stage regardless of milestones; learners receive it with the assignment file.
pub fn unlock(env: &Env, stage: &str, learner: Option<&str>, cohort: Option<&str>) -> Result<()> {
    let Some(s) = env.curriculum.stages.iter().find(|s| s.id == stage) else {
        let names = env.curriculum.stages.iter().map(|s| s.id.as_str());
        let hint =
            crate::names::closest(stage, names.clone()).map(|c| format!("did you mean '{c}'? ")).unwrap_or_default();
        return Err(UsageError(format!(
            "there is no stage '{stage}': {hint}the stages are {}",
            names.collect::<Vec<_>>().join(", ")
        ))
        .into());
    };
    let mut store = env.workspace.store()?;
    let target = match (learner, cohort) {
        (Some(l), _) => {
            if !store.learner_exists(l)? {
                return Err(UsageError(format!("no learner '{l}' (see `genpath learner list`)")).into());
            }
            store.unlock_stage(l, &s.id, "opened by the instructor")?;
            outln!("opened the {} stage for {l}", s.id);
            l.to_string()
        }
        (None, Some(c)) => {
            if !store.cohort_exists(c)? {
                return Err(UsageError(format!("no cohort '{c}' (see `genpath cohort list`)")).into());
            }
            let n = store.unlock_for_cohort(c, &s.id)?;
            outln!("opened the {} stage for cohort {c} ({n} learner(s) now, and anyone who imports its file)", s.id);
            c.to_string()
        }
        (None, None) => return Err(UsageError("name a learner (--learner) or a cohort (--cohort)".into()).into()),
    };
    outln!("learners receive it with their assignment file: genpath assignments export {target} --out FILE");
    Ok(())
}
