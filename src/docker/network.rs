//! The bridge network a set of services shares, so each reaches the others by service name.

use std::collections::HashMap;

use bollard::models::NetworkCreateRequest;

use super::connect::{api_error, is_not_found};
use super::Daemon;
use crate::error::Result;

/// Make the network `name` unless it exists; `labels` mark it as the app's. `overlay`: a swarm
/// network that containers may attach to too; otherwise a bridge.
pub async fn ensure(
    daemon: &Daemon,
    name: &str,
    labels: &HashMap<String, String>,
    overlay: bool,
) -> Result<()> {
    match daemon.client.inspect_network(name, None).await {
        Ok(_) => return Ok(()),
        Err(e) if is_not_found(&e) => {}
        Err(e) => return Err(api_error(&format!("cannot inspect network {name}"), e)),
    }
    let request = NetworkCreateRequest {
        name: name.to_string(),
        driver: Some(if overlay { "overlay" } else { "bridge" }.into()),
        attachable: overlay.then_some(true),
        labels: Some(labels.clone()),
        ..Default::default()
    };
    match daemon.client.create_network(request).await {
        Ok(_) => Ok(()),
        // Made meanwhile by another deploy of the same app: as good as ours.
        Err(e) if e.to_string().contains("already exists") => Ok(()),
        Err(e) => Err(api_error(&format!("cannot create network {name}"), e)),
    }
}

/// Remove the network `name` (gone already is fine).
pub async fn remove(daemon: &Daemon, name: &str) -> Result<()> {
    match daemon.client.remove_network(name).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(api_error(&format!("cannot remove network {name}"), e)),
    }
}
