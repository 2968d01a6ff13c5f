//! `devloop doctor` looks at AWS only when the config uses it, and says why it did.

use crate::support::*;

#[test]
fn doctor_checks_aws_when_the_config_uses_it() {
    let ctx = TestContext::new().with_files(&[(
        "devloop.toml",
        "[app]\nname = \"x\"\n\n[release]\nregistry = \"ecr\"\n\n[aws]\nregion = \"us-east-1\"\n",
    )]);
    let r = ctx
        .devloop(["doctor", "-o", "json"])
        .no_aws_credentials()
        .run();
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let report = r.json();
    assert_eq!(report["aws"]["ok"], false, "{report}");
    assert!(
        report["aws"]["error"]
            .as_str()
            .unwrap()
            .contains("no AWS credentials"),
        "{report}"
    );
    assert_eq!(report["aws"]["needed_for"], "release.registry = \"ecr\"");
    // Without anything that needs AWS, doctor does not look.
    let plain = TestContext::new().with_files(&[("devloop.toml", "[app]\nname = \"x\"\n")]);
    let report = plain.run(["doctor", "-o", "json"]).json();
    assert!(report.get("aws").is_none(), "{report}");
}
