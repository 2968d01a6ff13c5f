//! The committed completion scripts must match what the binary generates.
//! Regenerate with: DEVLOOP_BLESS=1 cargo test --test it completions

use crate::support::*;

const SHELLS: &[(&str, &str)] = &[
    ("bash", "devloop.bash"),
    ("zsh", "_devloop"),
    ("fish", "devloop.fish"),
    ("powershell", "_devloop.ps1"),
    ("elvish", "devloop.elv"),
];

#[test]
fn committed_completions_are_current() {
    let bless = std::env::var_os("DEVLOOP_BLESS").is_some();
    let ctx = TestContext::new();
    let mut stale = Vec::new();
    for (shell, file) in SHELLS {
        let r = ctx.run(["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(
            r.stdout.contains("devloop"),
            "{shell} completions look empty"
        );
        let path = repo_root().join("completions").join(file);
        if bless {
            std::fs::write(&path, &r.stdout).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(r.stdout.as_str()) {
            stale.push(*file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale completions {stale:?}: run `DEVLOOP_BLESS=1 cargo test --test it completions` and commit completions/"
    );
}
