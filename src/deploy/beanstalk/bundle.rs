//! The application version bundle: a zip built the same way every time, so its SHA-256 names it.
//!
//! An `image` bundle holds a manifest that runs the released image pinned by digest
//! (`Dockerrun.aws.json` v1, or `docker-compose.yml` for the Amazon Linux 2023 Docker platform)
//! plus the project's `.ebextensions/` and `.platform/`. A `source` bundle holds the project's
//! files, honouring `.ebignore` (else `.gitignore`), never `.git` or `.devloop/`. Entries are
//! sorted and carry a fixed time and their file mode (hooks stay executable), so the same
//! content always gives the same digest, the same S3 key and the same version label.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::aws::sdk_error_needing;
use crate::config::schema::{BeanstalkTarget, BundleKind, Manifest};
use crate::error::{Error, Result};

/// A built bundle in a temporary file, removed when dropped.
#[derive(Debug)]
pub struct Bundle {
    pub path: PathBuf,
    pub kind: BundleKind,
    /// SHA-256 of the zip, hex.
    pub digest: String,
    /// Entry names, sorted.
    pub files: Vec<String>,
    pub size: u64,
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Bundle {
    /// The application version label: the release, then the bundle's digest.
    pub fn label(&self, release: &str) -> String {
        format!("{release}-{}", &self.digest[..12])
    }

    /// Where the bundle lives in the bucket: named by its content.
    pub fn key(&self, application: &str) -> String {
        format!("devloop/{application}/{}.zip", self.digest)
    }

    /// Files, size and digest, for `plan` and the step's log.
    pub fn summary(&self) -> String {
        let shown: Vec<&str> = self.files.iter().take(6).map(String::as_str).collect();
        let more = self.files.len().saturating_sub(shown.len());
        format!(
            "{} bundle, {} file{} ({}{}), {}, sha256:{}",
            match self.kind {
                BundleKind::Image => "image",
                BundleKind::Source => "source",
            },
            self.files.len(),
            if self.files.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if more > 0 {
                format!(", and {more} more")
            } else {
                String::new()
            },
            human_size(self.size),
            &self.digest[..12]
        )
    }

    pub fn details(&self) -> serde_json::Value {
        json!({
            "kind": self.kind,
            "files": self.files,
            "size": self.size,
            "digest": format!("sha256:{}", self.digest),
        })
    }
}

fn human_size(n: u64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
    }
}

/// What goes into an entry.
enum Content {
    Text(Vec<u8>),
    File(PathBuf),
}

/// Build the bundle for `image` (ignored by `source` bundles) from the project at `root`.
/// `env_file` makes a compose manifest read the environment properties the platform writes to
/// `.env`.
pub fn build(
    root: &Path,
    s: &BeanstalkTarget,
    app: &str,
    image: &str,
    env_file: bool,
) -> Result<Bundle> {
    let mut entries: Vec<(String, Content)> = Vec::new();
    match s.bundle {
        BundleKind::Image => {
            for (name, text) in manifests(s, app, image, env_file) {
                entries.push((name.to_string(), Content::Text(text.into_bytes())));
            }
            entries.extend(platform_dirs(root)?);
        }
        BundleKind::Source => {
            let ebignore = root.join(".ebignore");
            let rules = if ebignore.is_file() {
                let mut b = ignore::gitignore::GitignoreBuilder::new(root);
                if let Some(e) = b.add(&ebignore) {
                    return Err(Error::usage_because(format!("{}", ebignore.display()), e));
                }
                Some(
                    b.build()
                        .map_err(|e| Error::usage_because(format!("{}", ebignore.display()), e))?,
                )
            } else {
                None
            };
            entries.extend(walk(root, root, Some(rules))?);
            if entries.is_empty() {
                return Err(Error::usage(format!(
                    "the source bundle of {} would be empty: every file is ignored",
                    root.display()
                ))
                .with_hint("check .ebignore / .gitignore"));
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|a, b| a.0 == b.0);
    write(entries, s.bundle)
}

/// The bundle of a set in one environment: `compose` as `docker-compose.yml` (with the registry
/// credentials' Dockerrun.aws.json v3 beside it when set), plus `.ebextensions/` and `.platform/`.
pub fn build_set(root: &Path, s: &BeanstalkTarget, compose: &str) -> Result<Bundle> {
    let mut entries = vec![(
        "docker-compose.yml".to_string(),
        Content::Text(compose.as_bytes().to_vec()),
    )];
    if let Some(a) = auth(s) {
        let v = json!({ "AWSEBDockerrunVersion": "3", "Authentication": a });
        let text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
        entries.push((
            "Dockerrun.aws.json".to_string(),
            Content::Text(text.into_bytes()),
        ));
    }
    entries.extend(platform_dirs(root)?);
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|a, b| a.0 == b.0);
    write(entries, BundleKind::Image)
}

/// The project's `.ebextensions/` and `.platform/`, every file.
fn platform_dirs(root: &Path) -> Result<Vec<(String, Content)>> {
    let mut out = Vec::new();
    for dir in [".ebextensions", ".platform"] {
        if root.join(dir).is_dir() {
            out.extend(walk(root, &root.join(dir), None)?);
        }
    }
    Ok(out)
}

/// `Authentication`: the S3 object holding the registry credentials.
fn auth(s: &BeanstalkTarget) -> Option<serde_json::Value> {
    s.registry_auth.as_deref().and_then(|a| {
        let (bucket, key) = a.strip_prefix("s3://")?.split_once('/')?;
        Some(json!({ "Bucket": bucket, "Key": key }))
    })
}

/// The manifests of an image bundle: file names and texts.
fn manifests(
    s: &BeanstalkTarget,
    app: &str,
    image: &str,
    env_file: bool,
) -> Vec<(&'static str, String)> {
    let auth = auth(s);
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    match s.manifest {
        Manifest::Dockerrun => {
            let mut v = json!({
                "AWSEBDockerrunVersion": "1",
                "Image": { "Name": image, "Update": "true" },
            });
            if let Some(port) = s.port {
                v["Ports"] = json!([{ "ContainerPort": port }]);
            }
            if let Some(a) = auth {
                v["Authentication"] = a;
            }
            vec![("Dockerrun.aws.json", pretty(&v))]
        }
        Manifest::Compose => {
            // JSON strings are YAML strings: quoting by serde_json keeps `@` and `:` safe.
            let quote = |v: &str| serde_json::to_string(v).unwrap_or_default();
            let mut text = format!(
                "services:\n  {app}:\n    image: {}\n    ports:\n      - {}\n",
                quote(image),
                quote(&format!("80:{}", s.port.unwrap_or(80)))
            );
            if env_file {
                text.push_str("    env_file:\n      - .env\n");
            }
            let mut out = vec![("docker-compose.yml", text)];
            // With compose, registry credentials go in a Dockerrun.aws.json v3 beside it.
            if let Some(a) = auth {
                let v = json!({ "AWSEBDockerrunVersion": "3", "Authentication": a });
                out.push(("Dockerrun.aws.json", pretty(&v)));
            }
            out
        }
    }
}

/// The files under `dir`, named relative to `root`. `rules`: `None` takes every file (the
/// platform directories); `Some(None)` honours `.gitignore`; `Some(Some(m))` honours `.ebignore`.
fn walk(
    root: &Path,
    dir: &Path,
    rules: Option<Option<ignore::gitignore::Gitignore>>,
) -> Result<Vec<(String, Content)>> {
    let mut w = ignore::WalkBuilder::new(dir);
    w.standard_filters(false).hidden(false).follow_links(false);
    let state = root.join(".devloop");
    let eb = match rules {
        Some(None) => {
            w.git_ignore(true).require_git(false).parents(true);
            None
        }
        Some(Some(m)) => Some(m),
        None => None,
    };
    w.filter_entry(move |e| {
        let p = e.path();
        if e.file_name() == ".git" || p == state {
            return false;
        }
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        eb.as_ref()
            .is_none_or(|m| !m.matched_path_or_any_parents(p, is_dir).is_ignore())
    });
    let mut out = Vec::new();
    for entry in w.build() {
        let entry = entry.map_err(|e| Error::usage_because("cannot read the project files", e))?;
        let p = entry.path();
        // Follows a symlink to a file; a link to a directory or nowhere is left out.
        if !std::fs::metadata(p).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok(rel) = p.strip_prefix(root) else {
            continue;
        };
        let name = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        out.push((name, Content::File(p.to_path_buf())));
    }
    Ok(out)
}

/// Write the entries to a temporary zip and digest it.
fn write(entries: Vec<(String, Content)>, kind: BundleKind) -> Result<Bundle> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "devloop-bundle-{}-{}.zip",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |e: std::io::Error| {
        Error::failed_because(format!("cannot write the bundle {}", path.display()), e)
    };
    let zip_err = |e: zip::result::ZipError| Error::failed_because("cannot write the bundle", e);
    let mut bundle = Bundle {
        path: path.clone(),
        kind,
        digest: String::new(),
        files: Vec::new(),
        size: 0,
    };
    let mut zip = zip::ZipWriter::new(BufWriter::new(File::create(&path).map_err(io)?));
    for (name, content) in entries {
        let base = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        match content {
            Content::Text(bytes) => {
                zip.start_file(name.as_str(), base.unix_permissions(0o644))
                    .map_err(zip_err)?;
                zip.write_all(&bytes).map_err(io)?;
            }
            Content::File(p) => {
                let mut f = File::open(&p).map_err(|e| {
                    Error::failed_because(format!("cannot read {}", p.display()), e)
                })?;
                let meta = f.metadata().map_err(io)?;
                let opts = base
                    .unix_permissions(mode(&meta))
                    .large_file(meta.len() >= u64::from(u32::MAX));
                zip.start_file(name.as_str(), opts).map_err(zip_err)?;
                std::io::copy(&mut f, &mut zip).map_err(io)?;
            }
        }
        bundle.files.push(name);
    }
    zip.finish().map_err(zip_err)?.flush().map_err(io)?;
    let mut f = File::open(&path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bundle.size += n as u64;
    }
    bundle.digest = hex::encode(hasher.finalize());
    Ok(bundle)
}

/// The permission bits a zip entry keeps: executable or not, nothing else.
fn mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    }
}

/// Put the bundle at `key` unless that key exists (the name is the content's digest, so an
/// existing object is this bundle). Returns whether it was uploaded.
pub async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bundle: &Bundle,
) -> Result<bool> {
    let what = format!("cannot look for s3://{bucket}/{key}");
    let conditional = match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => return Ok(false),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_not_found()) => false,
        // Without s3:ListBucket a missing key is a bare 403, not a 404: put only if absent.
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => true,
        Err(e) => {
            return Err(sdk_error_needing(
                &what,
                Some("s3:GetObject on the bundle bucket"),
                e,
            ))
        }
    };
    let body = aws_sdk_s3::primitives::ByteStream::from_path(&bundle.path)
        .await
        .map_err(|e| Error::failed_because("cannot read the bundle", e))?;
    let mut put = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/zip")
        .body(body);
    if conditional {
        put = put.if_none_match("*");
    }
    match put.send().await {
        Ok(_) => Ok(true),
        // 412: the key exists (If-None-Match: *); a bundle is named by its digest, so it is ours.
        Err(e) if conditional && e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => {
            Ok(false)
        }
        Err(e) => Err(sdk_error_needing(
            &format!("cannot upload the bundle to s3://{bucket}/{key}"),
            Some("s3:PutObject on the bundle bucket"),
            e,
        )),
    }
}
