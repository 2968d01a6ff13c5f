//! Errors point at the value: `file:line:col`, the key as the document names it, and what to
//! write instead.

use super::*;

#[test]
fn missing_required_key_is_named() {
    let e = load("[build]\ncontext = \".\"\n", None, &[]).unwrap_err();
    assert!(e.message.contains("missing key \"app\""), "{}", e.message);
}

#[test]
fn wrong_types_are_located() {
    let e = load(
        "[app]\nname = \"a\"\n[deploy.swarm]\nreplicas = \"two\"\n",
        None,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "devloop.toml:4:12: deploy.swarm.replicas must be a whole number, 0 or more, like replicas = 2"
    );
}

#[test]
fn bad_tag_template_is_located() {
    let e = load(
        "[app]\nname=\"a\"\n[build]\ntags = [\"{short_hsa}\"]\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(e.message.starts_with("devloop.toml:4:9:"), "{}", e.message);
    assert!(
        e.message.contains("did you mean \"{short_sha}\""),
        "{}",
        e.message
    );
}

#[test]
fn type_errors_say_what_to_write() {
    // issue 23 item 9: the user's terms and the fix, at the value.
    let cases = [
        (
            "docker.ports = \"18480:80\"",
            "devloop.toml:5:16: deploy.docker.ports must be a list of \"host:container\" strings, like ports = [\"18480:80\"]",
        ),
        (
            "docker.ports = [18480]",
            "devloop.toml:5:17: deploy.docker.ports must be a list of \"host:container\" strings, like ports = [\"18480:80\"]",
        ),
        (
            "timeout = 30",
            "devloop.toml:5:11: deploy.timeout must be a duration string, like timeout = \"30s\"",
        ),
        (
            "timeout = \"30\"",
            "devloop.toml:5:11: deploy.timeout \"30\" has no unit: write \"30s\" for seconds or \"30m\" for minutes",
        ),
        (
            "health.port = \"80\"",
            "devloop.toml:5:15: deploy.health.port must be a whole number from 1 to 65535, like port = 80",
        ),
        (
            "health.port = 70000",
            "devloop.toml:5:15: deploy.health.port must be a whole number from 1 to 65535, like port = 8080",
        ),
        (
            "health.retries = -1",
            "devloop.toml:5:18: deploy.health.retries must be a whole number, 0 or more, like retries = 5",
        ),
        (
            "docker.init = \"yes\"",
            "devloop.toml:5:15: deploy.docker.init must be true or false, without quotes, like init = true",
        ),
        (
            "docker.cpus = \"half\"",
            "devloop.toml:5:15: deploy.docker.cpus must be a number, like cpus = 0.5",
        ),
        (
            "health = 5",
            "devloop.toml:5:10: deploy.health must be a table, like [deploy.health] with its keys on the lines below",
        ),
        (
            "docker.env = 5",
            "devloop.toml:5:14: deploy.docker.env must be a table of NAME = \"value\", like env = { NAME = \"value\" }",
        ),
        (
            "docker.env = { A = 5 }",
            "devloop.toml:5:20: deploy.docker.env.A must be a string, or a table { value = \"...\", secret = true }, like A = \"5\"",
        ),
        (
            "swarm.update.order = 1",
            "devloop.toml:5:22: deploy.swarm.update.order must be one of \"start-first\" or \"stop-first\", like order = \"start-first\"",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(error_of(&format!("{DOCKER}{line}\n")), want, "{line}");
    }
    assert_eq!(
        error_of("[app]\nname = 5\n"),
        "devloop.toml:2:8: app.name must be a string in quotes, like name = \"5\""
    );
    assert_eq!(
        error_of("[app]\nname = \"a\"\n[deploy]\ntarget = 1\n"),
        "devloop.toml:4:10: deploy.target must be one of \"docker\", \"swarm\", \"ecs\" or \"beanstalk\", like target = \"docker\""
    );
    assert_eq!(
        error_of("[app]\nname = \"a\"\n[test]\nname = \"t\"\n"),
        "devloop.toml:3:1: test must be a list of tables, one for each test, like [[test]] (double brackets) above each test's keys"
    );
    assert_eq!(
        error_of("[app]\nname = \"a\"\n[[test]]\nrun = \"x\"\n"),
        "devloop.toml:3:1: missing key \"name\" in [[test]]"
    );
    // In an environment, the key is named as the document has it once merged.
    let e = error_of(&format!("{DOCKER}[env.prod]\ndeploy.timeout = 90\n"));
    assert_eq!(
        e,
        "devloop.toml:6:18: deploy.timeout must be a duration string, like timeout = \"90s\""
    );
    // Unknown keys keep their suggestion.
    assert!(error_of(&format!("{DOCKER}tiemout = \"1m\"\n"))
        .ends_with("unknown key \"tiemout\" — did you mean \"timeout\"?"));
}

#[test]
fn config_errors_carry_their_location() {
    let e = load(&format!("{DOCKER}timeout = 30\n"), None, &[]).unwrap_err();
    let loc = e.location.expect("a location");
    assert_eq!(
        (loc.file.as_str(), loc.line, loc.col),
        ("devloop.toml", Some(5), Some(11))
    );
    let e = load("[build]\n", None, &[]).unwrap_err();
    assert_eq!(e.location.unwrap().file, "devloop.toml");
}
