//! One deploy at a time per ECS service: a lock kept in the service's own `devloop.lock` tag, so
//! every runner that can deploy the service sees it with no other store.
//!
//! The tag names the holder, when it was taken and when it expires; a lock past its expiry is taken
//! over, a live one refuses the deploy with its holder named (`--force-unlock` takes it anyway).
//! Taking it is a write then a read-back, so of two runners that write at once only the one whose
//! value stayed goes on. It is released on every exit path; if a deploy is abandoned mid-call the
//! release is still sent from `Drop`.

use std::time::{Duration, SystemTime};

use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;

use crate::aws::sdk_error;
use crate::error::{Error, Result};

const KEY: &str = "devloop.lock";

pub struct Lock {
    client: Client,
    arn: String,
    value: String,
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

async fn current(client: &Client, arn: &str) -> Result<Option<String>> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot read the tags of {arn}"), e))?;
    Ok(out
        .tags()
        .iter()
        .find(|t| t.key() == Some(KEY))
        .and_then(|t| t.value())
        .map(str::to_string))
}

/// Take the lock on the service `arn` for `ttl`, as `owner`.
pub async fn acquire(
    client: &Client,
    arn: &str,
    owner: &str,
    ttl: Duration,
    force: bool,
) -> Result<Lock> {
    let now = SystemTime::now();
    if let Some(held) = current(client, arn).await? {
        let (holder, until) = parse(&held);
        let live = until.is_none_or(|u| u > now);
        if live && !force {
            return Err(
                Error::failed(format!("another deploy holds the lock on {arn}: {held}")).with_hint(
                    format!(
                "wait for {holder} to finish, or pass --force-unlock if that deploy is gone"
            ),
                ),
            );
        }
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
        .map_err(|e| sdk_error(&format!("cannot take the deploy lock on {arn}"), e))?;
    // Two runners may have written at once: the one whose value stayed holds it.
    match current(client, arn).await? {
        Some(v) if v == value => Ok(Lock {
            client: client.clone(),
            arn: arn.to_string(),
            value,
            released: false,
        }),
        other => Err(Error::failed(format!(
            "another deploy took the lock on {arn} at the same moment: {}",
            other.unwrap_or_default()
        ))
        .with_hint("run the deploy again once it has finished")),
    }
}

impl Lock {
    /// Give the lock up, if it is still ours.
    pub async fn release(mut self) -> Result<()> {
        self.released = true;
        release(&self.client, &self.arn, &self.value).await
    }
}

async fn release(client: &Client, arn: &str, value: &str) -> Result<()> {
    if current(client, arn).await?.as_deref() != Some(value) {
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
            handle.spawn(async move {
                let _ = release(&client, &arn, &value).await;
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
}
