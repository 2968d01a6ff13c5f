//! `devloop provision` and `devloop destroy`: from an empty account to a serving app on each AWS
//! target, and back.

mod beanstalk;
mod ecs;

use crate::support::awspeer::AwsPeer;
use crate::support::*;

/// The calls that change the account, made since the first `skip` calls.
fn writes(peer: &AwsPeer, skip: usize) -> Vec<String> {
    const READ: &[&str] = &["Describe", "List", "Get", "Head"];
    peer.calls()
        .iter()
        .skip(skip)
        .filter_map(|c| c["action"].as_str().map(str::to_string))
        .filter(|a| !READ.iter().any(|r| a.starts_with(r)))
        .collect()
}

/// `template` passes cfn-lint with no error (warnings and notes are allowed).
fn cfn_lint(ctx: &TestContext, template: &str) {
    ctx.write("stack.json", template);
    let lint = std::process::Command::new("cfn-lint")
        .arg(ctx.join("stack.json"))
        .output();
    match lint {
        Ok(out) => {
            let code = out.status.code().unwrap_or(-1);
            // cfn-lint's exit code is a bit mask: 2 = an error (4 warnings, 8 informational).
            assert_eq!(
                code & 2,
                0,
                "cfn-lint found errors:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "cfn-lint is not installed (scripts/test.sh installs it): {e}"
            );
            eprintln!("cfn-lint is not installed: the template was not linted");
        }
    }
}
