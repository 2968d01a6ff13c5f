//! The one wait of provision and destroy: look, say what is awaited and where it stands, back
//! off, and end at the deadline (timed out) or on Ctrl-C. Every wait of a resource becoming
//! active, steady, launched, Ready or gone goes through it, so each says what it waits for, is
//! bounded by `--timeout` and polls at a pace the API's limits allow.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::engine::StepCtx;
use crate::error::{Error, ExitKind, Result};

/// What one look found.
pub enum Look<T> {
    /// What was awaited holds.
    Done(T),
    /// Not yet; where it stands now, when the look could tell (a throttled or failed read is no
    /// news: `NotYet(None)`).
    NotYet(Option<String>),
}

/// How often to look: the first wait, doubled after each look, up to `most`.
#[derive(Clone, Copy)]
pub struct Pace {
    pub first: Duration,
    pub most: Duration,
}

/// The least time a look is given, even at the deadline: the one look that can still say done.
const LOOK_AT_LEAST: Duration = Duration::from_secs(5);

/// The pace of most waits: resources that take seconds to minutes.
pub const PACE: Pace = Pace {
    first: Duration::from_secs(2),
    most: Duration::from_secs(15),
};

/// What a failed read means to a wait: a transient one (throttled, a server error, no answer)
/// is no news, said as where it stands; any other (access denied, no such thing) ends the wait.
pub fn unless_lasting<T>(e: Error) -> Result<Look<T>> {
    if e.transient {
        Ok(Look::NotYet(Some(e.message)))
    } else {
        Err(e)
    }
}

/// Look until `look` is done, fails, the deadline passes (exit 4, naming `what` and where it
/// stood) or the run is cancelled. `what` completes "waiting for …".
pub async fn until<T, F, Fut>(
    ctx: &StepCtx,
    deadline: Instant,
    what: &str,
    pace: Pace,
    mut look: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Look<T>>>,
{
    let mut poll = pace.first;
    loop {
        ctx.check_cancelled()?;
        // A look that hangs (the SDK's own retries and timeouts) is bounded by the deadline too.
        let left = deadline.saturating_duration_since(Instant::now());
        let seen = match tokio::time::timeout(left.max(LOOK_AT_LEAST), look()).await {
            Ok(seen) => seen?,
            Err(_) => Look::NotYet(Some("the last look got no answer in time".into())),
        };
        let stands = match seen {
            Look::Done(t) => return Ok(t),
            Look::NotYet(stands) => stands.map(|s| format!(" ({s})")).unwrap_or_default(),
        };
        if Instant::now() >= deadline {
            return Err(Error::new(
                ExitKind::Timeout,
                format!("gave up waiting for {what} at the deadline{stands}"),
            )
            .with_hint(
                "pass a longer --timeout, or run the command again: it goes on from what exists",
            ));
        }
        ctx.progress(format!("waiting for {what}{stands}"));
        let pause = poll.min(deadline.saturating_duration_since(Instant::now()));
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = ctx.cancel.cancelled() => return Err(Error::interrupted()),
        }
        poll = (poll * 2).min(pace.most);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::heard::Heard;
    use std::sync::Arc;
    use tokio_util::sync::CancellationToken;

    fn ctx(said: Arc<Heard>) -> StepCtx {
        StepCtx {
            name: "provision".into(),
            events: said,
            cancel: CancellationToken::new(),
        }
    }

    const FAST: Pace = Pace {
        first: Duration::from_millis(5),
        most: Duration::from_millis(20),
    };

    #[tokio::test]
    async fn says_where_it_stands_until_done() {
        let said = Arc::new(Heard::default());
        let mut looks = 0;
        let r = until(
            &ctx(said.clone()),
            Instant::now() + Duration::from_secs(10),
            "load balancer lb to become active",
            FAST,
            || {
                looks += 1;
                let n = looks;
                async move {
                    Ok(match n {
                        1 => Look::NotYet(Some("provisioning".into())),
                        2 => Look::NotYet(None),
                        _ => Look::Done(n),
                    })
                }
            },
        )
        .await;
        assert_eq!(r.ok(), Some(3));
        assert_eq!(
            said.progress_lines(),
            [
                "waiting for load balancer lb to become active (provisioning)",
                "waiting for load balancer lb to become active"
            ]
        );
    }

    #[tokio::test]
    async fn the_deadline_is_a_timeout_naming_what_and_where_it_stood() {
        let r: Result<()> = until(
            &ctx(Arc::new(Heard::default())),
            Instant::now() + Duration::from_millis(30),
            "environment e to terminate",
            FAST,
            || async { Ok(Look::NotYet(Some("Terminating".into()))) },
        )
        .await;
        let e = r.expect_err("timed out");
        assert_eq!(e.kind, ExitKind::Timeout);
        assert_eq!(
            e.message,
            "gave up waiting for environment e to terminate at the deadline (Terminating)"
        );
    }

    #[tokio::test]
    async fn a_failed_look_ends_the_wait_and_ctrl_c_ends_a_pause() {
        let r: Result<()> = until(
            &ctx(Arc::new(Heard::default())),
            Instant::now() + Duration::from_secs(10),
            "x",
            FAST,
            || async { Err(Error::failed("did not launch")) },
        )
        .await;
        assert_eq!(r.err().map(|e| e.message), Some("did not launch".into()));

        let c = ctx(Arc::new(Heard::default()));
        let cancel = c.cancel.clone();
        let slow = Pace {
            first: Duration::from_secs(60),
            most: Duration::from_secs(60),
        };
        let waiting = until(
            &c,
            Instant::now() + Duration::from_secs(600),
            "x",
            slow,
            || async { Ok(Look::<()>::NotYet(None)) },
        );
        let started = Instant::now();
        let (r, ()) = tokio::join!(waiting, async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            cancel.cancel();
        });
        assert!(r.is_err_and(|e| e.kind == ExitKind::Interrupted));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
