//! Typed values refused when the config loads rather than mid-deploy: ports and host addresses,
//! durations, sizes, signals, container names, probe paths.

use super::*;

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
