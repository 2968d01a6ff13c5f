//! devloop's own state, `.devloop/` beside devloop.toml (build caches, the local release ledger,
//! dev's pid files): made with a `.gitignore` of `*` in it, so it is never tracked and never makes
//! the tree dirty, whatever the project's own ignore files say.

use std::path::{Path, PathBuf};

/// The state directory of the project at `root`, created (with its `.gitignore`) when missing.
pub fn dir(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(".devloop");
    std::fs::create_dir_all(&dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# devloop's own state (caches, the local release ledger): never tracked.\n*\n",
        )?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_state_directory_ignores_itself() {
        let root = tempfile::tempdir().unwrap();
        let dir = super::dir(root.path()).unwrap();
        let text = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
        assert!(text.lines().any(|l| l == "*"), "{text}");
        // Made once; a user's edit is kept.
        std::fs::write(dir.join(".gitignore"), "*\n!keep\n").unwrap();
        super::dir(root.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
            "*\n!keep\n"
        );
    }
}
