//! Helpers shared by the integration tests.

use std::process::Command;

/// Whether the outside tool `program` (a judge such as sox or lame) runs. In CI, where
/// scripts/test installs the judges, a missing one fails the test instead of skipping it.
#[allow(dead_code, reason = "not every test binary uses every helper")]
pub(crate) fn judge_available(program: &str) -> bool {
    judge_answers(program, "--version")
}

/// [`judge_available`] for a tool that answers `probe` (such as `--help`) but not `--version`.
#[allow(dead_code, reason = "not every test binary uses every helper")]
pub(crate) fn judge_answers(program: &str, probe: &str) -> bool {
    let found = Command::new(program)
        .arg(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "{program} is not installed"
    );
    found
}
