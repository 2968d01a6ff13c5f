//! `devloop plan` on examples/hello, as text and as the JSON document (re-indented, keys sorted).

use crate::support::*;

#[test]
fn the_plan_of_the_example() {
    let ctx = TestContext::new().with_example("hello");
    let r = ctx.run(["plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ctx.snapshot("plan")
        .describe("devloop plan, in examples/hello")
        .assert(&r.stdout);
}

#[test]
fn the_plan_of_the_example_as_json() {
    let ctx = TestContext::new().with_example("hello");
    let r = ctx.run(["plan", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pretty = serde_json::to_string_pretty(&r.json()).expect("JSON");
    ctx.snapshot("plan_json")
        .describe("devloop plan -o json, in examples/hello (pretty-printed)")
        .assert(&pretty);
}

#[test]
fn the_plan_of_a_release_to_a_registry_shows_no_secret() {
    let ctx = TestContext::new().with_files(&[
        (
            "devloop.toml",
            "[app]\nname = \"web\"\n[build]\nargs = { TOKEN = { value = \"${MY_TOKEN}\", secret = true } }\n[release]\nregistry = \"registry.example.com/team\"\nmoving_tags = [\"latest\"]\n",
        ),
        ("Dockerfile", "FROM busybox:1.36\n"),
        (".dockerignore", ".git\n"),
    ]);
    let r = ctx
        .devloop(["plan", "release"])
        .env("MY_TOKEN", "tok-9f8e7d6c")
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.all().contains("tok-9f8e7d6c"), "{}", r.all());
    ctx.snapshot("plan_release")
        .describe("devloop plan release, a registry and a secret build arg")
        .assert(&r.stdout);
}
