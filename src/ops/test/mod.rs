//! Test steps, one per `[[test]]` entry: host commands, commands in the image, service probes.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

use serde_json::json;

use super::build::Built;
use super::Options;
use crate::config::schema::{Test, TestKind};
use crate::docker::container::{self, Container, Spec, TEST_LABEL};
use crate::engine::{Done, Slot, Step, StepCtx, StepPlan};
use crate::error::{Error, Result};
use crate::session::Session;

pub const AVAILABLE: bool = true;

/// Default limits when a test sets none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const DEFAULT_READY: Duration = Duration::from_secs(60);
/// Lines of output kept per test for the JUnit report and failure messages.
const KEPT_LINES: usize = 2000;

pub fn step_name(test: &str) -> String {
    format!("test:{test}")
}

fn plan(project: &Session, test: &Test) -> StepPlan {
    let image = project
        .image_refs(None)
        .ok()
        .and_then(|r| r.into_iter().next())
        .unwrap_or_else(|| project.config.image_name().to_string());
    let run = test.run.as_deref().unwrap_or("");
    let action = match test.kind {
        TestKind::Host => format!("run `{run}` on the host"),
        TestKind::Image => format!("run `{run}` inside {image}"),
        TestKind::Service => {
            let port = test.port.unwrap_or(0);
            let probe = match &test.http {
                Some(path) => format!("HTTP GET :{port}{path}"),
                None => "the image HEALTHCHECK".to_string(),
            };
            let then = if run.is_empty() {
                String::new()
            } else {
                format!(", then run `{run}`")
            };
            format!("start {image} as a service, wait for {probe}{then}")
        }
    };
    StepPlan {
        action,
        details: serde_json::to_value(test).unwrap_or(json!(null)),
    }
}

/// One step per selected test. Tests that use the image need the build step when it is part of the run.
pub fn steps(
    project: &Arc<Session>,
    opts: &Options,
    with_build: bool,
    built: &Slot<Built>,
    transcripts: &Transcripts,
) -> Result<Vec<Step>> {
    let tests = &project.config.doc.tests;
    let names: Vec<&str> = tests.iter().map(|t| t.name.get_ref().as_str()).collect();
    for wanted in &opts.tests {
        if !names.contains(&wanted.as_str()) {
            let mut msg = format!("no test named \"{wanted}\"");
            crate::suggest::append(&mut msg, wanted, names.iter().copied());
            return Err(Error::usage(msg));
        }
    }
    let selected: Vec<&Test> = tests
        .iter()
        .filter(|t| opts.tests.is_empty() || opts.tests.iter().any(|w| w == t.name.get_ref()))
        .collect();
    let mut out = Vec::new();
    for test in selected {
        let mut needs: Vec<String> = test
            .needs
            .iter()
            .filter(|n| opts.tests.is_empty() || opts.tests.contains(n))
            .map(|n| step_name(n))
            .collect();
        if with_build && test.kind != TestKind::Host {
            needs.push(super::build::NAME.to_string());
        }
        let timeout = Some(test.timeout.map(|d| d.get()).unwrap_or(DEFAULT_TIMEOUT));
        let (p, t) = (project.clone(), test.clone());
        let (b, tr) = (built.clone(), transcripts.clone());
        let step = Step::new(
            step_name(test.name.get_ref()),
            plan(project, test),
            move |ctx| async move { run(&p, &t, &ctx, &b, &tr).await },
        )
        .needs(needs)
        .timeout(timeout);
        out.push(step);
    }
    Ok(out)
}

/// Each test's output (by test name), kept for the JUnit report.
#[derive(Debug, Clone, Default)]
pub struct Transcripts(Arc<Mutex<BTreeMap<String, Vec<String>>>>);

impl Transcripts {
    fn push(&self, test: &str, line: &str) {
        if let Ok(mut out) = self.0.lock() {
            let lines = out.entry(test.to_string()).or_default();
            if lines.len() < KEPT_LINES {
                lines.push(line.to_string());
            }
        }
    }
    /// What `test` printed (empty when it printed nothing or did not run).
    pub fn lines(&self, test: &str) -> Vec<String> {
        self.0
            .lock()
            .ok()
            .and_then(|o| o.get(test).cloned())
            .unwrap_or_default()
    }
}

async fn run(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    built: &Slot<Built>,
    transcripts: &Transcripts,
) -> Result<Done> {
    let name = test.name.get_ref();
    let env: Vec<(String, String)> = test
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.value().to_string()))
        .collect();
    let workdir = project
        .config
        .root
        .join(test.workdir.as_deref().unwrap_or("."));
    let run_cmd = test.run.clone().unwrap_or_default();
    match test.kind {
        TestKind::Host => {
            let code = host_command(transcripts, ctx, name, &run_cmd, &env, &workdir).await?;
            exit_result(code.into(), &run_cmd, "")
        }
        TestKind::Image => {
            let daemon = project.daemon().await?.clone();
            let image = image_ref(project, built)?;
            let c = Container::create(
                &daemon,
                spec(project, name, &image, Some(&run_cmd), &env, None),
            )
            .await?;
            let result = async {
                c.start().await?;
                // All of the output, to its last byte, is given before the result is reported.
                let output = c.output_to_exit(|l| {
                    transcripts.push(name, &l);
                    ctx.log(l);
                });
                tokio::select! {
                    r = output => r,
                    _ = ctx.cancel.cancelled() => Err(Error::interrupted()),
                }
            }
            .await;
            c.remove().await?;
            exit_result(result?, &run_cmd, &format!(" inside {image}"))
        }
        TestKind::Service => {
            let daemon = project.daemon().await?.clone();
            let image = image_ref(project, built)?;
            let port = test.port.unwrap_or(80);
            let c = Container::create(&daemon, spec(project, name, &image, None, &env, Some(port)))
                .await?;
            let result = service(project, test, ctx, &c, &env, &workdir, transcripts).await;
            let result = match result {
                Err(mut e) if e.kind != crate::error::ExitKind::Interrupted => {
                    let tail = c.tail(10).await;
                    if !tail.is_empty() {
                        e.detail.push("last lines of the service's output:".into());
                        e.detail.extend(tail.into_iter().map(|l| format!("  {l}")));
                    }
                    Err(e)
                }
                other => other,
            };
            c.remove().await?;
            result
        }
    }
}

fn exit_result(code: i64, cmd: &str, where_: &str) -> Result<Done> {
    let result = serde_json::json!({ "command": cmd, "exit_code": code, "passed": code == 0 });
    if code == 0 {
        Ok(Done::new(format!("`{cmd}` passed{where_}")).with_result(result))
    } else {
        let mut e = Error::failed(format!("`{cmd}` exited with code {code}{where_}"));
        e.result = Some(Box::new(result));
        Err(e)
    }
}

/// The image the tests run: what this run built, else what the tags name.
fn image_ref(project: &Session, built: &Slot<Built>) -> Result<String> {
    if let Some(b) = built.peek() {
        return Ok(b.first_ref().to_string());
    }
    project
        .image_refs(None)
        .map_err(|why| Error::usage(format!("cannot name the image to test: {why}")))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::usage("build.tags is empty"))
}

fn spec(
    project: &Session,
    test: &str,
    image: &str,
    cmd: Option<&str>,
    env: &[(String, String)],
    port: Option<u16>,
) -> Spec {
    let app = project.config.app();
    Spec {
        image: image.to_string(),
        name: container::unique_name(&format!("devloop-test-{app}-{test}")),
        cmd: cmd.map(|c| vec!["sh".into(), "-c".into(), c.into()]),
        env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        labels: HashMap::from([(TEST_LABEL.to_string(), format!("{app}/{test}"))]),
        publish: port.into_iter().collect(),
    }
}

/// Wait until the service is ready, then run the check command against it.
async fn service(
    project: &Session,
    test: &Test,
    ctx: &StepCtx,
    c: &Container,
    env: &[(String, String)],
    workdir: &Path,
    transcripts: &Transcripts,
) -> Result<Done> {
    let name = test.name.get_ref();
    let port = test.port.unwrap_or(80);
    c.start().await?;
    let host_port = match c.host_port(port).await {
        Ok(p) => p,
        Err(e) => match c.state().await? {
            st if !st.running => return Err(exited_early(st.exit_code)),
            _ => return Err(e),
        },
    };
    let limit = test.ready_timeout.map(|d| d.get()).unwrap_or(DEFAULT_READY);
    let started = Instant::now();
    let what = match &test.http {
        Some(path) => format!("HTTP {path} on 127.0.0.1:{host_port}"),
        None => "the container to report healthy".to_string(),
    };
    ctx.progress(format!("waiting for {what}"));
    // What the last attempt ran into, said when it changes and at the end.
    let mut last = String::new();
    loop {
        ctx.check_cancelled()?;
        let st = c.state().await?;
        if !st.running {
            return Err(exited_early(st.exit_code));
        }
        let health = st.health;
        let attempt: std::result::Result<(), String> = match (&test.http, health.as_deref()) {
            (Some(path), _) => match container::http_status(host_port, path, Duration::from_secs(2)).await {
                Some(s) if (200..400).contains(&s) => Ok(()),
                Some(s) => Err(format!("HTTP {path} answered {s}")),
                None => Err(format!(
                    "nothing answered HTTP on 127.0.0.1:{host_port} (container port {port}): the connection was refused, reset or timed out"
                )),
            },
            (None, Some("healthy")) => Ok(()),
            (None, Some("unhealthy")) => {
                return Err(Error::failed("the service's HEALTHCHECK reports unhealthy"))
            }
            (None, Some(h)) => Err(format!("the HEALTHCHECK says {h}")),
            // The host port is held by docker-proxy whether or not the service listens, so the
            // container's own address is probed.
            (None, None) => match c.ip().await? {
                Some(ip) => match tokio::time::timeout(
                    Duration::from_secs(2),
                    tokio::net::TcpStream::connect((ip, port)),
                )
                .await
                {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(format!("connecting to {ip}:{port}: {e}")),
                    Err(_) => Err(format!("connecting to {ip}:{port} timed out")),
                },
                None => Err("the container has no network address".into()),
            },
        };
        let why = match attempt {
            Ok(()) => break,
            Err(why) => why,
        };
        if why != last {
            ctx.progress(format!("waiting for {what}: {why}"));
            last = why;
        }
        if started.elapsed() >= limit {
            let exposed = exposed_ports(project, c).await;
            let hint = match exposed.as_slice() {
                [] => "the image exposes no port: set the test's port to the one the app listens on".to_string(),
                ports if !ports.iter().any(|p| p.split('/').next() == Some(&port.to_string())) => format!(
                    "the image exposes {}, not {port}: set the test's port to the one the app listens on",
                    ports.join(", ")
                ),
                ports => format!("the image exposes {}; check that the app listens there and answers", ports.join(", ")),
            };
            return Err(Error::failed(format!(
                "the service was not ready within {}: waited for {what}; last: {last}",
                humantime::format_duration(limit)
            ))
            .with_hint(hint));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ready_in = started.elapsed();
    let Some(cmd) = test.run.as_deref().filter(|c| !c.trim().is_empty()) else {
        return Ok(Done::new(format!(
            "ready in {:.1}s",
            ready_in.as_secs_f64()
        )));
    };
    let url = format!("http://127.0.0.1:{host_port}");
    let mut env = env.to_vec();
    env.push(("DEVLOOP_SERVICE_URL".into(), url.clone()));
    env.push(("DEVLOOP_SERVICE_PORT".into(), host_port.to_string()));
    let code = host_command(transcripts, ctx, name, cmd, &env, workdir).await?;
    let st = c.state().await?;
    let (still_running, exit) = (st.running, st.exit_code);
    if code == 0 && !still_running {
        return Err(Error::failed(format!(
            "the checks passed but the service exited (code {}) while they ran",
            exit.map(|e| e.to_string()).unwrap_or_else(|| "?".into())
        )));
    }
    exit_result(code.into(), cmd, &format!(" against {url}")).map(|mut d| {
        d.message = format!("{} (ready in {:.1}s)", d.message, ready_in.as_secs_f64());
        d
    })
}

/// The ports the service's image exposes (`3000/tcp`), for the message of a wait that failed.
async fn exposed_ports(project: &Session, c: &Container) -> Vec<String> {
    let Ok(daemon) = project.daemon().await else {
        return Vec::new();
    };
    // The image's own EXPOSE, not the container's (which also has the port the test publishes).
    let Some(image) = daemon
        .client
        .inspect_container(&c.id, None)
        .await
        .ok()
        .and_then(|i| i.image)
    else {
        return Vec::new();
    };
    let mut ports = daemon
        .client
        .inspect_image(&image)
        .await
        .ok()
        .and_then(|i| i.config)
        .and_then(|c| c.exposed_ports)
        .unwrap_or_default();
    ports.sort();
    ports
}

fn exited_early(exit: Option<i64>) -> Error {
    Error::failed(format!(
        "the service exited (code {}) before it was ready",
        exit.map(|e| e.to_string()).unwrap_or_else(|| "?".into())
    ))
}

/// Run `sh -c cmd` on the host in its own process group, streaming its output; on cancel the
/// whole group is terminated.
async fn host_command(
    transcripts: &Transcripts,
    ctx: &StepCtx,
    test: &str,
    cmd: &str,
    env: &[(String, String)],
    workdir: &Path,
) -> Result<i32> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(workdir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Error::failed_because(format!("cannot run `{cmd}` in {}", workdir.display()), e)
        })?;
    let pid = child.id();
    let out = child.stdout.take().map(|s| BufReader::new(s).lines());
    let err = child.stderr.take().map(|s| BufReader::new(s).lines());
    let pump = async {
        let (mut out, mut err) = (out, err);
        loop {
            let line = tokio::select! {
                l = next_line(&mut out) => l.or(None),
                l = next_line(&mut err) => l,
            };
            match line {
                Some(l) => {
                    transcripts.push(test, &l);
                    ctx.log(l);
                }
                None if out.is_none() && err.is_none() => break,
                None => {}
            }
        }
    };
    tokio::select! {
        _ = pump => {}
        _ = ctx.cancel.cancelled() => {
            terminate_group(pid);
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            kill_group(pid);
            return Err(Error::interrupted());
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| Error::failed_because(format!("cannot wait for `{cmd}`"), e))?;
    Ok(status.code().unwrap_or(128))
}

/// The next line of a stream; a finished stream becomes `None` and is never polled again.
async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Option<tokio::io::Lines<R>>,
) -> Option<String> {
    let Some(l) = lines.as_mut() else {
        return std::future::pending().await;
    };
    match l.next_line().await {
        Ok(Some(line)) => Some(line),
        _ => {
            *lines = None;
            None
        }
    }
}

fn signal_group(pid: Option<u32>, signal: i32) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals the process group we created; no memory is touched.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

fn terminate_group(pid: Option<u32>) {
    signal_group(pid, libc::SIGTERM);
}

fn kill_group(pid: Option<u32>) {
    signal_group(pid, libc::SIGKILL);
}
