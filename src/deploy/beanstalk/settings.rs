//! The option settings devloop.toml asks of an Elastic Beanstalk environment (environment
//! properties, instance type, any `aws:` namespace), compared with the live ones
//! (DescribeConfigurationSettings) for `plan`, and the live values kept so a rollback can put
//! them back.

use std::collections::BTreeMap;

use aws_sdk_elasticbeanstalk::types::{ConfigurationOptionSetting, OptionSpecification};
use aws_sdk_elasticbeanstalk::Client;

use crate::aws::patience::{patiently, READ_PATIENCE};
use crate::aws::sdk_error;
use crate::config::schema::BeanstalkTarget;
use crate::config::ENV_NAMESPACE;
use crate::error::Result;

/// (namespace, option name).
pub type Key = (String, String);

/// One option setting devloop sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub value: String,
    pub secret: bool,
}

/// Every option setting the config sets, by (namespace, name).
pub fn wanted(s: &BeanstalkTarget) -> BTreeMap<Key, Wanted> {
    let mut out = BTreeMap::new();
    for (ns, options) in &s.options {
        for (name, value) in options {
            let w = Wanted {
                value: value.clone(),
                secret: false,
            };
            out.insert((ns.clone(), name.clone()), w);
        }
    }
    for (name, v) in &s.env {
        let w = Wanted {
            value: v.value().to_string(),
            secret: v.is_secret(),
        };
        out.insert((ENV_NAMESPACE.to_string(), name.clone()), w);
    }
    if let Some(t) = &s.instance_type {
        let w = Wanted {
            value: t.clone(),
            secret: false,
        };
        out.insert(
            (
                "aws:autoscaling:launchconfiguration".into(),
                "InstanceType".into(),
            ),
            w,
        );
    }
    out
}

/// The environment's live option settings, by (namespace, name).
pub async fn live(
    client: &Client,
    application: &str,
    environment: &str,
) -> Result<BTreeMap<Key, String>> {
    let out = patiently(READ_PATIENCE, || async {
        client
            .describe_configuration_settings()
            .application_name(application)
            .environment_name(environment)
            .send()
            .await
            .map_err(|e| {
                sdk_error(
                    &format!("cannot read the configuration of environment {environment}"),
                    e,
                )
            })
    })
    .await?;
    Ok(out
        .configuration_settings()
        .iter()
        .flat_map(|c| c.option_settings())
        .filter_map(|o| {
            let key = (o.namespace()?.to_string(), o.option_name()?.to_string());
            Some((key, o.value().unwrap_or_default().to_string()))
        })
        .collect())
}

/// The live settings of the environment `s` names, read only when the config sets any: with
/// nothing wanted there is nothing to compare or keep.
pub async fn live_if_wanted(
    client: &Client,
    s: &BeanstalkTarget,
    wanted: &BTreeMap<Key, Wanted>,
) -> Result<BTreeMap<Key, String>> {
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    live(client, &s.application, &s.environment).await
}

/// The settings whose live value differs from the wanted one.
pub fn changed<'a>(
    wanted: &'a BTreeMap<Key, Wanted>,
    live: &BTreeMap<Key, String>,
) -> Vec<(&'a Key, &'a Wanted)> {
    wanted
        .iter()
        .filter(|(k, w)| live.get(*k) != Some(&w.value))
        .collect()
}

/// `namespace Name: old -> new`, secrets shown as `***`.
pub fn describe_change(key: &Key, w: &Wanted, live: &BTreeMap<Key, String>) -> String {
    let show = |v: &str| {
        if w.secret {
            "***".to_string()
        } else {
            format!("{v:?}")
        }
    };
    format!(
        "{} {}: {} -> {}",
        key.0,
        key.1,
        live.get(key)
            .map(|v| show(v))
            .unwrap_or_else(|| "(not set)".into()),
        show(&w.value)
    )
}

/// The option settings to send with UpdateEnvironment.
pub fn to_send(changes: &[(&Key, &Wanted)]) -> Vec<ConfigurationOptionSetting> {
    changes
        .iter()
        .map(|((ns, name), w)| {
            ConfigurationOptionSetting::builder()
                .namespace(ns)
                .option_name(name)
                .value(&w.value)
                .build()
        })
        .collect()
}

/// What puts the changed settings back as they were: their old values, and the options that
/// were not set before to remove.
pub fn restore(
    changes: &[(&Key, &Wanted)],
    live: &BTreeMap<Key, String>,
) -> (Vec<ConfigurationOptionSetting>, Vec<OptionSpecification>) {
    let mut set = Vec::new();
    let mut remove = Vec::new();
    for ((ns, name), _) in changes {
        match live.get(&(ns.clone(), name.clone())) {
            Some(v) => set.push(
                ConfigurationOptionSetting::builder()
                    .namespace(ns)
                    .option_name(name)
                    .value(v)
                    .build(),
            ),
            None => remove.push(
                OptionSpecification::builder()
                    .namespace(ns)
                    .option_name(name)
                    .build(),
            ),
        }
    }
    (set, remove)
}
