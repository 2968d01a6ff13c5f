//! The `docker-compose.yml` of a set's bundle (Amazon Linux 2023 Docker platform): one compose
//! service per service of the set, each built one pinned by digest, its port, its own plain
//! environment, its health probe, and `depends_on` with the condition its needs allow.
//!
//! Strings are written as JSON strings, which are YAML strings, so `@`, `:` and quotes in an
//! image, a command or a value cannot change the document's structure.

use std::time::Duration;

use crate::config::schema::Health;

/// One service as the compose file runs it.
#[derive(Debug, Clone)]
pub struct ComposeService {
    pub name: String,
    /// Built services: the released image pinned by digest. Dependencies: their reference as
    /// the file gives it.
    pub image: String,
    /// The container port it serves on, when known.
    pub port: Option<u16>,
    /// Whether the environment's proxy reaches it: it gets host port 80.
    pub public: bool,
    /// Its own plain environment (the shared one comes from `.env`).
    pub env: Vec<(String, String)>,
    pub health: Option<Health>,
    /// The services it needs, each with whether that one has a health probe.
    pub needs: Vec<(String, bool)>,
    /// A dependency's command (`deploy.docker.command`).
    pub command: Vec<String>,
    /// `deploy.docker.volumes` (`name:/path` or `/host:/path`).
    pub volumes: Vec<String>,
}

impl ComposeService {
    /// The healthcheck test: the probe's command, else a GET of its HTTP path on its port.
    pub fn health_test(&self) -> Option<Vec<String>> {
        let h = self.health.as_ref()?;
        if let Some(cmd) = &h.command {
            return Some(vec!["CMD-SHELL".into(), cmd.clone()]);
        }
        let (path, port) = (h.http.as_ref()?, h.port.or(self.port)?);
        let url = format!("http://127.0.0.1:{port}{path}");
        Some(vec![
            "CMD-SHELL".into(),
            format!("wget -q -O /dev/null {url} || curl -fsS -o /dev/null {url}"),
        ])
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default()
}

/// A compose duration: `1s`, `1500ms`.
fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The compose file's text. `env_file`: every service reads the environment properties the
/// platform writes to `.env`.
pub fn text(services: &[ComposeService], env_file: bool) -> String {
    let mut out = String::from("services:\n");
    let mut named_volumes: Vec<String> = Vec::new();
    for s in services {
        out.push_str(&format!("  {}:\n    image: {}\n", s.name, quote(&s.image)));
        if !s.command.is_empty() {
            out.push_str(&format!("    command: {}\n", list(&s.command)));
        }
        match (s.public, s.port) {
            (true, port) => out.push_str(&format!(
                "    ports:\n      - {}\n",
                quote(&format!("80:{}", port.unwrap_or(80)))
            )),
            (false, Some(port)) => out.push_str(&format!(
                "    expose:\n      - {}\n",
                quote(&port.to_string())
            )),
            (false, None) => {}
        }
        if !s.env.is_empty() {
            out.push_str("    environment:\n");
            for (k, v) in &s.env {
                out.push_str(&format!("      {}: {}\n", quote(k), quote(v)));
            }
        }
        if env_file {
            out.push_str("    env_file:\n      - .env\n");
        }
        if !s.volumes.is_empty() {
            out.push_str("    volumes:\n");
            for v in &s.volumes {
                out.push_str(&format!("      - {}\n", quote(v)));
                if let Some((name, _)) = v.split_once(':') {
                    let named = !name.starts_with(['/', '.', '~']);
                    if named && !named_volumes.iter().any(|n| n == name) {
                        named_volumes.push(name.to_string());
                    }
                }
            }
        }
        if !s.needs.is_empty() {
            out.push_str("    depends_on:\n");
            for (need, healthy) in &s.needs {
                out.push_str(&format!(
                    "      {need}:\n        condition: {}\n",
                    if *healthy {
                        "service_healthy"
                    } else {
                        "service_started"
                    }
                ));
            }
        }
        if let (Some(test), Some(h)) = (s.health_test(), &s.health) {
            out.push_str(&format!("    healthcheck:\n      test: {}\n", list(&test)));
            if let Some(i) = &h.interval {
                out.push_str(&format!("      interval: {}\n", quote(&duration(i.get()))));
            }
            if let Some(r) = h.retries {
                out.push_str(&format!("      retries: {r}\n"));
            }
            if let Some(p) = &h.start_period {
                out.push_str(&format!(
                    "      start_period: {}\n",
                    quote(&duration(p.get()))
                ));
            }
        }
        out.push_str("    restart: \"unless-stopped\"\n");
    }
    if !named_volumes.is_empty() {
        out.push_str("volumes:\n");
        for v in named_volumes {
            out.push_str(&format!("  {v}: {{}}\n"));
        }
    }
    out
}
