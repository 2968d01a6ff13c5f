//! Named volumes devloop makes for itself (a stack test's fresh data), labelled so a leftover can
//! be found, and removed again.

use std::collections::HashMap;

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::RemoveVolumeOptionsBuilder;

use super::connect::{api_error, is_not_found};
use super::Daemon;
use crate::error::Result;

/// Make the volume `name` with `labels`; one that exists already is used as it is.
pub async fn create(daemon: &Daemon, name: &str, labels: &HashMap<String, String>) -> Result<()> {
    let request = VolumeCreateRequest {
        name: Some(name.to_string()),
        labels: Some(labels.clone()),
        ..Default::default()
    };
    daemon
        .client
        .create_volume(request)
        .await
        .map(|_| ())
        .map_err(|e| api_error(&format!("cannot create volume {name}"), e))
}

/// Remove the volume `name` (gone already is fine).
pub async fn remove(daemon: &Daemon, name: &str) -> Result<()> {
    let opts = RemoveVolumeOptionsBuilder::default().force(true).build();
    match daemon.client.remove_volume(name, Some(opts)).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(api_error(&format!("cannot remove volume {name}"), e)),
    }
}
