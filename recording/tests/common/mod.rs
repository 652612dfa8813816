//! Helpers shared by the integration tests.

use std::process::Command;

/// Whether the outside tool `program` (a judge such as sox or lame) runs. In CI, where
/// scripts/test installs the judges, a missing one fails the test instead of skipping it.
pub(crate) fn judge_available(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "{program} is not installed"
    );
    found
}
