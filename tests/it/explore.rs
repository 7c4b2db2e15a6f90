//! `grid_choice` (fluency.xy-grid): settings chosen from an X/Y grid are
//! held to the grid the check re-draws — the solution passes, and each way
//! of choosing badly fails with its own reason.

use std::path::Path;

use genpath::backend::{Inputs, builtin};
use genpath::checks::{self, Context, Outcome};
use genpath::curriculum::Curriculum;
use genpath::recipe::{Limits, Recipe};

const EXERCISE: &str = "fluency.xy-grid";

fn recipe_file(which: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/fluency/xy-grid").join(which).join("recipe.toml");
    std::fs::read_to_string(path).unwrap()
}

/// Draws a recipe on the built-in renderer, as the attempt's backend would.
fn draw(r: &Recipe) -> Result<Vec<Vec<u8>>, String> {
    r.resolve()
        .iter()
        .map(|shot| {
            let seed = shot.seed.ok_or("a random seed")?;
            let made = builtin::render(shot, seed as u64, &Inputs::default()).map_err(|e| e.to_string())?;
            genpath::recipe::png::encode(&made.image, shot, seed, "builtin").map_err(|e| e.to_string())
        })
        .collect()
}

/// The exercise's `grid_choice` verdict on a recipe's text (with or without a renderer).
fn verdict(text: &str, render: bool) -> Outcome {
    let curriculum = Curriculum::builtin().unwrap();
    let e = curriculum.exercise(EXERCISE).unwrap();
    let spec = e.checks.iter().find(|c| c.check == "grid_choice").unwrap();
    let recipe = Recipe::parse("recipe.toml", text, Limits::default()).unwrap();
    let ctx = Context {
        recipe: Some(&recipe),
        render: if render { Some(&draw) } else { None },
        ..Context::standalone(&e.deliverable)
    };
    checks::run_one(spec, &[], &ctx)
}

/// The solution with its settings lines replaced.
fn settings(steps: u32, sampler: &str, scheduler: &str) -> String {
    let solution = recipe_file("solution");
    let kept: Vec<&str> = solution
        .lines()
        .filter(|l| !l.starts_with("steps") && !l.starts_with("sampler") && !l.starts_with("scheduler"))
        .collect();
    format!("{}\nsteps = {steps}\nsampler = \"{sampler}\"\nscheduler = \"{scheduler}\"\n", kept.join("\n"))
}

#[test]
fn the_cheapest_finished_cell_passes_and_every_bad_choice_fails_with_its_reason() {
    let o = verdict(&recipe_file("solution"), true);
    assert!(o.passed, "{}", o.message);
    assert!(o.measures.iter().any(|m| m.param.as_deref() == Some("min_ssim")), "{:?}", o.measures);

    // "50 steps to be safe" on Euler a: never finished, and the message says why.
    let o = verdict(&recipe_file("starter"), true);
    assert!(!o.passed && o.message.contains("ancestral") && o.message.contains("never settles"), "{}", o.message);

    // Finished, but dearer than the cheapest finished cell by more than a quarter.
    for (steps, sampler, scheduler, ratio) in [(20, "euler", "normal", "1.7×"), (16, "dpmpp_2m", "normal", "1.3×")] {
        let o = verdict(&settings(steps, sampler, scheduler), true);
        assert!(!o.passed, "{steps} {sampler}/{scheduler}: {}", o.message);
        assert!(o.message.contains(ratio) && o.message.contains("dpmpp_2m / karras"), "{}", o.message);
        assert_eq!(o.measures.last().and_then(|m| m.param.as_deref()), Some("slack"));
    }

    // Cheap, but not finished: the picture still changes after 8 steps.
    let o = verdict(&settings(8, "dpmpp_2m", "karras"), true);
    assert!(!o.passed && o.message.contains("not finished on seed"), "{}", o.message);

    // A random seed: the grid looked at is not the picture shipped.
    let o = verdict(&recipe_file("solution").replace("seed = 11", "seed = -1"), true);
    assert!(!o.passed && o.message.contains("random seed"), "{}", o.message);
}

#[test]
fn the_notes_must_say_what_the_grid_showed() {
    let solution = recipe_file("solution");
    let start = solution.find("notes = \"\"\"").unwrap();
    let end = solution[start + 11..].find("\"\"\"").unwrap() + start + 14;
    let with = |notes: &str| format!("{}notes = \"\"\"\n{notes}\n\"\"\"{}", &solution[..start], &solution[end..]);
    let lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut \
                 labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris \
                 nisi ut aliquip ex ea commodo consequat 8.";
    let o = verdict(&with(lorem), true);
    assert!(!o.passed && o.message.contains("do not say what the grid showed"), "{}", o.message);
    let vague = "I looked at the whole grid carefully and this one was the best of them all, so it is what the \
                 batch will use from now on, because it looks clean and sharp to me on every seed that I tried.";
    let o = verdict(&with(vague), true);
    assert!(!o.passed && o.message.contains("name no cheaper step count"), "{}", o.message);
}

#[test]
fn without_its_recipe_or_a_renderer_the_grid_is_not_checked_never_passed() {
    let o = verdict(&recipe_file("solution"), false);
    assert!(!o.passed && o.message.starts_with("not checked"), "{}", o.message);
    let curriculum = Curriculum::builtin().unwrap();
    let e = curriculum.exercise(EXERCISE).unwrap();
    let spec = e.checks.iter().find(|c| c.check == "grid_choice").unwrap();
    let o = checks::run_one(spec, &[], &Context { render: Some(&draw), ..Context::standalone(&e.deliverable) });
    assert!(!o.passed && o.message.contains("no recipe"), "{}", o.message);
}
