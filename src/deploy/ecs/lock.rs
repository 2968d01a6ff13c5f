//! One deploy at a time per ECS service: a lock kept in the service's own `devloop.lock` tag, so
//! every runner that can deploy the service sees it with no other store.
//!
//! The tag names the holder, when it was taken and when it expires; a lock past its expiry is taken
//! over, a live one refuses the deploy with its holder named (`--force-unlock` takes it anyway).
//! Taking it is a write then a read-back, so of two runners that write at once only the one whose
//! value stayed goes on. Tag reads lag writes: a read-back that still shows the old value is read
//! again, and so is a lock seen held before the write (it may have just been given back). It is
//! released on every exit path; if a deploy is abandoned mid-call the release is still sent from
//! `Drop`.

use std::time::{Duration, SystemTime};

use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;

use crate::aws::patience::{patiently, READ_PATIENCE};
use crate::aws::sdk_error;
use crate::error::{Error, Result};

const KEY: &str = "devloop.lock";

pub struct Lock {
    client: Client,
    arn: String,
    value: String,
    /// The tag's value before devloop wrote it, to recognise a read that lags the write.
    before: Option<String>,
    released: bool,
}

/// Tag values allow letters, digits, spaces and `+ - = . _ : / @`.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || " +-=._:/@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The holder and the expiry written in a lock's value.
fn parse(value: &str) -> (String, Option<SystemTime>) {
    let holder = value.split(" since ").next().unwrap_or(value).to_string();
    let until = value
        .split(" until ")
        .nth(1)
        .and_then(|t| humantime::parse_rfc3339(t.trim()).ok());
    (holder, until)
}

/// The lock's value now; a throttled read is asked again (it is no news about the lock).
async fn current(client: &Client, arn: &str) -> Result<Option<String>> {
    let out = patiently(READ_PATIENCE, || async {
        client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot read the tags of {arn}"), e))
    })
    .await?;
    Ok(out
        .tags()
        .iter()
        .find(|t| t.key() == Some(KEY))
        .and_then(|t| t.value())
        .map(str::to_string))
}

/// Whether a service ARN is in the old short format (`…:service/<name>`, no cluster), which ECS
/// cannot tag: accounts that never opted into the long ARN format still have such services.
pub fn short_arn(arn: &str) -> bool {
    arn.split_once(":service/")
        .is_some_and(|(_, rest)| !rest.contains('/'))
}

/// The refusal for a service whose ARN cannot carry the lock tag.
fn untaggable(arn: &str) -> Error {
    Error::usage(format!(
        "ECS service {arn} has an old-format ARN, which ECS cannot tag (\"Long arn format must be used for tagging operations\"), and devloop keeps its deploy lock in a tag. Nothing was changed"
    ))
    .with_hint("opt in to the long ARN format (`aws ecs put-account-setting-default --name serviceLongArnFormat --value enabled`) and recreate the service, or deploy with --no-lock (no protection against a second deploy at the same time)")
}

/// Reads after a tag write may lag it: how many times, and how far apart, the lock is read back
/// before a value that is still the one from before the write is called contention.
const READ_BACKS: u32 = 4;
const READ_BACK_WAIT: Duration = Duration::from_millis(250);

/// Take the lock on the service `arn` for `ttl`, as `owner`.
pub async fn acquire(
    client: &Client,
    arn: &str,
    owner: &str,
    ttl: Duration,
    force: bool,
) -> Result<Lock> {
    if short_arn(arn) {
        return Err(untaggable(arn));
    }
    let now = SystemTime::now();
    let mut before = current(client, arn).await?;
    // A lock given back a moment ago (by the previous deploy, say) can still read as held: tag
    // reads lag writes. Read a live one again a few times before calling it someone else's.
    for attempt in 0..=READ_BACKS {
        let Some(held) = before.as_deref().filter(|_| !force) else {
            break;
        };
        let (holder, until) = parse(held);
        if until.is_some_and(|u| u <= now) {
            break; // expired: taken over
        }
        if attempt == READ_BACKS {
            return Err(
                Error::failed(format!("another deploy holds the lock on {arn}: {held}")).with_hint(
                    format!(
                "wait for {holder} to finish, or pass --force-unlock if that deploy is gone"
            ),
                ),
            );
        }
        tokio::time::sleep(READ_BACK_WAIT * (attempt + 1)).await;
        before = current(client, arn).await?;
    }
    let nonce = format!(
        "{:x}",
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            & 0xffff_ffff
    );
    let value = clean(&format!(
        "{owner} {nonce} since {} until {}",
        humantime::format_rfc3339_seconds(now),
        humantime::format_rfc3339_seconds(now + ttl)
    ));
    client
        .tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key(KEY).value(&value).build())
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .and_then(|se| aws_smithy_types::error::metadata::ProvideErrorMetadata::message(se))
                .is_some_and(|m| m.contains("Long arn format"))
            {
                untaggable(arn)
            } else {
                sdk_error(&format!("cannot take the deploy lock on {arn}"), e)
            }
        })?;
    // Two runners may have written at once: the one whose value stayed holds it. A read that
    // still shows the value from before the write lags it: read again a few times.
    let mut seen = None;
    for attempt in 0..READ_BACKS {
        seen = current(client, arn).await?;
        if seen.as_deref() == Some(value.as_str()) {
            return Ok(Lock {
                client: client.clone(),
                arn: arn.to_string(),
                value,
                before,
                released: false,
            });
        }
        if seen != before {
            break;
        }
        tokio::time::sleep(READ_BACK_WAIT * (attempt + 1)).await;
    }
    Err(match seen {
        Some(other) if Some(&other) != before.as_ref() => Error::failed(format!(
            "another deploy took the lock on {arn} at the same moment: {other}"
        ))
        .with_hint("run the deploy again once it has finished"),
        _ => Error::failed(format!(
            "the deploy lock on {arn} did not read back after {READ_BACKS} reads; ECS still shows the tag as it was before devloop wrote it"
        ))
        .with_hint("run the deploy again; if this repeats, deploy with --no-lock"),
    })
}

impl Lock {
    /// Give the lock up, if it is still ours.
    pub async fn release(mut self) -> Result<()> {
        self.released = true;
        release(&self.client, &self.arn, &self.value, self.before.as_deref()).await
    }
}

/// Remove the tag when it holds our value, or (a read lagging our write) the value from before it.
async fn release(client: &Client, arn: &str, value: &str, before: Option<&str>) -> Result<()> {
    let now = current(client, arn).await?;
    let ours = now.as_deref() == Some(value) || (now.is_some() && now.as_deref() == before);
    if !ours {
        return Ok(());
    }
    client
        .untag_resource()
        .resource_arn(arn)
        .tag_keys(KEY)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot release the deploy lock on {arn}"), e))?;
    Ok(())
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let (client, arn, value) = (self.client.clone(), self.arn.clone(), self.value.clone());
            let before = self.before.clone();
            handle.spawn(async move {
                let _ = release(&client, &arn, &value, before.as_deref()).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_values_name_the_holder_and_the_expiry() {
        let (holder, until) =
            parse("alice@ci-7 1a2b since 2026-11-23T06:00:00Z until 2026-11-23T06:30:00Z");
        assert_eq!(holder, "alice@ci-7 1a2b");
        assert_eq!(
            until,
            Some(humantime::parse_rfc3339("2026-11-23T06:30:00Z").unwrap())
        );
        assert_eq!(clean("bob (laptop)!"), "bob _laptop__");
    }

    #[test]
    fn old_short_service_arns_are_told_apart() {
        assert!(short_arn("arn:aws:ecs:us-east-1:123456789012:service/web"));
        assert!(!short_arn(
            "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
        ));
    }
}
