//! Parse the command line, set up logging, dispatch, and map errors to exit codes.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use genpath::cli::{
    AssignmentsCommand, BackendCommand, Cli, CohortCommand, Command, DevCommand, FeedbackCommand, LearnerCommand,
    PipelineCommand,
};
use genpath::commands::{self, ChecksFailed, UsageError};
use genpath::curriculum::LookupError;
use genpath::diagnostics::Diagnostics;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`genpath path | head -1`): nothing more to say.
        Err(e) if e.chain().any(|c| c.downcast_ref::<commands::StdoutClosed>().is_some()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<ChecksFailed>().is_some() => ExitCode::from(1),
        Err(e) if e.downcast_ref::<commands::collect::Rejected>().is_some() => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
        Err(e) => {
            report(&e);
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        let env = commands::env(&cli.global)?;
        init_logging(&env.workspace.log_path());
        return genpath::tui::run(env);
    };
    if let Command::Init { dir, name, id } = command {
        return commands::init::run(&cli.global, dir, name, id);
    }
    if let Command::Dev(DevCommand::Checks) = command {
        return commands::write_stdout(format_args!("{}", genpath::checks::registry::markdown()));
    }
    if let Command::Dev(DevCommand::Vocabulary) = command {
        return commands::write_stdout(format_args!("{}", genpath::recipe::vocab::markdown()));
    }
    if let Command::Dev(DevCommand::Check { exercise }) = &command {
        let curriculum = commands::load_curriculum(cli.global.curriculum.as_deref())?;
        return commands::dev_check::run(&curriculum, exercise.as_deref());
    }
    if let Command::Calibrate {
        check,
        same,
        different,
        param,
        false_pass,
        each,
        write,
        embedding_model,
        no_embedding,
    } = &command
    {
        return commands::calibrate::run(&commands::calibrate::Args {
            check,
            same,
            different,
            params: param,
            false_pass: *false_pass,
            each: *each,
            write,
            embedding_model: embedding_model.as_deref(),
            no_embedding: *no_embedding,
        });
    }
    if let Command::Render { recipe, out } = command {
        return commands::render::run(&recipe, out, genpath::recipe::Limits::default());
    }
    if let Command::Grid { recipe, x, y, z, out } = command {
        anyhow::ensure!(y.is_some() || z.is_none(), "a z axis needs a y axis: give --y first");
        let out = out.unwrap_or_else(|| commands::grid::default_out(&recipe));
        let axes = [Some(x), y, z].into_iter().flatten().collect();
        return commands::grid::run(&recipe, axes, &out, genpath::recipe::Limits::default());
    }
    let env = commands::env(&cli.global)?;
    init_logging(&env.workspace.log_path());
    tracing::info!(command = ?command, "start");
    match command {
        Command::Init { .. }
        | Command::Render { .. }
        | Command::Grid { .. }
        | Command::Calibrate { .. }
        | Command::Dev(_) => {
            unreachable!("handled above")
        }
        Command::Path => commands::path::run(&env),
        Command::Show { exercise, no_images } => commands::show::run(&env, &exercise, !no_images),
        Command::Hint { exercise } => commands::hint::run(&env, &exercise),
        Command::Progress { exercise, json } => commands::progress::run(&env, exercise.as_deref(), json),
        Command::Compare { exercise, a, b, out } => commands::compare::run(&env, &exercise, a, b, out),
        Command::Reset { exercise } => commands::reset::run(&env, &exercise),
        Command::Config => commands::config::run(&env),
        Command::Run { exercise, recipe, backend, force, no_images } => {
            commands::run::run(&env, &exercise, recipe, backend.as_deref(), force, !no_images)
        }
        Command::Import { files, out, exercise } => commands::import::run(&env, &files, out, exercise.as_deref()),
        Command::Learner(LearnerCommand::Add { id, name, email }) => {
            commands::roster::learner_add(&env, &id, name.as_deref(), email.as_deref())
        }
        Command::Learner(LearnerCommand::List) => commands::roster::learner_list(&env),
        Command::Learner(LearnerCommand::Import { file }) => commands::roster::learner_import(&env, &file),
        Command::Cohort(CohortCommand::Create { id, title }) => {
            commands::roster::cohort_create(&env, &id, title.as_deref())
        }
        Command::Cohort(CohortCommand::Add { cohort, learners }) => {
            commands::roster::cohort_add(&env, &cohort, &learners)
        }
        Command::Cohort(CohortCommand::List) => commands::roster::cohort_list(&env),
        Command::Assign { exercises, to, due, note } => {
            commands::roster::assign(&env, &exercises, &to, due.as_deref(), note.as_deref())
        }
        Command::Assignments { action: None | Some(AssignmentsCommand::List) } => commands::roster::list(&env),
        Command::Assignments { action: Some(AssignmentsCommand::Export { to, out }) } => {
            commands::roster::export(&env, &to, &out)
        }
        Command::Assignments { action: Some(AssignmentsCommand::Import { file }) } => {
            commands::roster::import(&env, &file)
        }
        Command::Backend(BackendCommand::List) => commands::backend::list(&env),
        Command::Backend(BackendCommand::Test { name, generate }) => commands::backend::test(&env, &name, generate),
        Command::Backend(BackendCommand::Bench(args)) => commands::bench::run(&env, &args),
        Command::Pipeline(PipelineCommand::Plan { file }) => commands::pipeline::plan(&env, &file),
        Command::Pipeline(PipelineCommand::Run { file, allow_over_budget }) => {
            commands::pipeline::run(&env, &file, allow_over_budget)
        }
        Command::Pipeline(PipelineCommand::Status { name }) => commands::pipeline::status(&env, name.as_deref()),
        Command::Check { exercise, images, recipe, json, no_images } => {
            commands::check::run(&env, &exercise, images, recipe, json, !no_images)
        }
        Command::Submit { exercise, attempt, out } => commands::submit::run(&env, &exercise, attempt, out),
        Command::Collect { paths, reproduce } => commands::collect::run(&env, &paths, reproduce),
        Command::Portfolio { out } => commands::portfolio::run(&env, out),
        Command::Review { action: Some(action), filter } => commands::review::run(&env, action, &filter),
        Command::Review { action: None, filter } => {
            init_logging(&env.workspace.log_path());
            genpath::tui::review(env, &filter)
        }
        Command::Feedback(FeedbackCommand::Export { cohort, learner, out }) => {
            commands::feedback::export(&env, cohort.as_deref(), learner.as_deref(), &out)
        }
        Command::Feedback(FeedbackCommand::Import { file }) => commands::feedback::import(&env, &file),
        Command::Feedback(FeedbackCommand::Show { exercise }) => commands::feedback::show(&env, exercise.as_deref()),
        Command::Unlock { stage, learner, cohort } => {
            commands::roster::unlock(&env, &stage, learner.as_deref(), cohort.as_deref())
        }
        Command::Report { cohort, learner, exercise, format, out } => {
            commands::report::run(&env, cohort.as_deref(), learner.as_deref(), exercise.as_deref(), format.into(), out)
        }
    }
}

/// Logs go to the workspace's log file, never to the screen.
fn init_logging(path: &std::path::Path) {
    let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(path) else { return };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GENPATH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
}

/// Print an error and its causes; located problems one per line.
fn report(e: &anyhow::Error) {
    eprintln!("error: {e}");
    for cause in e.chain().skip(1) {
        if let Some(d) = cause.downcast_ref::<Diagnostics>() {
            eprint!("{d}");
        } else {
            eprintln!("  caused by: {cause}");
        }
    }
    let hint = if e.downcast_ref::<LookupError>().is_some() || e.downcast_ref::<UsageError>().is_some() {
        None
    } else if e.chain().any(|c| c.downcast_ref::<Diagnostics>().is_some()) {
        Some("Fix the problems above and run the command again.")
    } else {
        None
    };
    if let Some(h) = hint {
        eprintln!("{h}");
    }
}
