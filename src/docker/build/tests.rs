//! Reading BuildKit's status messages, and splitting image references.

use super::follow::{VertexLine, Vertices};
use super::split_reference;
use bollard::moby::buildkit::v1::{StatusResponse, Vertex, VertexStatus};

fn lines(v: &mut Vertices, status: &StatusResponse) -> Vec<String> {
    v.absorb(status)
        .into_iter()
        .map(|l| match l {
            VertexLine::Started(s) => format!("started {s}"),
            VertexLine::Output(s) => s,
        })
        .collect()
}

#[test]
fn vertices_are_announced_once_and_transfers_reported_when_complete() {
    let mut v = Vertices::default();
    let vertex = Vertex {
        digest: "sha256:a".into(),
        name: "[internal] load build context".into(),
        started: Some(Default::default()),
        ..Default::default()
    };
    let transfer = |current, done: bool| VertexStatus {
        id: "transferring context:".into(),
        vertex: "sha256:a".into(),
        current,
        completed: done.then(Default::default),
        ..Default::default()
    };
    let first = StatusResponse {
        vertexes: vec![vertex.clone()],
        statuses: vec![transfer(1024, false)],
        ..Default::default()
    };
    assert_eq!(
        lines(&mut v, &first),
        ["started [internal] load build context"]
    );
    let done = StatusResponse {
        vertexes: vec![vertex],
        statuses: vec![transfer(20_787, true)],
        ..Default::default()
    };
    assert_eq!(
        lines(&mut v, &done),
        ["transferring context: 20.3 KiB sent"]
    );
    // BuildKit repeats finished statuses; they are not shown again.
    assert!(lines(&mut v, &done).is_empty());
}

#[test]
fn splits_references_with_registry_ports() {
    assert_eq!(split_reference("hello:abc"), ("hello", "abc"));
    assert_eq!(
        split_reference("localhost:5000/team/hello:v1"),
        ("localhost:5000/team/hello", "v1")
    );
    assert_eq!(
        split_reference("localhost:5000/hello"),
        ("localhost:5000/hello", "latest")
    );
}
