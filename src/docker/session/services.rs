//! The gRPC services devloop serves the daemon during a build: liveness (Health), the context and
//! Dockerfile (FileSync), registry credentials (Auth) and build secrets (Secrets).

use std::collections::HashMap;
use std::pin::Pin;

use bollard::fsutil::types::Packet;
use bollard::health::health_check_response::ServingStatus;
use bollard::health::health_server::{Health, HealthServer};
use bollard::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
};
use bollard::moby::buildkit::secrets::v1::secrets_server::{
    Secrets as SecretsService, SecretsServer,
};
use bollard::moby::buildkit::secrets::v1::{GetSecretRequest, GetSecretResponse};
use bollard::moby::filesync::packet::file_sync_server::{FileSync, FileSyncServer};
use bollard::moby::filesync::v1::auth_server::{Auth, AuthServer};
use bollard::moby::filesync::v1::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};
use futures_util::Stream;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};

use super::{Offer, Shared};
use crate::config::Ambient;
use crate::docker::filesync;

/// The services for one session, from what it offers.
pub(super) fn routes(offer: Offer) -> tonic::service::Routes {
    tonic::service::Routes::new(HealthServer::new(Alive))
        .add_service(FileSyncServer::new(Files { dirs: offer.dirs }))
        .add_service(AuthServer::new(Credentials {
            ambient: offer.ambient,
        }))
        .add_service(SecretsServer::new(Secrets {
            values: offer.secrets,
        }))
        .prepare()
}

/// The daemon checks the session is alive while the build runs.
struct Alive;

#[tonic::async_trait]
impl Health for Alive {
    async fn check(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> std::result::Result<Response<HealthCheckResponse>, Status> {
        Ok(Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _: Request<HealthListRequest>,
    ) -> std::result::Result<Response<HealthListResponse>, Status> {
        Err(Status::unimplemented("list is not served"))
    }

    type WatchStream =
        futures_util::stream::Empty<std::result::Result<HealthCheckResponse, Status>>;

    async fn watch(
        &self,
        _: Request<HealthCheckRequest>,
    ) -> std::result::Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("watch is not served"))
    }
}

/// Packets out of a DiffCopy call.
type PacketStream = Pin<Box<dyn Stream<Item = std::result::Result<Packet, Status>> + Send>>;

/// Packets in flight per call; with 64 KiB data packets this bounds memory to a few MiB.
const PACKETS_IN_FLIGHT: usize = 32;

struct Files {
    dirs: HashMap<String, Shared>,
}

#[tonic::async_trait]
impl FileSync for Files {
    type DiffCopyStream = PacketStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> std::result::Result<Response<PacketStream>, Status> {
        let mut req = filesync::Request::from_metadata(request.metadata());
        let shared = self.dirs.get(&req.dir).ok_or_else(|| {
            Status::not_found(format!("devloop offers no directory named {:?}", req.dir))
        })?;
        req.excludes.extend(shared.excludes.iter().cloned());
        let root = shared.path.clone();
        let (tx, mut rx) = mpsc::channel(PACKETS_IN_FLIGHT);
        tokio::spawn(filesync::serve(root, req, request.into_inner(), tx));
        let out = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        Ok(Response::new(Box::pin(out)))
    }

    type TarStreamStream = PacketStream;

    async fn tar_stream(
        &self,
        _: Request<Streaming<Packet>>,
    ) -> std::result::Result<Response<PacketStream>, Status> {
        Err(Status::unimplemented(
            "devloop serves the context with DiffCopy",
        ))
    }
}

/// Registry credentials for base images, from the Docker config as the docker CLI reads it.
struct Credentials {
    ambient: Ambient,
}

#[tonic::async_trait]
impl Auth for Credentials {
    async fn credentials(
        &self,
        request: Request<CredentialsRequest>,
    ) -> std::result::Result<Response<CredentialsResponse>, Status> {
        let host = request.into_inner().host;
        let ambient = self.ambient.clone();
        let found = crate::registry::config_credentials(&ambient, docker_config_key(&host))
            .await
            .map_err(|e| Status::unavailable(e.message))?;
        Ok(Response::new(match found {
            Some(a) => CredentialsResponse {
                username: a.username,
                secret: a.password,
            },
            None => CredentialsResponse::default(),
        }))
    }

    async fn fetch_token(
        &self,
        _: Request<FetchTokenRequest>,
    ) -> std::result::Result<Response<FetchTokenResponse>, Status> {
        Err(Status::unimplemented(
            "devloop hands out credentials, not tokens",
        ))
    }

    async fn get_token_authority(
        &self,
        _: Request<GetTokenAuthorityRequest>,
    ) -> std::result::Result<Response<GetTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }

    async fn verify_token_authority(
        &self,
        _: Request<VerifyTokenAuthorityRequest>,
    ) -> std::result::Result<Response<VerifyTokenAuthorityResponse>, Status> {
        Err(Status::unimplemented("no token authority"))
    }
}

/// Build secrets, handed to the daemon only when a `RUN --mount=type=secret` step asks.
struct Secrets {
    values: HashMap<String, Vec<u8>>,
}

#[tonic::async_trait]
impl SecretsService for Secrets {
    async fn get_secret(
        &self,
        request: Request<GetSecretRequest>,
    ) -> std::result::Result<Response<GetSecretResponse>, Status> {
        let id = request.into_inner().id;
        match self.values.get(&id) {
            Some(data) => Ok(Response::new(GetSecretResponse { data: data.clone() })),
            // NotFound is what BuildKit expects for a missing secret (`required=false` mounts).
            None => Err(Status::not_found(format!(
                "secret \"{id}\" is not in [build.secrets]"
            ))),
        }
    }
}

/// BuildKit asks for Docker Hub as `registry-1.docker.io`; the Docker config files it under the
/// index (`https://index.docker.io/v1/`).
fn docker_config_key(host: &str) -> &str {
    match host {
        "registry-1.docker.io" | "docker.io" => "index.docker.io",
        other => other,
    }
}
