//! One file per subcommand. Commands print plain text to stdout and never
//! touch the terminal UI; they share the engine with it.
//!
//! Commands print with [`outln!`]/[`out!`] rather than `println!`: a reader
//! that goes away (`genpath path | head -1`) ends the command quietly with
//! exit 0, like other Unix tools, instead of a panic.

/// `println!` for command output; a closed pipe becomes [`StdoutClosed`].
macro_rules! outln {
    () => {
        $crate::commands::write_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::commands::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` for command output; a closed pipe becomes [`StdoutClosed`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::write_stdout(format_args!($($arg)*))?
    };
}

pub mod backend;
pub mod bench;
pub mod calibrate;
pub mod check;
pub mod collect;
pub mod compare;
pub mod config;
pub mod dev_check;
pub mod feedback;
pub mod grid;
pub mod hint;
pub mod import;
pub mod init;
pub mod path;
pub mod pipeline;
pub mod portfolio;
pub mod progress;
pub mod render;
pub mod report;
pub mod reset;
pub mod review;
pub mod roster;
pub mod run;
pub mod show;
pub mod submit;
pub mod verdict;

use anyhow::Result;

use crate::cli::GlobalArgs;

/// A problem with what the user asked for (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The checks ran and the work did not pass (exit code 1); the verdict has been printed.
#[derive(Debug, thiserror::Error)]
#[error("checks failed")]
pub struct ChecksFailed;

/// Standard output was closed by its reader: stop quietly (exit 0).
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// Write command output to stdout. A broken pipe is [`StdoutClosed`]; any
/// other failure (a full disk behind a redirect) is an error that says so.
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("Failed to write to standard output")),
    }
}

pub use crate::session::{Env, load_curriculum};

/// The session the global flags name: `--workspace` and `--curriculum`.
pub fn env(global: &GlobalArgs) -> Result<Env> {
    Env::open(global.workspace.as_deref(), global.curriculum.as_deref())
}
