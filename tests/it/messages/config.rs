//! Config mistakes as devloop reports them: where (`devloop.toml:L:C`, the line and a caret),
//! what is wrong, and what to write instead. Each is exit 2 from `plan` unless said otherwise.

use crate::support::*;

const WEB: &str = "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n";

/// (snapshot name, devloop.toml, arguments)
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "config_typo_in_a_key",
        "[app]\nname = \"web\"\n\n[build]\ncontext = \".\"\nimgae = \"foo\"\n",
        &["plan"],
    ),
    ("config_missing_app", "[build]\ncontext = \".\"\n", &["plan"]),
    (
        "config_toml_syntax",
        "[app]\nname = \"web\"\n[deploy\ntarget = \"docker\"\n",
        &["plan"],
    ),
    (
        "config_port_not_a_number",
        "[app]\nname = \"web\"\n\n[env.local]\ndeploy.target = \"docker\"\ndeploy.docker.ports = [\"80:http\"]\n",
        &["plan"],
    ),
    (
        "config_unknown_environment",
        "[app]\nname = \"web\"\n[env.local]\ndeploy.target = \"docker\"\n[env.staging]\ndeploy.target = \"docker\"\n",
        &["-e", "lcoal", "plan"],
    ),
    (
        "config_tests_in_a_cycle",
        "[app]\nname = \"web\"\n[[test]]\nname = \"a\"\nrun = \"true\"\nneeds = [\"b\"]\n[[test]]\nname = \"b\"\nrun = \"true\"\nneeds = [\"a\"]\n",
        &["plan"],
    ),
    (
        "config_interval_too_long",
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n[deploy.health]\nport = 80\ninterval = \"100000000000y\"\n",
        &["plan"],
    ),
    (
        "config_container_name",
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"docker\"\n[deploy.docker]\nname = \"Bad Name!\"\n",
        &["plan"],
    ),
    (
        "config_toml_date_time",
        "[app]\nname = \"web\"\n[build]\nlabels = { built = 1979-05-27 }\n",
        &["plan"],
    ),
    (
        "config_beanstalk_option_namespace",
        "[app]\nname = \"web\"\n[deploy]\ntarget = \"beanstalk\"\n[deploy.beanstalk]\napplication = \"web\"\nenvironment = \"web-prod\"\n[deploy.beanstalk.options.\"autoscaling:asg\"]\nMinSize = \"2\"\n",
        &["plan"],
    ),
    (
        "config_list_of_tags_as_a_string",
        "[app]\nname = \"web\"\n[release]\ntags = \"{short_sha}\"\n",
        &["plan"],
    ),
];

#[test]
fn located_config_errors() {
    for (name, toml, args) in CASES {
        let ctx = TestContext::new().with_files(&[("devloop.toml", *toml)]);
        let r = ctx.run(*args);
        assert_eq!(r.code, 2, "{name}: {}", r.transcript());
        assert!(r.stdout.is_empty(), "{name}: {}", r.stdout);
        ctx.snapshot(name)
            .describe(format!(
                "devloop {}, on this devloop.toml:\n{toml}",
                args.join(" ")
            ))
            .assert(&r.stderr);
    }
}

#[test]
fn a_located_config_error_under_github_actions() {
    let ctx = TestContext::new().with_files(&[("devloop.toml", &format!("{WEB}timeout = 30\n"))]);
    let r = ctx.devloop(["plan"]).env("GITHUB_ACTIONS", "true").run();
    assert_eq!(r.code, 2, "{}", r.transcript());
    ctx.snapshot("config_github_actions")
        .describe("devloop plan, GITHUB_ACTIONS=true")
        .assert(&r.stderr);
}

#[test]
fn no_config_at_all() {
    let ctx = TestContext::new();
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 2, "{}", r.transcript());
    ctx.snapshot("config_missing")
        .describe("devloop plan, in a directory without devloop.toml")
        .assert(&r.stderr);
}
