//! What each service of a stack test runs as, worked out before anything is made: its container
//! (the deploy's env, command, init and stop signal, on the test's own network under its service
//! name), its named volumes swapped for fresh ones of the test, the ports published on loopback,
//! and the `DEVLOOP_URL_<SERVICE>` variable the test's command reads it by.

use std::collections::HashMap;

use crate::config::schema::Document;
use crate::docker::container::Spec;

/// `DEVLOOP_URL_<SERVICE>`: the service name upper-cased, `-` as `_`.
pub(super) fn url_var(service: &str) -> String {
    format!(
        "DEVLOOP_URL_{}",
        service.to_ascii_uppercase().replace('-', "_")
    )
}

/// The container port a service's URL points at: its health port, else the first TCP port the
/// deploy publishes, else none.
pub(super) fn url_port(doc: &Document) -> Option<u16> {
    doc.deploy.health.port.or_else(|| tcp_ports(doc).next())
}

/// The container ports published (on 127.0.0.1, at free host ports) for the test: the health
/// port and every TCP port the deploy maps, each once. Never the configured host ports, which a
/// deployment may hold.
pub(super) fn published(doc: &Document) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    for p in doc.deploy.health.port.into_iter().chain(tcp_ports(doc)) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn tcp_ports(doc: &Document) -> impl Iterator<Item = u16> + '_ {
    doc.deploy
        .docker
        .iter()
        .flat_map(|d| d.ports.iter())
        .filter(|p| p.protocol == "tcp")
        .map(|p| p.container_port)
}

/// A service's mounts for a test: bind mounts and anonymous volumes as written, and each named
/// volume replaced by the test's own (`data:/data` → `<prefix>-data:/data`), so a test never
/// reads or writes a deployment's data.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Mounts {
    pub binds: Vec<String>,
    /// The test volumes these binds name, to be made (and removed) by the test.
    pub volumes: Vec<String>,
}

pub(super) fn mounts(volumes: &[String], prefix: &str) -> Mounts {
    let mut out = Mounts {
        binds: Vec::new(),
        volumes: Vec::new(),
    };
    for v in volumes {
        match v.split_once(':') {
            Some((source, rest)) if is_volume_name(source) => {
                let fresh = format!("{prefix}-{source}");
                out.binds.push(format!("{fresh}:{rest}"));
                if !out.volumes.contains(&fresh) {
                    out.volumes.push(fresh);
                }
            }
            // A host path (`/srv/conf:/conf`), an anonymous volume (`/cache`), or something the
            // daemon will refuse as it would for the deploy.
            _ => out.binds.push(v.clone()),
        }
    }
    out
}

/// Docker's rule for a volume name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. Anything else before the
/// first `:` (an absolute path) is a bind mount.
fn is_volume_name(source: &str) -> bool {
    source.starts_with(|c: char| c.is_ascii_alphanumeric())
        && source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The container of `service` for the stack test `run` (the network and the prefix of every
/// name it makes), from `image`, with the deploy's settings that make sense in a test.
pub(super) fn spec(
    run: &str,
    service: &str,
    doc: &Document,
    image: &str,
    labels: &HashMap<String, String>,
) -> (Spec, Mounts) {
    let docker = doc.deploy.docker.clone().unwrap_or_default();
    let mounts = mounts(&docker.volumes, run);
    let spec = Spec {
        image: image.to_string(),
        name: format!("{run}-{service}"),
        cmd: docker.command.clone(),
        env: docker
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", v.value()))
            .collect(),
        labels: labels.clone(),
        publish: published(doc),
        network: Some(run.to_string()),
        aliases: vec![service.to_string()],
        binds: mounts.binds.clone(),
        init: docker.init,
        stop_signal: docker.stop_signal.as_ref().map(|s| s.as_str().to_string()),
    };
    (spec, mounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(toml_text: &str) -> Document {
        let text = format!("[app]\nname = \"shop\"\n{toml_text}");
        toml::from_str(&text).expect("a valid document")
    }

    #[test]
    fn url_variables_are_the_service_name_upper_cased_with_underscores() {
        assert_eq!(url_var("web"), "DEVLOOP_URL_WEB");
        assert_eq!(url_var("order-api"), "DEVLOOP_URL_ORDER_API");
        assert_eq!(url_var("db2"), "DEVLOOP_URL_DB2");
    }

    #[test]
    fn named_volumes_become_the_tests_own_and_bind_mounts_stay() {
        let volumes = vec![
            "shop-store:/data".to_string(),
            "/srv/conf:/etc/conf:ro".to_string(),
            "cache:/cache:ro".to_string(),
            "/scratch".to_string(),
            "shop-store:/backup".to_string(),
        ];
        let m = mounts(&volumes, "shop-test-1-ab");
        assert_eq!(
            m.binds,
            [
                "shop-test-1-ab-shop-store:/data",
                "/srv/conf:/etc/conf:ro",
                "shop-test-1-ab-cache:/cache:ro",
                "/scratch",
                "shop-test-1-ab-shop-store:/backup",
            ]
        );
        // One fresh volume per named volume, however often it is mounted.
        assert_eq!(
            m.volumes,
            ["shop-test-1-ab-shop-store", "shop-test-1-ab-cache"]
        );
    }

    #[test]
    fn the_url_port_is_the_health_port_else_the_first_published_tcp_port() {
        let d = doc("[deploy.health]\nport = 8080\n[deploy.docker]\nports = [\"9000:80\"]\n");
        assert_eq!(url_port(&d), Some(8080));
        assert_eq!(published(&d), [8080, 80]);
        let d = doc("[deploy.docker]\nports = [\"5353:53/udp\", \"127.0.0.1:8090:80\", \"81\"]\n");
        assert_eq!(url_port(&d), Some(80));
        assert_eq!(published(&d), [80, 81]);
        let d = doc("[deploy.health]\ncommand = \"true\"\n");
        assert_eq!(url_port(&d), None);
        assert!(published(&d).is_empty());
    }

    #[test]
    fn the_container_joins_the_tests_network_by_service_name_without_host_ports() {
        let d = doc(r#"
[deploy.health]
port = 7000
[deploy.docker]
ports = ["7000:7000"]
volumes = ["shop-store:/data"]
command = ["sh", "-c", "serve"]
env = { MODE = "test", TOKEN = { value = "s3cret", secret = true } }
init = true
stop_signal = "SIGINT"
restart = "always"
"#);
        let labels = HashMap::from([("devloop.test".to_string(), "shop/through".to_string())]);
        let (spec, m) = spec("shop-test-9-f", "store", &d, "busybox:1.36", &labels);
        assert_eq!(spec.name, "shop-test-9-f-store");
        assert_eq!(spec.network.as_deref(), Some("shop-test-9-f"));
        assert_eq!(spec.aliases, ["store"]);
        assert_eq!(spec.publish, [7000]);
        assert_eq!(spec.binds, ["shop-test-9-f-shop-store:/data"]);
        assert_eq!(m.volumes, ["shop-test-9-f-shop-store"]);
        assert_eq!(
            spec.cmd.as_deref(),
            Some(&["sh".to_string(), "-c".into(), "serve".into()][..])
        );
        assert_eq!(spec.env, ["MODE=test", "TOKEN=s3cret"]);
        assert!(spec.init);
        assert_eq!(spec.stop_signal.as_deref(), Some("SIGINT"));
        assert_eq!(spec.labels, labels);
    }
}
