//! The Docker daemon as the tests need it: the checks that a service is there (failing, never
//! skipping, when one is missing: the `#[cfg_attr(devloop_no_*, ignore)]` attributes do the
//! skipping, with the reason), the docker CLI as the oracle, names no other test uses, and the
//! cleanup of everything a test's app left in the daemon.

use std::process::Command;

use super::peers;

/// The test needs a Docker daemon. Tests that need one carry
/// `#[cfg_attr(devloop_no_docker, ignore = "...")]` (set by build.rs when none answered at build
/// time, never under CI), so reaching this without a daemon is a failure, not a silent pass.
pub fn require_docker() {
    let ok = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "no Docker daemon answers: scripts/services.sh starts one"
    );
}

/// The test needs the daemon to be a swarm manager.
pub fn require_swarm() {
    require_docker();
    assert_eq!(
        docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]),
        "active",
        "the daemon is not in a swarm: scripts/services.sh runs docker swarm init"
    );
}

/// The test needs Docker, the distribution registry, htpasswd and curl.
pub fn require_registry() {
    require_docker();
    for program in ["docker-registry", "htpasswd", "curl"] {
        assert!(
            peers::have(program),
            "{program} is missing: scripts/services.sh installs it"
        );
    }
}

/// Run the docker CLI (as an oracle and for cleanup); returns stdout.
pub fn docker(args: &[&str]) -> String {
    let o = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Wait until a running container is named `name` (a `-next` container a deploy starts); fails
/// the test after `limit`.
#[track_caller]
pub fn wait_for_container(name: &str, limit: std::time::Duration) {
    let started = std::time::Instant::now();
    while docker(&["ps", "-q", "--filter", &format!("name={name}")]).is_empty() {
        assert!(started.elapsed() < limit, "{name} never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A unique name for images and containers of one test.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

/// Removes, when dropped, every image of a repository and every test container of an app.
pub struct DockerCleanup {
    pub image: String,
    pub extra_images: Vec<String>,
}

impl Drop for DockerCleanup {
    fn drop(&mut self) {
        // Swarm services and containers deployed for this app (label devloop.app=<image name>, the
        // app name in these tests).
        let services = docker(&[
            "service",
            "ls",
            "-q",
            "--filter",
            &format!("label=devloop.app={}", self.image),
        ]);
        if !services.is_empty() {
            let mut args = vec!["service", "rm"];
            args.extend(services.lines());
            docker(&args);
            // Tasks stop after the services are gone; their network and volumes wait for them.
            let label = format!("label=devloop.app={}", self.image);
            let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while std::time::Instant::now() < until
                && !docker(&[
                    "ps",
                    "-aq",
                    "--filter",
                    &label,
                    "--filter",
                    "label=com.docker.swarm.task.id",
                ])
                .is_empty()
            {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
        let deployed = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=devloop.app={}", self.image),
            // Named for this app too: a container inherits the labels of an image that another
            // test's app built first, and must not be removed by that test.
            "--filter",
            &format!("name={}", self.image),
        ]);
        if !deployed.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(deployed.lines());
            docker(&args);
        }
        // The app's own tags, and those a release pushed (`127.0.0.1:PORT/team/<app>:TAG`): the
        // registry is gone with the test, its tags in the daemon are not.
        let suffix = format!("/{}", self.image);
        // A set's images are `<app>-<service>`.
        let set_prefix = format!("{}-", self.image);
        let refs: String = docker(&["image", "ls", "--format", "{{.Repository}} {{.Tag}}"])
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(repo, tag)| {
                *tag != "<none>"
                    && (*repo == self.image
                        || repo.ends_with(&suffix)
                        || repo.starts_with(&set_prefix))
            })
            .map(|(repo, tag)| format!("{repo}:{tag}\n"))
            .collect();
        // Builds whose tags moved on are dangling: find them by devloop's label. Only untagged
        // ones: a build with identical inputs is shared by content with other tests' apps (it
        // keeps the label of the app that built it first), and removing it by ID would take
        // their tags away mid-test.
        let dangling = docker(&[
            "image",
            "ls",
            "-q",
            "--filter",
            "dangling=true",
            "--filter",
            &format!("label=devloop.app={}", self.image),
        ]);
        let mut all: Vec<&str> = refs.lines().chain(dangling.lines()).collect();
        all.sort_unstable();
        all.dedup();
        all.retain(|r| !r.is_empty());
        all.extend(self.extra_images.iter().map(String::as_str));
        if !all.is_empty() {
            let mut args = vec!["rmi", "-f"];
            args.extend(all);
            docker(&args);
        }
        // A set's network, and the volumes named after the app (examples/shop's store).
        let label = format!("label=devloop.app={}", self.image);
        let networks = docker(&["network", "ls", "-q", "--filter", &label]);
        for n in networks.lines().filter(|n| !n.is_empty()) {
            docker(&["network", "rm", n]);
        }
        let volumes = docker(&[
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("name={}", self.image),
        ]);
        // `<app>-store` (examples/shop), `<app>_store-data` (as compose names it, via init).
        let compose_prefix = format!("{}_", self.image);
        for v in volumes
            .lines()
            .filter(|v| v.starts_with(&set_prefix) || v.starts_with(&compose_prefix))
        {
            docker(&["volume", "rm", "-f", v]);
        }
    }
}

/// Test containers still present for an app (label devloop.test=<app>/...).
pub fn leftover_test_containers(app: &str) -> Vec<String> {
    labelled_for_test(&["ps", "-a"], app)
}

/// Everything a test of `app` made that is still in the daemon: containers, volumes and
/// networks labelled devloop.test=<app>/..., each as "kind name".
pub fn leftovers_of_tests(app: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, list) in [
        ("container", &["ps", "-a"][..]),
        ("volume", &["volume", "ls"][..]),
        ("network", &["network", "ls"][..]),
    ] {
        out.extend(
            labelled_for_test(list, app)
                .into_iter()
                .map(|l| format!("{kind} {l}")),
        );
    }
    out
}

/// The names (and label) that `docker <list> --format` shows with devloop.test=<app>/....
fn labelled_for_test(list: &[&str], app: &str) -> Vec<String> {
    // `docker ps` says `.Names`; volumes and networks say `.Name`.
    let format = if list[0] == "ps" {
        "{{.Names}} {{.Label \"devloop.test\"}}"
    } else {
        "{{.Name}} {{.Label \"devloop.test\"}}"
    };
    let mut args = list.to_vec();
    args.extend(["--format", format]);
    docker(&args)
        .lines()
        .filter(|l| {
            l.split(' ')
                .nth(1)
                .is_some_and(|v| v.starts_with(&format!("{app}/")))
        })
        .map(str::to_string)
        .collect()
}

/// A named volume made for a test, removed (whatever holds it) when dropped.
pub struct Volume(pub String);

impl Volume {
    /// Make the volume `name` with `text` in its file `file`.
    pub fn with_file(name: &str, file: &str, text: &str) -> Volume {
        let v = Volume(name.to_string());
        docker(&["volume", "create", name]);
        let mount = format!("{name}:/data");
        let script = format!("printf %s '{text}' > /data/{file}");
        docker(&[
            "run",
            "--rm",
            "-v",
            &mount,
            "busybox:1.36",
            "sh",
            "-c",
            &script,
        ]);
        v
    }

    /// Every file in the volume, with its text: "name=text" a line, sorted.
    pub fn files(&self) -> String {
        let mount = format!("{}:/data", self.0);
        docker(&[
            "run",
            "--rm",
            "-v",
            &mount,
            "busybox:1.36",
            "sh",
            "-c",
            "cd /data && for f in $(ls -A | sort); do printf '%s=%s\\n' \"$f\" \"$(cat \"$f\")\"; done",
        ])
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        docker(&["volume", "rm", "-f", &self.0]);
    }
}

impl DockerCleanup {
    /// Everything of `app` (its images, containers and swarm services) removed on drop.
    pub fn new(app: &str) -> DockerCleanup {
        DockerCleanup {
            image: app.to_string(),
            extra_images: vec![],
        }
    }
}
