//! `TestContext`: everything one test owns, dropped together when the test ends, however it ends:
//! the project directory (files written and committed to a fresh git repository), the
//! environment the binary gets, the peers it started (registry, moto, the AWS peer), and the
//! removal of whatever its app left in the Docker daemon.
//!
//! ```ignore
//! let ctx = TestContext::docker("dl-build").with_files(&[("Dockerfile", "FROM busybox:1.36\n")]);
//! let r = ctx.run(["build"]);
//! assert_eq!(r.code, 0, "{}", r.stderr);
//! ```

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::awspeer::AwsPeer;
use super::docker::{require_docker, require_registry, require_swarm, unique, DockerCleanup};
use super::peers::{free_port, require_moto, Moto, Registry};
use super::project;
use super::run::{devloop, Devloop, Run};
use super::snapshot::Snapshot;

pub struct TestContext {
    // Fields drop in declaration order: the app's containers, services and images first, then
    // the peers, the project directory last.
    cleanup: Option<DockerCleanup>,
    aws_peer: Option<AwsPeer>,
    moto: Option<Moto>,
    registry: Option<Registry>,
    app: Option<String>,
    port: Option<u16>,
    /// Set (`Some`) or removed (`None`) for every run, in order, on top of [`devloop`]'s.
    env: Vec<(OsString, Option<OsString>)>,
    dir: tempfile::TempDir,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    /// An empty temporary directory, not yet a git repository.
    pub fn new() -> Self {
        TestContext {
            cleanup: None,
            aws_peer: None,
            moto: None,
            registry: None,
            app: None,
            port: None,
            env: Vec::new(),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A test that needs the Docker daemon, with an app name of its own (see [`Self::with_app`]).
    pub fn docker(prefix: &str) -> Self {
        require_docker();
        Self::new().with_app(prefix)
    }

    /// A test that needs the daemon to be a swarm manager, with an app name of its own.
    pub fn swarm(prefix: &str) -> Self {
        require_swarm();
        Self::new().with_app(prefix)
    }

    /// examples/hello under an app name of its own, published on a free port (`HELLO_PORT`,
    /// which the example publishes on), on the Docker daemon.
    pub fn hello(prefix: &str) -> Self {
        Self::docker(prefix)
            .with_example("hello")
            .with_port("HELLO_PORT")
    }

    /// examples/shop under an app name of its own, its store's volume named for the app too
    /// (`<app>-store`), its web published on a free port (`SHOP_PORT`), on the Docker daemon.
    pub fn shop(prefix: &str) -> Self {
        let ctx = Self::docker(prefix)
            .with_example("shop")
            .with_port("SHOP_PORT");
        let volume = format!("\"{}-store:/data\"", ctx.app());
        ctx.replace("devloop.toml", "\"shop-store:/data\"", &volume);
        ctx.commit("own volume");
        ctx
    }

    /// An app name no other test uses (`prefix-pid-n-nanos`), and everything of that app in the
    /// Docker daemon removed when the context drops.
    pub fn with_app(mut self, prefix: &str) -> Self {
        let app = unique(prefix);
        self.cleanup = Some(DockerCleanup::new(&app));
        self.app = Some(app);
        self
    }

    /// An app name no other test uses, for a test that never touches the Docker daemon (so
    /// nothing is cleaned up there).
    pub fn with_name(mut self, prefix: &str) -> Self {
        self.app = Some(unique(prefix));
        self
    }

    /// Remove this image too when the context drops (an oracle's, a pushed reference).
    pub fn also_remove_image(mut self, image: impl Into<String>) -> Self {
        self.cleanup
            .as_mut()
            .expect("with_app comes first: its cleanup removes the image")
            .extra_images
            .push(image.into());
        self
    }

    /// `files` written and committed ("initial").
    pub fn with_files(self, files: &[(&str, &str)]) -> Self {
        self.add_files(files);
        self
    }

    /// `files` written and committed ("initial"), for a context already borrowed (e.g. by its
    /// peers, whose addresses the files name).
    pub fn add_files(&self, files: &[(&str, &str)]) {
        project::write_files(self.path(), files);
        self.commit("initial");
    }

    /// examples/<name> copied and committed, under this context's app name if it has one.
    pub fn with_example(self, name: &str) -> Self {
        project::copy_example(name, self.path());
        self.commit("example");
        if let Some(app) = &self.app {
            project::rename_example_app(self.path(), name, app);
            self.commit("rename");
        }
        self
    }

    /// A free loopback port, given to every run as `var` (e.g. `HELLO_PORT`, which
    /// examples/hello publishes on).
    pub fn with_port(mut self, var: &str) -> Self {
        let port = free_port();
        self.port = Some(port);
        self.with_env(var, port.to_string())
    }

    /// `key=value` for every run.
    pub fn with_env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((
            key.as_ref().to_os_string(),
            Some(value.as_ref().to_os_string()),
        ));
        self
    }

    /// `key` taken out of every run's environment.
    pub fn without_env(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_os_string(), None));
        self
    }

    /// Dummy AWS credentials for every run, and none of the caller's AWS setup.
    pub fn with_aws(self) -> Self {
        self.with_env("AWS_ACCESS_KEY_ID", "test")
            .with_env("AWS_SECRET_ACCESS_KEY", "test")
            .with_env("AWS_REGION", "us-east-1")
            .with_env("AWS_EC2_METADATA_DISABLED", "true")
            .without_env("AWS_PROFILE")
            .with_env("AWS_CONFIG_FILE", "/nonexistent/devloop-test")
            .with_env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/devloop-test")
    }

    /// A private distribution registry (with htpasswd when `auth` is given).
    pub fn with_registry(mut self, auth: Option<(&str, &str)>) -> Self {
        require_registry();
        self.registry = Some(Registry::start(auth));
        self
    }

    /// A private moto server started with `env` in its environment, and AWS credentials for it.
    pub fn with_moto(mut self, env: &[(&str, &str)]) -> Self {
        require_moto();
        self.moto = Some(Moto::start_with(env));
        self.with_aws()
    }

    /// A private AWS peer (tests/peer), and AWS credentials for it.
    pub fn with_aws_peer(mut self) -> Self {
        self.aws_peer = Some(AwsPeer::start());
        self.with_aws()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, path: impl AsRef<Path>) -> PathBuf {
        self.path().join(path)
    }

    /// The app name of [`Self::with_app`].
    #[track_caller]
    pub fn app(&self) -> &str {
        self.app.as_deref().expect("the context has no app name")
    }

    /// The port of [`Self::with_port`].
    #[track_caller]
    pub fn port(&self) -> u16 {
        self.port.expect("the context has no port")
    }

    #[track_caller]
    pub fn registry(&self) -> &Registry {
        self.registry.as_ref().expect("no registry started")
    }

    #[track_caller]
    pub fn moto(&self) -> &Moto {
        self.moto.as_ref().expect("no moto started")
    }

    #[track_caller]
    pub fn aws_peer(&self) -> &AwsPeer {
        self.aws_peer.as_ref().expect("no AWS peer started")
    }

    pub fn write(&self, file: &str, text: impl AsRef<[u8]>) {
        project::write_files(self.path(), &[(file, text)]);
    }

    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.join(file)).unwrap_or_else(|e| panic!("read {file}: {e}"))
    }

    pub fn remove(&self, file: &str) {
        std::fs::remove_file(self.join(file)).unwrap_or_else(|e| panic!("remove {file}: {e}"));
    }

    /// Replace `from` by `to` in `file`; the text must be there.
    #[track_caller]
    pub fn replace(&self, file: &str, from: &str, to: &str) {
        project::replace_in(self.path(), file, from, to);
    }

    /// A git repository here, with nothing committed yet.
    pub fn git_init(&self) {
        project::git_init(self.path());
    }

    /// Commit everything; returns the commit's SHA.
    pub fn commit(&self, message: &str) -> String {
        project::commit_all(self.path(), message)
    }

    /// A commit that changes nothing; returns its SHA.
    pub fn commit_empty(&self, message: &str) -> String {
        project::commit_empty(self.path(), message)
    }

    pub fn head_sha(&self) -> String {
        project::head_sha(self.path())
    }

    pub fn short_sha(&self) -> String {
        self.head_sha()[..7].to_string()
    }

    /// `<app>:<short sha>`: the image a `{short_sha}` tag names.
    pub fn image(&self) -> String {
        format!("{}:{}", self.app(), self.short_sha())
    }

    /// Every file of the project, for checking that a command wrote nothing.
    pub fn listing(&self) -> Vec<String> {
        project::listing(self.path())
    }

    /// A release record of this context's app (see [`project::write_release`]).
    pub fn write_release(&self, registry: Option<&str>) -> String {
        project::write_release(self.path(), self.app(), registry)
    }

    /// `devloop ARGS…` in the project, with the context's environment; add to it, then `run`.
    pub fn devloop<I, S>(&self, args: I) -> Devloop
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = devloop(self.path());
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        Devloop::new(cmd).args(args)
    }

    /// `devloop ARGS…` run to the end.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.devloop(args).run()
    }

    /// A snapshot of this test's output, its directory, app name and port replaced by
    /// `[DIR]`, `[APP]` and `[PORT]`.
    pub fn snapshot(&self, name: &str) -> Snapshot {
        let mut s = Snapshot::new(name).replace(self.path().display().to_string(), "[DIR]");
        if let Ok(real) = self.path().canonicalize() {
            s = s.replace(real.display().to_string(), "[DIR]");
        }
        if let Some(app) = &self.app {
            s = s.replace(app.clone(), "[APP]");
        }
        if let Some(port) = self.port {
            s = s.filter(&format!(r"\b{port}\b"), "[PORT]");
        }
        s
    }
}
