//! genpath: a terminal trainer for the craft of AI image generation.
//!
//! The engine (curriculum, recipe, checks, store, progress) knows nothing of
//! the terminal; the CLI commands and the TUI are thin front ends over it.

#![forbid(unsafe_code)]

pub mod attempt;
pub mod backend;
pub mod bench;
pub mod bundle;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod curriculum;
pub mod diagnostics;
pub mod feedback;
pub mod grid;
pub mod hash;
pub mod id;
pub mod imaging;
pub mod instructor;
#[macro_use]
pub mod names;
pub mod panics;
pub mod pipeline;
pub mod portfolio;
pub mod present;
pub mod progress;
pub mod recipe;
pub mod report;
pub mod session;
pub mod store;
pub mod time;
pub mod tui;
pub mod workspace;
