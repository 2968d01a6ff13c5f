//! Everything a stack test made in the Docker daemon (its network, its fresh volumes, one
//! container per service), kept so that all of it is removed: by [`Up::teardown`] on every path
//! the test ends by, and from `Drop` if the step is abandoned before it could.

use std::collections::HashMap;
use std::time::Duration;

use crate::docker::container::{Container, Spec};
use crate::docker::{network, volume, Daemon};
use crate::error::{Error, Result};

pub(super) struct Up {
    daemon: Daemon,
    labels: HashMap<String, String>,
    network: Option<String>,
    volumes: Vec<String>,
    /// Each service's container, in the order they were made.
    containers: Vec<(String, Container)>,
}

impl Up {
    /// Nothing made yet; what is made carries `labels`.
    pub fn new(daemon: &Daemon, labels: HashMap<String, String>) -> Up {
        Up {
            daemon: daemon.clone(),
            labels,
            network: None,
            volumes: Vec::new(),
            containers: Vec::new(),
        }
    }

    pub fn labels(&self) -> &HashMap<String, String> {
        &self.labels
    }

    /// Make the test's own network.
    pub async fn network(&mut self, name: &str) -> Result<()> {
        // Held before it is asked for, so a network made just as the answer was lost still goes.
        self.network = Some(name.to_string());
        network::ensure(&self.daemon, name, &self.labels, false).await
    }

    /// Make a fresh volume (once, however many services mount it).
    pub async fn volume(&mut self, name: &str) -> Result<()> {
        if self.volumes.iter().any(|v| v == name) {
            return Ok(());
        }
        self.volumes.push(name.to_string());
        volume::create(&self.daemon, name, &self.labels).await
    }

    /// Create (not start) the container of `service`.
    pub async fn container(&mut self, service: &str, spec: Spec) -> Result<&Container> {
        let c = Container::create(&self.daemon, spec).await?;
        self.containers.push((service.to_string(), c));
        let (_, c) = &self.containers[self.containers.len() - 1];
        Ok(c)
    }

    /// The containers made so far, by service.
    pub fn containers(&self) -> &[(String, Container)] {
        &self.containers
    }

    /// Remove everything: the containers (with their anonymous volumes), then the volumes and
    /// the network they used. Every removal is tried; the first that failed is the error, the
    /// others are in its detail.
    pub async fn teardown(mut self) -> Result<()> {
        let containers = std::mem::take(&mut self.containers);
        let volumes = std::mem::take(&mut self.volumes);
        let network = self.network.take();
        remove_all(&self.daemon, containers, volumes, network).await
    }
}

async fn remove_all(
    daemon: &Daemon,
    containers: Vec<(String, Container)>,
    volumes: Vec<String>,
    network: Option<String>,
) -> Result<()> {
    let mut failed: Vec<Error> = Vec::new();
    for (_, c) in containers {
        if let Err(e) = c.remove().await {
            failed.push(e);
        }
    }
    for v in volumes {
        if let Err(e) = volume::remove(daemon, &v).await {
            failed.push(e);
        }
    }
    if let Some(net) = network {
        // The daemon can take a moment to let go of the endpoints of containers just removed.
        let mut tries = 0;
        loop {
            match network::remove(daemon, &net).await {
                Ok(()) => break,
                Err(_) if tries < 4 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => {
                    failed.push(e);
                    break;
                }
            }
        }
    }
    let mut failed = failed.into_iter();
    match failed.next() {
        None => Ok(()),
        Some(first) => {
            let mut e = first.context("cannot remove what the stack test made");
            e.detail
                .extend(failed.map(|f| format!("also: {}", f.message)));
            Err(e)
        }
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let containers = std::mem::take(&mut self.containers);
        let volumes = std::mem::take(&mut self.volumes);
        let network = self.network.take();
        if containers.is_empty() && volumes.is_empty() && network.is_none() {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let daemon = self.daemon.clone();
            handle.spawn(async move {
                let _ = remove_all(&daemon, containers, volumes, network).await;
            });
        }
    }
}
