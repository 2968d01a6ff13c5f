//! Loader behaviour on small documents: merging, interpolation and located errors.

use std::path::Path;

use super::*;

fn load(text: &str, env: Option<&str>, vars: &[(&str, &str)]) -> Result<Config> {
    let source = Source::new(
        Path::new("/p/devloop.toml"),
        text.to_string(),
        Path::new("/p"),
    );
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_source(source, env, &move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

const BASE: &str = r#"
[app]
name = "web"
default_env = "staging"

[build]
args = { A = "1", TOKEN = { value = "${TOKEN:-s3cr3t-default}", secret = true } }

[deploy]
target = "docker"
timeout = "90s"
docker.ports = ["8080:80"]

[env.staging]
deploy.docker.ports = ["9090:80"]

[env.prod]
build.args.A = "2"
deploy.target = "swarm"
deploy.timeout = "15m"
deploy.swarm.replicas = 3
"#;

#[test]
fn default_env_is_selected_and_merged() {
    let c = load(BASE, None, &[]).unwrap();
    assert_eq!(c.env.as_deref(), Some("staging"));
    assert_eq!(c.envs, vec!["prod", "staging"]);
    assert_eq!(ports(&c), ["9090:80"]);
    assert_eq!(c.doc.deploy.timeout.unwrap().get().as_secs(), 90);
}

#[test]
fn env_overrides_deep_keys_and_keeps_the_rest() {
    let c = load(BASE, Some("prod"), &[]).unwrap();
    assert_eq!(c.target(), Some(TargetKind::Swarm));
    assert_eq!(c.doc.build.args["A"].value(), "2");
    assert_eq!(c.doc.build.args["TOKEN"].value(), "s3cr3t-default");
    assert_eq!(c.doc.deploy.swarm.as_ref().unwrap().replicas, Some(3));
    assert_eq!(c.doc.deploy.timeout.unwrap().get().as_secs(), 900);
    // Shared settings not overridden are inherited.
    assert_eq!(ports(&c), ["8080:80"]);
}

#[test]
fn secrets_are_collected_from_interpolated_values() {
    let c = load(BASE, None, &[("TOKEN", "tok-from-env")]).unwrap();
    assert_eq!(c.secrets, vec!["tok-from-env".to_string()]);
}

#[test]
fn unknown_environment_suggests_the_nearest() {
    let e = load(BASE, Some("prdo"), &[]).unwrap_err();
    assert_eq!(e.kind, crate::error::ExitKind::Usage);
    assert!(e.message.contains("did you mean \"prod\""), "{}", e.message);
}

#[test]
fn typo_in_an_unselected_environment_is_still_an_error() {
    let text = format!("{BASE}\n[env.qa]\ndeploy.tiemout = \"1m\"\n");
    let e = load(&text, Some("staging"), &[]).unwrap_err();
    let line = text.lines().position(|l| l.contains("tiemout")).unwrap() + 1;
    assert!(
        e.message.starts_with(&format!(
            "devloop.toml:{line}:8: unknown key \"tiemout\" — did you mean \"timeout\"?"
        )),
        "{}",
        e.message
    );
}

#[test]
fn unset_variable_only_matters_in_the_selected_environment() {
    let text = format!("{BASE}\n[env.qa]\ndeploy.timeout = \"${{QA_TIMEOUT}}\"\n");
    assert!(load(&text, Some("staging"), &[]).is_ok());
    let e = load(&text, Some("qa"), &[]).unwrap_err();
    assert!(
        e.message
            .contains("environment variable QA_TIMEOUT is not set"),
        "{}",
        e.message
    );
    let c = load(&text, Some("qa"), &[("QA_TIMEOUT", "2m")]).unwrap();
    assert_eq!(c.doc.deploy.timeout.unwrap().get().as_secs(), 120);
}

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
fn invalid_app_name_is_refused() {
    let e = load("[app]\nname = \"My App\"\n", None, &[]).unwrap_err();
    assert!(
        e.message
            .starts_with("devloop.toml:2:8: app name \"My App\""),
        "{}",
        e.message
    );
}

#[test]
fn ecs_target_requires_its_table() {
    let e = load(
        "[app]\nname = \"a\"\n[deploy]\ntarget = \"ecs\"\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(e.message.contains("needs [deploy.ecs]"), "{}", e.message);
}

#[test]
fn tests_are_validated() {
    let dup =
        "[app]\nname=\"a\"\n[[test]]\nname=\"t\"\nrun=\"x\"\n[[test]]\nname=\"t\"\nrun=\"y\"\n";
    assert!(load(dup, None, &[])
        .unwrap_err()
        .message
        .contains("duplicate test name"));
    let need = "[app]\nname=\"a\"\n[[test]]\nname=\"unit\"\nrun=\"x\"\n[[test]]\nname=\"b\"\nrun=\"y\"\nneeds=[\"unti\"]\n";
    assert!(load(need, None, &[])
        .unwrap_err()
        .message
        .contains("did you mean \"unit\""));
    let svc = "[app]\nname=\"a\"\n[[test]]\nname=\"s\"\nkind=\"service\"\n";
    assert!(load(svc, None, &[])
        .unwrap_err()
        .message
        .contains("needs `port`"));
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
fn discovery_walks_up_and_reports_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    let opts = LoadOptions {
        cwd: nested.clone(),
        ..Default::default()
    };
    let e = discover(&opts).unwrap_err();
    assert!(e.message.contains("no devloop.toml in"), "{}", e.message);
    std::fs::write(dir.path().join("devloop.toml"), "[app]\nname=\"a\"\n").unwrap();
    assert_eq!(discover(&opts).unwrap(), dir.path().join("devloop.toml"));
}

#[test]
fn build_secrets_need_exactly_one_source() {
    let ok = load(
        "[app]\nname = \"a\"\n[build.secrets]\ntoken = { env = \"TOKEN\" }\nnetrc = { file = \"~/.netrc\" }\n",
        None,
        &[],
    )
    .unwrap();
    assert_eq!(ok.doc.build.secrets.len(), 2);

    let e = load(
        "[app]\nname = \"a\"\n[build.secrets]\ntoken = { env = \"T\", file = \"f\" }\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(
        e.message
            .starts_with("devloop.toml:4:9: build secret \"token\" needs exactly one source"),
        "{}",
        e.message
    );
    let e = load(
        "[app]\nname = \"a\"\n[build.secrets]\ntoken = { evn = \"T\" }\n",
        None,
        &[],
    )
    .unwrap_err();
    assert!(
        e.message
            .starts_with("devloop.toml:4:11: unknown key \"evn\"")
            && e.message.contains("\"env\""),
        "{}",
        e.message
    );
}

fn ports(c: &Config) -> Vec<String> {
    c.doc
        .deploy
        .docker
        .as_ref()
        .unwrap()
        .ports
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn target_settings_are_typed_when_the_config_loads() {
    let text = "[app]\nname = \"a\"\n\n[env.local]\ndeploy.target = \"docker\"\ndeploy.docker.ports = [\"80:http\"]\n";
    let err = load(text, Some("local"), &[]).unwrap_err();
    assert_eq!(err.kind, crate::error::ExitKind::Usage);
    assert!(
        err.message.starts_with("devloop.toml:6:24:"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("\"http\" is not a port number"),
        "{}",
        err.message
    );
    // The same mistake in an environment that is not selected is found too.
    let err = load(text, None, &[]).unwrap_err();
    assert!(err.message.contains("not a port number"), "{}", err.message);
    let text = "[app]\nname = \"a\"\n\n[deploy]\ntarget = \"swarm\"\nswarm.memory = \"lots\"\nswarm.update.order = \"sideways\"\n";
    let err = load(text, None, &[]).unwrap_err();
    assert!(err.message.contains("memory \"lots\""), "{}", err.message);
    let text =
        "[app]\nname = \"a\"\n\n[deploy]\ntarget = \"swarm\"\nswarm.update.order = \"sideways\"\n";
    let err = load(text, None, &[]).unwrap_err();
    assert!(err.message.contains("devloop.toml:6:22"), "{}", err.message);
    assert!(err.message.contains("start-first"), "{}", err.message);
    let text =
        "[app]\nname = \"a\"\n\n[deploy]\ntarget = \"docker\"\ndocker.stop_signal = \"SIGNOPE\"\n";
    assert!(load(text, None, &[])
        .unwrap_err()
        .message
        .contains("stop_signal"));
}

/// The message of the error loading `text`, which must fail.
fn error_of(text: &str) -> String {
    load(text, None, &[]).unwrap_err().message
}

const DOCKER: &str = "[app]\nname = \"a\"\n[deploy]\ntarget = \"docker\"\n";

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

#[test]
fn durations_are_bounded_at_load() {
    // issue 24 item 4: "100000000000y" passed plan and doctor, then panicked in monitor.
    assert_eq!(
        error_of(&format!("{DOCKER}health.interval = \"100000000000y\"\n")),
        "devloop.toml:5:19: deploy.health.interval \"100000000000y\" is too long: the most devloop accepts is 7 days (\"7d\")"
    );
    for key in [
        "timeout",
        "health.start_period",
        "docker.stop_grace_period",
        "swarm.update.delay",
        "swarm.update.monitor",
    ] {
        let e = error_of(&format!("{DOCKER}{key} = \"18446744073709551615s\"\n"));
        assert!(
            e.contains("is too long: the most devloop accepts is 7 days"),
            "{key}: {e}"
        );
    }
    let e = error_of("[app]\nname = \"a\"\n[build]\ntimeout = \"8d\"\n");
    assert!(
        e.starts_with("devloop.toml:4:11: build.timeout \"8d\" is too long"),
        "{e}"
    );
    let e =
        error_of("[app]\nname = \"a\"\n[[test]]\nname = \"t\"\nrun = \"x\"\ntimeout = \"1000w\"\n");
    assert!(
        e.starts_with("devloop.toml:6:11: test.timeout \"1000w\" is too long"),
        "{e}"
    );
    assert_eq!(
        error_of(&format!("{DOCKER}health.interval = \"0s\"\n")),
        "devloop.toml:5:19: deploy.health.interval \"0s\" is too short: probes must be at least \"100ms\" apart"
    );
    let ok = load(
        &format!("{DOCKER}timeout = \"7d\"\nhealth.interval = \"100ms\"\n"),
        None,
        &[],
    )
    .unwrap();
    assert_eq!(ok.doc.deploy.timeout.unwrap().get(), duration::MAX);
}

#[test]
fn port_host_addresses_are_checked() {
    // issue 24 item 5: a typo in the host IP published on every interface.
    assert_eq!(
        error_of(&format!("{DOCKER}docker.ports = [\"127.0.0.l:18931:80\"]\n")),
        "devloop.toml:5:17: port mapping \"127.0.0.l:18931:80\": \"127.0.0.l\" is not an IP address; write one such as 127.0.0.1 or [::1], or leave it out to publish on every interface"
    );
    for bad in ["not-an-ip:8080:80", "999.999.999.999:8080:80"] {
        let e = error_of(&format!("{DOCKER}swarm.ports = [\"{bad}\"]\n"));
        assert!(e.contains("is not an IP address"), "{bad}: {e}");
    }
    let ok = load(
        &format!("{DOCKER}docker.ports = [\"[::1]:8080:80\", \"127.0.0.1:8080:80\", \"8081:80\", \"8081:80/udp\"]\n"),
        None,
        &[],
    )
    .unwrap();
    assert_eq!(ports(&ok)[0], "[::1]:8080:80");
    assert_eq!(
        ok.doc.deploy.docker.unwrap().ports[0].host_ip.as_deref(),
        Some("::1")
    );
}

#[test]
fn duplicate_host_ports_are_refused_where_the_second_one_is() {
    assert_eq!(
        error_of(&format!("{DOCKER}docker.ports = [\"8080:80\", \"9090:90\", \"8080:81\"]\n")),
        "devloop.toml:5:39: deploy.docker.ports: \"8080:81\" publishes host port 8080/tcp again (\"8080:80\" already does); give each mapping its own host port or address"
    );
    let e = error_of(&format!(
        "{DOCKER}swarm.ports = [\"127.0.0.1:53:53/udp\", \"53:53/udp\"]\n"
    ));
    assert!(e.contains("publishes host port 53/udp again"), "{e}");
    // In an environment that is not selected too.
    let e = load(
        &format!("{DOCKER}[env.a]\n[env.b]\ndeploy.docker.ports = [\"1:1\", \"1:2\"]\n"),
        Some("a"),
        &[],
    )
    .unwrap_err();
    assert!(e.message.starts_with("devloop.toml:7:31:"), "{}", e.message);
}

#[test]
fn settings_that_would_fail_at_deploy_fail_at_load() {
    // issue 24 item 7: each of these passed the loader and failed after the release was made.
    let cases = [
        (
            "docker.name = \"\"",
            "devloop.toml:5:15: deploy.docker.name \"\" is not a Docker container name: it must start with a letter or digit, then letters, digits, _ . or - (two characters at least), like name = \"app-staging\"",
        ),
        (
            "docker.name = \"Bad Name!\"",
            "devloop.toml:5:15: deploy.docker.name \"Bad Name!\" is not a Docker container name: it must start with a letter or digit, then letters, digits, _ . or - (two characters at least), like name = \"Bad-Name\"",
        ),
        (
            "docker.stop_signal = \"RTMINjunk\"",
            "devloop.toml:5:22: deploy.docker.stop_signal \"RTMINjunk\" is not a signal: write a name such as SIGTERM, SIGQUIT or SIGINT, a number from 1 to 64, or RTMIN+n / RTMAX-n",
        ),
        (
            "health.port = 0",
            "devloop.toml:5:15: deploy.health.port must be a whole number from 1 to 65535 (0 is not a port), like port = 8080",
        ),
        (
            "health.http = \"no-slash\"",
            "devloop.toml:5:15: deploy.health.http must be a URL path starting with \"/\", without spaces, like http = \"/no-slash\"",
        ),
        (
            "health.http = \"http://localhost/healthz\"",
            "devloop.toml:5:15: deploy.health.http must be a URL path starting with \"/\", without spaces, like http = \"/healthz\"",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(error_of(&format!("{DOCKER}{line}\n")), want, "{line}");
    }
    assert!(load(
        &format!("{DOCKER}docker.stop_signal = \"SIGRTMIN+3\"\ndocker.name = \"web_1.a-b\"\n"),
        None,
        &[]
    )
    .is_ok());

    assert_eq!(
        error_of("[app]\nname = \"a\"\n[build]\nargs = { WHEN = 1979-05-27T07:32:00Z }\n"),
        "devloop.toml:4:17: build.args.WHEN is a TOML date-time, which devloop does not read; write it as a string, like WHEN = \"1979-05-27T07:32:00Z\""
    );
    assert_eq!(
        error_of("[app]\nname = \"a\"\n[build.labels]\n\"org.date\" = 1979-05-27\n"),
        "devloop.toml:4:14: build.labels.\"org.date\" is a TOML date-time, which devloop does not read; write it as a string, like \"org.date\" = \"1979-05-27\""
    );
    assert_eq!(
        error_of("[app]\nname = \"a\"\n[[test]]\nname = \"\"\nrun = \"true\"\n"),
        "devloop.toml:4:8: test name \"\" cannot be used: give each [[test]] a name of visible characters, like name = \"unit\" (its step is called test:<name>)"
    );
    assert_eq!(
        error_of("[app]\nname = \"a\"\n[[test]]\nname = \"svc\"\nkind = \"service\"\nport = 0\n"),
        "devloop.toml:6:8: test.port must be a whole number from 1 to 65535 (0 is not a port), like port = 8080"
    );
    let e = error_of("[app]\nname = \"a\"\n[[test]]\nname = \"svc\"\nkind = \"service\"\nport = 80\nhttp = \"ready\"\n");
    assert!(
        e.starts_with("devloop.toml:7:8: test.http must be a URL path starting with \"/\""),
        "{e}"
    );
}

#[test]
fn a_needs_cycle_names_only_the_cycle() {
    // issue 24 item 9: the engine named every step downstream of the cycle too.
    let text = "[app]\nname = \"a\"\n[deploy]\ntarget = \"docker\"\n\
        [[test]]\nname = \"z\"\nrun = \"true\"\nneeds = [\"a\"]\n\
        [[test]]\nname = \"a\"\nrun = \"true\"\nneeds = [\"b\"]\n\
        [[test]]\nname = \"b\"\nrun = \"true\"\nneeds = [\"a\"]\n";
    assert_eq!(
        error_of(text),
        "devloop.toml:10:8: tests need each other in a cycle, so none of them can start: test:a -> test:b -> test:a; remove one of these needs"
    );
    let own = "[app]\nname = \"a\"\n[[test]]\nname = \"t\"\nrun = \"true\"\nneeds = [\"t\"]\n";
    assert!(error_of(own).contains(": test:t -> test:t;"));
    let diamond = "[app]\nname = \"a\"\n[[test]]\nname = \"a\"\nrun = \"x\"\n[[test]]\nname = \"b\"\nrun = \"x\"\nneeds = [\"a\"]\n[[test]]\nname = \"c\"\nrun = \"x\"\nneeds = [\"a\", \"b\"]\n";
    assert!(load(diamond, None, &[]).is_ok());
}
