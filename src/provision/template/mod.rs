//! `devloop provision --template`: the same resources as a CloudFormation template, for teams
//! that want CloudFormation to own their infrastructure (change sets, drift detection). Every
//! resource whose CloudFormation type takes tags carries devloop's (an Elastic Beanstalk
//! application and an instance profile take none there).

mod beanstalk;
mod ecs;

pub use beanstalk::render as render_beanstalk;
pub use ecs::render;

use serde_json::{json, Value};

use super::account::Account;
use crate::error::{Error, Result};

/// A logical id CloudFormation accepts: letters and digits.
fn logical(prefix: &str, name: &str) -> String {
    let mut out = prefix.to_string();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

fn tags(account: &Account) -> Value {
    json!(account
        .tags()
        .iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect::<Vec<_>>())
}

/// The template as pretty JSON, ending in a newline.
fn pretty(template: &Value) -> Result<String> {
    serde_json::to_string_pretty(template)
        .map(|t| t + "\n")
        .map_err(|e| Error::failed(e.to_string()))
}
