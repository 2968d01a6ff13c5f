//! The S3 side of the release ledger: write a record once, list and read records.

use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;

use super::sdk_error;
use crate::error::{Error, Result};

/// `s3://bucket/prefix` → (`bucket`, `prefix` without slashes at the ends).
pub fn parse_location(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| Error::usage(format!("\"{url}\" is not an s3:// location")))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::usage(format!("\"{url}\" names no bucket")));
    }
    Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

fn key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Put `body` at `prefix/name` only if nothing is there yet. S3 writes an object whole or not at all.
pub async fn put_new(
    sdk: &SdkConfig,
    bucket: &str,
    prefix: &str,
    name: &str,
    body: Vec<u8>,
) -> Result<()> {
    let client = aws_sdk_s3::Client::new(sdk);
    let key = key(prefix, name);
    // Conditional writes (If-None-Match) are refused by older S3 lookalikes; check first as well.
    if client
        .head_object()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .is_ok()
    {
        return Err(Error::failed(format!(
            "s3://{bucket}/{key} already exists; release records are never overwritten"
        )));
    }
    client
        .put_object()
        .bucket(bucket)
        .key(&key)
        .content_type("application/json")
        .if_none_match("*")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot write s3://{bucket}/{key}"), e))?;
    Ok(())
}

/// Every object under `prefix/` with its key, read whole.
pub async fn read_all(
    sdk: &SdkConfig,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<(String, Vec<u8>)>> {
    let client = aws_sdk_s3::Client::new(sdk);
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(key(prefix, ""))
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("cannot list s3://{bucket}/{prefix}"), e))?;
        for obj in page.contents() {
            let Some(k) = obj.key().filter(|k| k.ends_with(".json")) else {
                continue;
            };
            let got = client
                .get_object()
                .bucket(bucket)
                .key(k)
                .send()
                .await
                .map_err(|e| sdk_error(&format!("cannot read s3://{bucket}/{k}"), e))?;
            let bytes = got.body.collect().await.map_err(|e| {
                Error::unreachable_because(format!("cannot read s3://{bucket}/{k}"), e)
            })?;
            out.push((k.to_string(), bytes.into_bytes().to_vec()));
        }
        match page.next_continuation_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    Ok(out)
}

/// Put `body` at `key`, replacing what is there (a state that changes, unlike a release record).
pub async fn put(sdk: &SdkConfig, bucket: &str, key: &str, body: Vec<u8>) -> Result<()> {
    aws_sdk_s3::Client::new(sdk)
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| sdk_error(&format!("cannot write s3://{bucket}/{key}"), e))?;
    Ok(())
}

/// The object at `key`, or `None` when there is none.
pub async fn get(sdk: &SdkConfig, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
    let client = aws_sdk_s3::Client::new(sdk);
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(got) => {
            let bytes = got.body.collect().await.map_err(|e| {
                Error::unreachable_because(format!("cannot read s3://{bucket}/{key}"), e)
            })?;
            Ok(Some(bytes.into_bytes().to_vec()))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        // The bucket itself is not there yet (`devloop provision` makes it).
        Err(e)
            if e.as_service_error()
                .and_then(|s| aws_smithy_types::error::metadata::ProvideErrorMetadata::code(s))
                == Some("NoSuchBucket") =>
        {
            Ok(None)
        }
        Err(e) => Err(sdk_error(&format!("cannot read s3://{bucket}/{key}"), e)),
    }
}
