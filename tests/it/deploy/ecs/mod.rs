//! The `ecs` target: against moto, what devloop checks before changing anything, the revision it
//! derives from the live one, an identical redeploy, the deploy lock and task definition
//! templates; against the AWS peer (ECS as the live service answers it, deployments that move
//! along the clock), templates in ECS's units and short service ARNs. Every rollout verdict is
//! judged in the unit tests of src/deploy/ecs.

mod moto;
mod peer;
mod set;

use crate::support::peers::{live_service, CLUSTER, SERVICE};
use crate::support::*;

fn config(app: &str, moto: &Moto, registry: Option<&str>, ecs_extra: &str) -> String {
    let release = registry
        .map(|r| format!("registry = \"{r}/team\"\n"))
        .unwrap_or_default();
    format!(
        "[app]\nname = \"{app}\"\n\n[build]\ntags = [\"{{short_sha}}\"]\n\n[release]\n{release}\n[aws]\nendpoint_url = \"{}\"\n\n[deploy]\ntarget = \"ecs\"\n\n[deploy.ecs]\ncluster = \"{CLUSTER}\"\nservice = \"{SERVICE}\"\ncontainer = \"app\"\n{ecs_extra}\n",
        moto.url()
    )
}

/// A context with an app name of its own and moto holding the cluster, revision 1 running
/// `image` (with `env` in its container's environment) and the service of `live_service`.
fn moto_with_service(prefix: &str, image: &str, env: &str) -> TestContext {
    let ctx = TestContext::new().with_moto(&[]).with_name(prefix);
    live_service(ctx.moto(), image, env);
    ctx
}

fn revisions(moto: &Moto) -> Vec<String> {
    moto.ecs("ListTaskDefinitions", "{\"familyPrefix\":\"web\"}")["taskDefinitionArns"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn service_td(moto: &Moto) -> String {
    moto.ecs(
        "DescribeServices",
        &format!(r#"{{"cluster":"{CLUSTER}","services":["{SERVICE}"]}}"#),
    )["services"][0]["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
