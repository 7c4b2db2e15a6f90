//! Every integration test in one binary — one link and one run for CI —
//! with a module per feature. Shared helpers are in `common`, the
//! recorded-protocol servers in `servers`, the fuzz harness (shared with
//! `examples/fuzz.rs`) in `tests/fuzz/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

mod common;
#[path = "../fuzz/harness.rs"]
mod harness;
mod servers;

mod backend_a1111;
mod backend_comfyui;
mod backend_openai;
mod bench;
mod bundle;
mod calibration_exercises;
mod checks;
mod chromium;
mod cli;
mod devtools;
mod embedding;
mod explore;
mod fuzz;
mod hardening;
mod import;
mod instructor;
mod kill9;
mod layers;
mod path;
mod pipeline;
mod real_comfyui;
mod real_sdserver;
mod renderer;
mod renderer_controls;
mod review;
mod review_reports;
mod roster;
mod service;
mod store;
mod subject;
mod tls;
mod tui;
mod tui_pty;
mod tui_review;
