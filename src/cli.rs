//! The command line: every subcommand and flag (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "genpath",
    version,
    about = "A terminal trainer for the craft of AI image generation",
    long_about = "genpath walks you through three stages — fluency, control, systems — with exercises \
                  that run your recipe through an image generator and check the images automatically.\n\n\
                  Run `genpath` with no command to open the studio (TUI).",
    after_help = "Exit codes: 0 ok, 1 checks failed, 2 usage or input error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The workspace folder [default: $GENPATH_HOME, else the platform data dir]
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Load exercises from this folder instead of the built-in curriculum
    #[arg(long, global = true, value_name = "DIR", env = "GENPATH_CURRICULUM")]
    pub curriculum: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace (every other command creates the default one on first use)
    Init {
        /// Where to create it [default: the default workspace]
        dir: Option<PathBuf>,
        /// Your name, shown in reports and portfolios
        #[arg(long)]
        name: Option<String>,
        /// Your learner id (letters, digits, '-', '_')
        #[arg(long)]
        id: Option<String>,
    },
    /// Show the stages and exercises with your status on each
    Path,
    /// Show an exercise: brief, deliverable, checks, hints
    Show {
        /// Exercise id or a unique prefix (e.g. `fluency.first-image`, `first`)
        exercise: String,
        /// Do not print the assets as thumbnails
        #[arg(long)]
        no_images: bool,
    },
    /// Reveal the next hint of an exercise
    Hint { exercise: String },
    /// Show milestones, attempts and best results; with an exercise, its attempts one by one
    Progress {
        /// List your attempts at this exercise (number, when, verdict, score, failed checks)
        exercise: Option<String>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Restore the starter recipe of an exercise (your history is kept)
    Reset { exercise: String },
    /// Show the configuration in effect and where files live
    Config,
    /// Run your recipe for an exercise: generate, check, record
    Run {
        exercise: String,
        /// Use this recipe instead of your answer in the workspace
        #[arg(long, value_name = "FILE")]
        recipe: Option<PathBuf>,
        /// The backend to generate with (a name from genpath.toml, or builtin)
        #[arg(long, value_name = "NAME", env = "GENPATH_BACKEND")]
        backend: Option<String>,
        /// Run an exercise whose stage is still locked
        #[arg(long)]
        force: bool,
        /// Do not print image thumbnails after the verdict
        #[arg(long)]
        no_images: bool,
    },
    /// Check existing images against an exercise without generating
    Check {
        exercise: String,
        /// Image files [default: the images of your last attempt]
        images: Vec<PathBuf>,
        /// The recipe the images came from [default: your answer]
        #[arg(long, value_name = "FILE")]
        recipe: Option<PathBuf>,
        /// Print the verdict as JSON
        #[arg(long)]
        json: bool,
        /// Do not print image thumbnails after the verdict
        #[arg(long)]
        no_images: bool,
    },
    /// Turn images made by A1111/Forge/sd.cpp/ComfyUI (or genpath) into recipes
    Import {
        files: Vec<PathBuf>,
        /// Where to write the recipes [default: recipes/imported in the workspace]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also record the images as an attempt at this exercise, re-checked here and
        /// marked with the tool that made them (the portfolio's "Work on real tools")
        #[arg(long, value_name = "ID")]
        exercise: Option<String>,
    },
    /// Learners on the roster (instructors)
    #[command(subcommand)]
    Learner(LearnerCommand),
    /// Cohorts of learners (instructors)
    #[command(subcommand)]
    Cohort(CohortCommand),
    /// Assign exercises to a cohort or a learner, with a due date
    Assign {
        #[arg(required = true)]
        exercises: Vec<String>,
        /// A cohort or learner id
        #[arg(long)]
        to: String,
        /// Due date, YYYY-MM-DD
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// What is assigned, to whom, and when it is due; export and import assignment files
    Assignments {
        #[command(subcommand)]
        action: Option<AssignmentsCommand>,
    },
    /// Pack your best (or a chosen) attempt into a bundle for your instructor
    Submit {
        exercise: String,
        /// The attempt to submit, by its number on the exercise (`genpath progress EXERCISE` lists them)
        /// [default: your best passing attempt, else your best]
        #[arg(long, value_name = "N")]
        attempt: Option<u32>,
        /// Where to write the bundle [default: submitted/ in the workspace]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Verify, re-check and record submission bundles (instructors)
    Collect {
        /// Bundle files, or folders holding them
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also re-generate every image from its recipe on your backend and compare
        #[arg(long)]
        reproduce: bool,
    },
    /// Progress report for a cohort or one learner (instructors)
    Report {
        /// The cohort to report on
        #[arg(long, required_unless_present = "learner")]
        cohort: Option<String>,
        /// Report on one learner (their own report)
        #[arg(long)]
        learner: Option<String>,
        /// Only this exercise
        #[arg(long)]
        exercise: Option<String>,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// Write to this file instead of the terminal
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Review collected work (instructors): the studio's review mode, or list/show/grade for scripts
    #[command(
        after_help = "With no subcommand the review studio opens: walk the submissions, read the brief, recipe, \
                      images and checks, and set a grade (pass/fail override), a score adjustment and a comment.\n\
                      Example: genpath review grade 12 --fail --adjust -20 --comment \"The fox is cropped at the ears.\""
    )]
    Review {
        #[command(subcommand)]
        action: Option<ReviewCommand>,
        #[command(flatten)]
        filter: ReviewFilterArgs,
    },
    /// Reviews travel to learners: export them (instructors), import and read them (learners)
    #[command(subcommand)]
    Feedback(FeedbackCommand),
    /// Open a stage for a learner or a cohort regardless of milestones (instructors)
    #[command(
        after_help = "Learners receive it with the assignment file: genpath assignments export spring --out spring.toml"
    )]
    Unlock {
        /// The stage to open (fluency, control, systems)
        stage: String,
        #[arg(long, conflicts_with = "cohort", required_unless_present = "cohort")]
        learner: Option<String>,
        #[arg(long)]
        cohort: Option<String>,
    },
    /// Build a portfolio site (HTML + Markdown) of your best passing work
    Portfolio {
        /// Where to write it [default: portfolio/ in the workspace]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Generation backends: list them, test one
    #[command(subcommand)]
    Backend(BackendCommand),
    /// Pipelines: one brief in, a checked, budgeted, resumable asset set out
    #[command(subcommand)]
    Pipeline(PipelineCommand),
    /// Measure how well a check separates labelled work, and the threshold the data supports
    Calibrate {
        /// The check, e.g. identity_consistency
        check: String,
        /// Folders that should pass (a set check: one subject per folder; DIR=NAME
        /// names its identity, so folders of one identity are never mixed)
        #[arg(long, value_name = "DIR", num_args = 1.., required = true)]
        same: Vec<PathBuf>,
        /// Folders that should fail
        #[arg(long, value_name = "DIR", num_args = 1..)]
        different: Vec<PathBuf>,
        /// A parameter of the check, as TOML: --param 'max_palette_delta_e = 12'
        #[arg(long, value_name = "KEY=VALUE")]
        param: Vec<String>,
        /// The largest share of should-fail groups a suggested threshold lets pass
        #[arg(long, value_name = "SHARE", default_value_t = 0.05)]
        false_pass: f64,
        /// List every group's verdict and measures
        #[arg(long)]
        each: bool,
        /// Write the suggested thresholds into these exercise.toml files (or every exercise.toml under a
        /// curriculum folder) for each entry of this check; comments and layout are kept
        #[arg(long, value_name = "PATH", num_args = 1..)]
        write: Vec<PathBuf>,
        /// An ONNX image-embedding model of your own to measure, instead of the built-in encoder
        /// (identity_consistency): its line is measured, not judged
        #[arg(long, value_name = "FILE", conflicts_with = "no_embedding")]
        embedding_model: Option<PathBuf>,
        /// Judge by the check's colour measures alone, without the built-in encoder
        #[arg(long)]
        no_embedding: bool,
    },
    /// Tools for curriculum authors and genpath developers
    #[command(subcommand)]
    Dev(DevCommand),
    /// Render any recipe with the built-in renderer, outside an exercise
    Render {
        /// The recipe file
        recipe: PathBuf,
        /// Where to write the images [default: the current folder]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Two of your attempts side by side: their images on one sheet and the recipe diff
    Compare {
        /// The exercise
        exercise: String,
        /// The first attempt's number on it (as `genpath run`, `genpath progress EXERCISE` and the studio's `a` show it)
        a: u32,
        /// The second attempt's number
        b: u32,
        /// The sheet's file [default: compare-<exercise>-A-B.png]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// X/Y/Z plot: render one recipe with up to three settings varied, as a labelled grid PNG
    #[command(
        after_help = "Axes: KEY=V1,V2,… with KEY a recipe key (cfg, steps, seed, sampler, model, init.strength, \
                      hires.scale …), or sr=FIND,R1,R2 to replace a word of the prompt (the first column keeps it).\n\
                      Example: genpath grid fox.toml --x \"cfg=4,7,10\" --y \"steps=8,20,30\" --z \"seed=1,2\"\n\
                      The grid's PNG carries every cell's infotext. A recipe with shots is plotted on its first shot."
    )]
    Grid {
        /// The recipe file
        recipe: PathBuf,
        /// The columns' axis
        #[arg(long, value_name = "KEY=V1,V2")]
        x: crate::grid::Axis,
        /// The rows' axis
        #[arg(long, value_name = "KEY=V1,V2")]
        y: Option<crate::grid::Axis>,
        /// One grid per value, stacked
        #[arg(long, value_name = "KEY=V1,V2")]
        z: Option<crate::grid::Axis>,
        /// The grid's file [default: <recipe>-grid.png]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Print the built-in renderer's vocabulary as Markdown (curriculum/vocabulary.md)
    Vocabulary,
    /// Print the check library's reference as Markdown (the generated part of docs/checks.md)
    Checks,
    /// Prove every exercise: starter fails its lesson check, solution passes
    Check {
        /// Only this exercise
        exercise: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PipelineCommand {
    /// Expand and validate a pipeline; show job count, estimated cost and time
    Plan { file: PathBuf },
    /// Run a pipeline (resumes: nothing already made is generated again)
    Run {
        file: PathBuf,
        /// Start even when the estimate is over budget (the run still stops at the budget)
        #[arg(long)]
        allow_over_budget: bool,
    },
    /// Show pipeline runs: progress, failures, spend
    Status { name: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// The backends this workspace can use
    List,
    /// Reach a backend: version, models, samplers, ControlNet, capabilities
    Test {
        name: String,
        /// Also make a small test image
        #[arg(long)]
        generate: bool,
    },
    /// Measure a backend: throughput, latency p50/p95 and cost per image over N images (saved under benches/)
    Bench(BenchArgs),
}

/// `genpath backend bench NAME`: what to make, how many, how many at once.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The backend (`builtin`, `practice`, or a [backends.NAME] table)
    pub name: String,
    /// Images to make (1–200)
    #[arg(long, default_value_t = 8)]
    pub images: u32,
    /// Image size, WIDTH x HEIGHT
    #[arg(long, default_value = "512x512", value_name = "WxH")]
    pub size: String,
    /// Sampling steps per image
    #[arg(long, default_value_t = 20)]
    pub steps: u32,
    /// Requests in flight at once (1–16)
    #[arg(long, default_value_t = 1)]
    pub concurrency: u32,
    /// The model (checkpoint) to ask for, where the backend takes one (`practice-sdxl` …)
    #[arg(long)]
    pub model: Option<String>,
    /// What the machine costs an hour, for a self-hosted backend (overrides `hourly_cost` in genpath.toml)
    #[arg(long, value_name = "COST")]
    pub hourly_cost: Option<f64>,
    /// Print the record as JSON (the file saved under benches/)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum LearnerCommand {
    /// Add (or update) a learner
    Add {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// List learners
    List,
    /// Import learners from a CSV file of id,name,email
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum CohortCommand {
    /// Create a cohort
    Create {
        id: String,
        #[arg(long)]
        title: Option<String>,
    },
    /// Add learners to a cohort
    Add {
        cohort: String,
        #[arg(required = true)]
        learners: Vec<String>,
    },
    /// List cohorts and their members
    List,
}

/// Which collected submissions a review covers.
#[derive(Debug, Clone, Default, Args)]
pub struct ReviewFilterArgs {
    /// Only this cohort's learners
    #[arg(long, global = true, conflicts_with = "learner")]
    pub cohort: Option<String>,
    /// Only this learner
    #[arg(long, global = true)]
    pub learner: Option<String>,
    /// Only this exercise
    #[arg(long, global = true)]
    pub exercise: Option<String>,
    /// Only work a person should look at (judgment write-ups, checks close to their line) not yet reviewed
    #[arg(long, global = true)]
    pub needs_review: bool,
    /// Only work whose grade of record is this
    #[arg(long, global = true, value_enum)]
    pub status: Option<ReviewStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReviewStatus {
    Passed,
    Failed,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// One line per collected submission: id, learner, exercise, automatic verdict, grade of record
    List {
        #[arg(long)]
        json: bool,
    },
    /// One submission in full: brief, recipe, images, every check, reproduction, history, review
    Show {
        /// The submission id (`genpath review list`)
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Set a grade, a score adjustment or a comment on a submission (or one of its checks)
    Grade {
        /// The submission id (`genpath review list`)
        id: i64,
        /// Override the automatic verdict: pass
        #[arg(long, conflicts_with_all = ["fail", "automatic"])]
        pass: bool,
        /// Override the automatic verdict: fail
        #[arg(long, conflicts_with = "automatic")]
        fail: bool,
        /// Remove an override: the automatic verdict counts again
        #[arg(long)]
        automatic: bool,
        /// Points added to (or taken from) the automatic score, -100..=100
        #[arg(long, allow_hyphen_values = true, value_name = "N")]
        adjust: Option<i32>,
        /// A comment (Markdown) for the learner
        #[arg(long, conflicts_with = "comment_file")]
        comment: Option<String>,
        /// Read the comment from a file
        #[arg(long, value_name = "FILE")]
        comment_file: Option<PathBuf>,
        /// Grade or comment one check of the submission instead of the whole
        #[arg(long, value_name = "NAME")]
        check: Option<String>,
    },
    /// Remove every review of a submission
    Clear { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// Write one feedback file per learner with their reviews and re-check verdicts (instructors)
    Export {
        #[arg(long, conflicts_with = "learner", required_unless_present = "learner")]
        cohort: Option<String>,
        #[arg(long)]
        learner: Option<String>,
        /// The folder to write the files into
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Read a feedback file from your instructor into your workspace (learners)
    Import { file: PathBuf },
    /// The feedback you received, on one exercise or all (learners)
    Show { exercise: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum AssignmentsCommand {
    /// List assignments (the default)
    List,
    /// Write the assignments and opened stages of a cohort (or one learner) to a file learners import
    Export {
        /// A cohort, or one learner (their own assignments and those of their cohorts)
        to: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Import an assignment file from your instructor (due dates show in your path)
    Import { file: PathBuf },
}

/// `--format` of `genpath report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Csv,
    Html,
    Json,
}

impl From<ReportFormat> for crate::report::Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Md => crate::report::Format::Md,
            ReportFormat::Csv => crate::report::Format::Csv,
            ReportFormat::Html => crate::report::Format::Html,
            ReportFormat::Json => crate::report::Format::Json,
        }
    }
}
