//! The conformance kit: runs the manuals' procedures, written as Japanese Gherkin under
//! `features/`, against the simulated terminal and its components.
//!
//! Message language, one rule: what a person at the terminal or a step of a manual would
//! read — a step's failure, a component's answer, the audit's items — is Japanese, in the
//! manuals' words (the report shows it under a Japanese step); what the runner says about the
//! run itself — options, files, the dry run's findings, the verdict, exit codes — is English,
//! like cargo's and clap's, so it reads the same beside them in a CI log.
//!
//! | module | what it holds |
//! |---|---|
//! | [`world`] | the cucumber World: one `oqs_sim::World`, one terminal, what the screen shows |
//! | `browser` | Chromium through WebDriver for the `@browser` scenarios (feature `browser`) |
//! | [`steps`] | the step library, one module per domain area; steps are phrase → call → assert |
//! | [`catalogue`] | the step definitions as `build.rs` read them: captures taken, does-nothing, what a `then` observes |
//! | [`claims`] | `# m: <id>` comment lines: the manual entries a step line plays |
//! | [`coverage`] | which numbered steps and こんなときは branches of the manuals passing scenarios play, verified against a component or the simulator |
//! | [`dry_run`] | `--dry-run`: every step matches exactly one definition; every claim names an entry, sits on a step that does something and is followed by an observation |
//! | [`evidence`] | what a submission carries: kit commit, date, command line, target programs' SHA-256, JUnit with expected failures as skipped |
//! | [`fuzz_seeds`] | `OQS_FUZZ_SEEDS`: the files the scenarios exchanged, kept as seeds for the fuzz targets |
//! | [`expected`] | the expected-failures manifest: listed failures pass, surprises both ways fail |
//! | [`progress`] | the progress bar of a run on a terminal |
//! | [`report`] | the self-contained HTML report, and the merge of several runs' Cucumber JSON |
//! | [`runner`] | the run as a library: options → plan → play → outcome → reporters, with documented exit codes |
//! | [`target`] | which build plays each component: the kit's own, or a vendor's program |

#[cfg(feature = "browser")]
pub mod browser;
pub mod catalogue;
pub mod claims;
pub mod coverage;
pub mod dry_run;
pub mod evidence;
pub mod expected;
pub mod fuzz_seeds;
pub mod progress;
pub mod report;
pub mod runner;
pub mod steps;
pub mod target;
pub mod world;

pub use runner::{KitOpts, run_cli};
pub use world::KitWorld;
