//! Reads made before anything changes (what runs, the preflight), retried while AWS only says
//! "not now": several services' reads share the account's rate limit, and a throttled or failed
//! read is no news, never a verdict, so it must not end a deploy the SDK's own retries gave up on.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Result;

/// How long a read before a deploy keeps retrying a throttled or failed call.
pub const READ_PATIENCE: Duration = Duration::from_secs(45);

/// The first wait after a transient failure; each next one is twice as long, at most `MAX_WAIT`.
const FIRST_WAIT: Duration = Duration::from_millis(250);
const MAX_WAIT: Duration = Duration::from_secs(10);

/// `read` until it succeeds or fails for a reason that asking again will not change; a
/// transient failure ([`crate::error::Error::transient`]) is retried with jittered backoff for
/// up to `patience`, after which the last failure is returned as it was.
pub async fn patiently<T, F, Fut>(patience: Duration, mut read: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let until = Instant::now() + patience;
    let mut wait = FIRST_WAIT;
    loop {
        match read().await {
            Err(e) if e.transient && Instant::now() + wait < until => {
                let left = until.saturating_duration_since(Instant::now());
                tokio::time::sleep(jittered(wait).min(left)).await;
                wait = (wait * 2).min(MAX_WAIT);
            }
            r => return r,
        }
    }
}

/// `wait` give or take a fifth, so runners that started together do not poll in step.
pub fn jittered(wait: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    // A factor in [0.8, 1.2).
    let factor = 0.8 + (h.finish() % 4000) as f64 / 10_000.0;
    wait.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_transient_failure_is_asked_again_and_a_lasting_one_is_not() {
        let calls = AtomicUsize::new(0);
        let r = patiently(READ_PATIENCE, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0..=1 => Err(Error::unreachable("throttled").transient()),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(r.ok(), Some(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = AtomicUsize::new(0);
        let r: Result<()> = patiently(READ_PATIENCE, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::usage("no such service"))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn patience_runs_out_with_the_last_failure() {
        let start = tokio::time::Instant::now();
        let r: Result<()> = patiently(Duration::from_secs(1), || async {
            Err(Error::unreachable("throttled").transient())
        })
        .await;
        assert!(r.is_err_and(|e| e.transient));
        // Within the patience, give or take one read and the scheduler.
        assert!(start.elapsed() < Duration::from_secs(3));
    }
}
