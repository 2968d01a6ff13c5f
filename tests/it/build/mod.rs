//! `devloop build` against the real Docker daemon, with the docker CLI as the oracle: the
//! classic builder and BuildKit, the build context, secrets, and a daemon behind TLS.

mod basics;
mod buildkit;
mod context;
mod tls;

/// A config for `app` whose builds are tagged `{short_sha}` and `latest`, with `extra` in [build].
fn config(app: &str, extra: &str) -> String {
    format!("[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\", \"latest\"]\n{extra}\n")
}
