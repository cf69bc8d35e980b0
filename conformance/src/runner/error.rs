//! How a run ends, as an exit code a script can test (like nextest's): the codes of the
//! verdicts, and one error for what stops a run before its scenarios or loses its reports.

/// Exit codes of `cargo xtask conformance` and `oqs-conformance`. They are stable: CI scripts
/// and vendors' pipelines test them.
pub mod exit {
    /// The selected scenarios passed, or failed exactly as the expected-failures manifest lists,
    /// and coverage met its floor; also `--rerun-failed` when the last run had no failure.
    pub const PASSED: i32 = 0;
    /// A scenario failed or was skipped and the manifest does not list it, or a listed failure
    /// passed (a stale entry), or a feature file did not parse.
    pub const FAILED: i32 = 1;
    /// An option, or a file an option names (target file, manifest, the last run's report,
    /// `manual-steps.toml`), is wrong: nothing ran. clap's own usage errors exit 2 as well.
    pub const USAGE: i32 = 2;
    /// The scenarios passed but coverage is under `--coverage-min`.
    pub const COVERAGE: i32 = 3;
    /// `--dry-run` found problems (an unmatched step, a bad claim, a target program missing).
    pub const DRY_RUN: i32 = 4;
    /// The target's `build` command failed: nothing ran.
    pub const TARGET_BUILD: i32 = 5;
    /// This machine cannot do what was asked (PC/SC for a driver target), or the report folder,
    /// `junit.xml`, `cucumber.json`, `coverage.json` or `evidence.zip` cannot be written (the
    /// HTML page and the services' logs are only said to be missing).
    pub const ENVIRONMENT: i32 = 6;
}

/// What stops a run, or loses what it found. The text is for the person who typed the command:
/// English, naming the file and what to do (see the crate docs on message language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// An option or a file it names is wrong.
    Usage(String),
    /// The target's `build` failed.
    TargetBuild(String),
    /// This machine lacks what the run needs.
    Environment(String),
    /// A report could not be written.
    Reports(String),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Usage(_) => exit::USAGE,
            RunError::TargetBuild(_) => exit::TARGET_BUILD,
            RunError::Environment(_) | RunError::Reports(_) => exit::ENVIRONMENT,
        }
    }
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Usage(e) => write!(f, "error: {e}"),
            RunError::TargetBuild(e) => write!(f, "error: the target's build failed: {e}"),
            RunError::Environment(e) => write!(f, "error: {e}"),
            RunError::Reports(e) => write!(f, "error: reports: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_error_has_its_own_documented_code() {
        let codes = [
            RunError::Usage(String::new()).exit_code(),
            RunError::TargetBuild(String::new()).exit_code(),
            RunError::Environment(String::new()).exit_code(),
        ];
        assert_eq!(codes, [exit::USAGE, exit::TARGET_BUILD, exit::ENVIRONMENT]);
        // none of them reads as a pass or as failed scenarios
        for c in codes {
            assert!(c != exit::PASSED && c != exit::FAILED, "{c}");
        }
        assert_eq!(
            RunError::TargetBuild("exit status 1".into()).to_string(),
            "error: the target's build failed: exit status 1"
        );
    }
}
