//! What an environment runs exactly (its version label, and the live values of the option
//! settings devloop sets), so a failed set can put it back on that version and those settings,
//! creating nothing new (an environment per service, walked along the graph).

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_elasticbeanstalk::types::{ConfigurationOptionSetting, OptionSpecification};
use serde_json::json;

use super::{settings, Beanstalk, Clients};
use crate::deploy::{Checkpoint, Outcome};
use crate::engine::StepCtx;
use crate::error::{Error, Result};

impl Beanstalk {
    /// The version label it runs and the option settings devloop sets, as they are now; `None`
    /// for an environment that runs no version.
    pub(super) async fn checkpoint_with(&self, c: &Clients) -> Result<Option<Checkpoint>> {
        let env = self.environment_patiently(&c.eb).await?;
        let Some(label) = env.version_label() else {
            return Ok(None);
        };
        let wanted = settings::wanted(&self.settings);
        let live = settings::live_if_wanted(&c.eb, &self.settings, &wanted).await?;
        let options: Vec<serde_json::Value> = wanted
            .keys()
            .map(|k| json!([k.0, k.1, live.get(k)]))
            .collect();
        Ok(Some(Checkpoint {
            label: format!("version {label}"),
            data: json!({ "version_label": label, "options": options }),
        }))
    }

    /// Update the environment back to the checkpoint's version and option settings and watch it
    /// to a verdict: `Deployed` once it is Ready and Green there.
    pub(super) async fn restore_with(
        &self,
        c: &Clients,
        cp: &Checkpoint,
        ctx: &StepCtx,
        deadline: Instant,
    ) -> Result<Outcome> {
        let name = &self.settings.environment;
        let label = cp.data["version_label"].as_str().ok_or_else(|| {
            Error::failed(format!(
                "the checkpoint of environment {name} names no version label"
            ))
        })?;
        let env = self.environment(&c.eb).await?;
        let ours = env.version_label().unwrap_or_default().to_string();
        let mut keys = Vec::new();
        let mut before = BTreeMap::new();
        for o in cp.data["options"].as_array().into_iter().flatten() {
            let (Some(ns), Some(opt)) = (o[0].as_str(), o[1].as_str()) else {
                continue;
            };
            let key = (ns.to_string(), opt.to_string());
            if let Some(v) = o[2].as_str() {
                before.insert(key.clone(), v.to_string());
            }
            keys.push(key);
        }
        let now = if keys.is_empty() {
            BTreeMap::new()
        } else {
            settings::live(&c.eb, &self.settings.application, name).await?
        };
        let mut set = Vec::new();
        let mut remove = Vec::new();
        for k in keys.iter().filter(|k| now.get(*k) != before.get(*k)) {
            match before.get(k) {
                Some(v) => set.push(
                    ConfigurationOptionSetting::builder()
                        .namespace(&k.0)
                        .option_name(&k.1)
                        .value(v)
                        .build(),
                ),
                None => remove.push(
                    OptionSpecification::builder()
                        .namespace(&k.0)
                        .option_name(&k.1)
                        .build(),
                ),
            }
        }
        // Already there, and well (its own rollback put it back): nothing to update.
        let ready = env.status()
            == Some(&aws_sdk_elasticbeanstalk::types::EnvironmentStatus::Ready)
            && env.health() == Some(&aws_sdk_elasticbeanstalk::types::EnvironmentHealth::Green);
        if ours == label && set.is_empty() && remove.is_empty() && ready {
            return Ok(Outcome::Deployed(format!(
                "environment {name} runs version {label} again, Ready and Green"
            )));
        }
        let why = format!("putting environment {name} back as the set found it");
        let outcome = self
            .roll_back(c, label, &ours, set, remove, why, ctx, deadline)
            .await?;
        // Back where it was and healthy is what a put-back is for.
        Ok(match outcome {
            Outcome::RolledBack(_) => Outcome::Deployed(format!(
                "environment {name} is back on version {label}, Ready and Green"
            )),
            other => other,
        })
    }
}
