//! The pipeline on what the loader lets through: whatever a damaged devloop.toml says, planning
//! its steps never panics, and every refusal is a usage error.

use super::pipeline;
use super::{Options, Stage};
use crate::config::{load_text as load, Ambient};
use crate::session::{Overrides, Session};

/// The loader, and what `plan` computes from what it loads, on a few hundred damaged configs:
/// never a panic, and every refusal a usage error (exit 2).
#[test]
fn fuzzed_configs_load_or_fail_with_exit_2() {
    use crate::config::fuzz;
    use crate::engine::Runner;

    let mut rng = fuzz::Rng::new(0x5eed_d3b1_0090_0024);
    let corpus = fuzz::corpus();
    let vars = [("NPM_TOKEN", "t0ken"), ("DEVLOOP_AWS_ENDPOINT_URL", "")];
    let (mut loaded, mut refused) = (0, 0);
    for round in 0..600 {
        let base = &corpus[round % corpus.len()];
        let text = fuzz::mutate(base, &mut rng);
        let outcome = std::panic::catch_unwind(|| {
            let config = match load(&text, None, &vars) {
                Ok(c) => c,
                Err(e) => return Err(e),
            };
            let mut configs = vec![config.clone()];
            for env in &config.envs {
                if let Ok(c) = load(&text, Some(env), &vars) {
                    configs.push(c);
                }
            }
            for c in configs {
                let project =
                    std::sync::Arc::new(Session::new(c, Ambient::default(), &Overrides::default()));
                for stage in [
                    Stage::Build,
                    Stage::Test,
                    Stage::Release,
                    Stage::Deploy,
                    Stage::Ship,
                ] {
                    if let Ok((steps, _)) = pipeline::steps(&project, stage, &Options::default()) {
                        let _ = Runner::validate(&steps);
                    }
                }
            }
            Ok(())
        });
        match outcome {
            Ok(Ok(())) => loaded += 1,
            Ok(Err(e)) => {
                refused += 1;
                assert_eq!(
                    e.kind,
                    crate::error::ExitKind::Usage,
                    "round {round}: {}\n{text}",
                    e.message
                );
                assert!(!e.message.contains('\u{1}'), "round {round}: {}", e.message);
            }
            Err(_) => panic!("round {round} panicked on:\n{text}"),
        }
    }
    // The mutations reach both sides: configs that still load, and each kind of refusal.
    assert!(
        loaded > 50 && refused > 200,
        "loaded {loaded}, refused {refused}"
    );
}
