//! bollard's errors in plain words ("connection refused: nothing is listening at that address"),
//! and as devloop errors with the exit code their kind calls for.

use crate::error::{Error, ExitKind};

/// A short description of a bollard error in plain words, without its Debug noise or the names
/// of the HTTP client's layers ("Error in the hyper legacy client: client error (Connect)").
pub fn describe(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as B;
    match e {
        B::SocketNotFoundError(path) if path.is_empty() => "no socket path was given".into(),
        B::SocketNotFoundError(path) => format!("socket {path} does not exist"),
        B::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        B::DockerStreamError { error } => error.clone(),
        B::RequestTimeoutError => "the daemon did not answer in time".into(),
        B::HyperLegacyError { err } => transport(err),
        other => {
            let mut msg = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                let s_text = s.to_string();
                if !msg.contains(&s_text) {
                    msg.push_str(": ");
                    msg.push_str(&s_text);
                }
                source = s.source();
            }
            msg
        }
    }
}

/// What went wrong on the way to the daemon, from the innermost cause: the operating system's
/// error when there is one, else the last words of the chain.
fn transport(err: &(dyn std::error::Error + 'static)) -> String {
    use std::io::ErrorKind as K;
    let mut innermost = err.to_string();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut dns = false;
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            let os = io.to_string();
            if dns {
                return format!("cannot resolve the host name ({os})");
            }
            return match io.kind() {
                K::ConnectionRefused => {
                    "connection refused: nothing is listening at that address".into()
                }
                K::NotFound => "no such socket".into(),
                K::PermissionDenied => format!(
                    "permission denied ({os}): this user may not use the daemon's socket (the `docker` group, or sudo)"
                ),
                K::TimedOut => "the connection timed out".into(),
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    "the daemon closed the connection".into()
                }
                _ => os,
            };
        }
        innermost = s.to_string();
        dns |= innermost == "dns error";
        source = s.source();
    }
    match innermost.as_str() {
        "connection closed before message completed" => {
            "the daemon closed the connection before it answered".into()
        }
        _ => innermost,
    }
}

/// Map a bollard error from an API call: transport failures are exit 5, the rest step failures.
pub fn api_error(what: &str, e: bollard::errors::Error) -> Error {
    use bollard::errors::Error as B;
    let kind = match &e {
        B::DockerResponseServerError { status_code, .. } if *status_code < 500 => {
            ExitKind::StepFailed
        }
        B::DockerResponseServerError { .. } | B::DockerStreamError { .. } => ExitKind::StepFailed,
        B::HyperLegacyError { .. } | B::SocketNotFoundError(_) | B::RequestTimeoutError => {
            ExitKind::Unreachable
        }
        _ => ExitKind::StepFailed,
    };
    Error::new(kind, format!("{what}: {}", describe(&e))).caused_by(e)
}

/// Whether an error is the daemon saying "no such thing" (HTTP 404).
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}
