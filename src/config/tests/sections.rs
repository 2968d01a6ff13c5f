//! Rules of single sections: the app name, `[[test]]` entries and their needs, build secrets,
//! and the table a deploy target needs.

use super::*;

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
