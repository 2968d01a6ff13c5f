//! `[[test]]` entries: names that can name a step, what each kind needs, and `needs` that name
//! tests which exist and do not go round in a circle.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::schema::{Test, TestKind};
use crate::config::Source;
use crate::error::Result;

/// Each test's name, kind and needs. `of_service`: these are one service's tests; `multi`: the
/// file has `[services]`, so top-level tests are the app's (host and stack) and the rest belong
/// to a service.
pub(super) fn check_tests(
    src: &Source,
    tests: &[Test],
    of_service: bool,
    multi: bool,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    for test in tests {
        placement(src, test, of_service, multi)?;
        let tname = test.name.get_ref();
        if tname.trim().is_empty() || tname.chars().any(char::is_control) {
            return Err(src.error(
                Some(test.name.span()),
                format!(
                    "test name {tname:?} cannot be used: give each [[test]] a name of visible characters, like name = \"unit\" (its step is called test:<name>)"
                ),
            ));
        }
        if !seen.insert(tname.as_str()) {
            return Err(src.error(
                Some(test.name.span()),
                format!("duplicate test name \"{tname}\""),
            ));
        }
        match test.kind {
            TestKind::Host | TestKind::Image | TestKind::Stack if test.run.is_none() => {
                return Err(src.error(
                    Some(test.name.span()),
                    format!("test \"{tname}\" needs a `run` command"),
                ));
            }
            TestKind::Service if test.port.is_none() => {
                return Err(src.error(
                    Some(test.name.span()),
                    format!("service test \"{tname}\" needs `port`, the container port to probe"),
                ));
            }
            _ => {}
        }
    }
    let names: Vec<&str> = tests.iter().map(|t| t.name.get_ref().as_str()).collect();
    for test in tests {
        for need in &test.needs {
            if !names.contains(&need.as_str()) {
                let mut msg = format!(
                    "test \"{}\" needs unknown test \"{need}\"",
                    test.name.get_ref()
                );
                crate::suggest::append(&mut msg, need, names.iter().copied());
                return Err(src.error(Some(test.name.span()), msg));
            }
        }
    }

    needs_cycle(src, tests)
}

/// Where each kind may be written: `stack` only among the app's tests of a file with services;
/// `image` and `service` there only inside a service, whose image they need.
fn placement(src: &Source, test: &Test, of_service: bool, multi: bool) -> Result<()> {
    let name = test.name.get_ref();
    let misplaced = match test.kind {
        TestKind::Stack if !multi => Some(format!(
            "test \"{name}\" is of kind \"stack\", which brings up a set of services: it needs [services.<name>] tables"
        )),
        TestKind::Stack if of_service => Some(format!(
            "test \"{name}\" is of kind \"stack\", which runs against the whole set: write it as a top-level [[test]], not under a service"
        )),
        TestKind::Image | TestKind::Service if multi && !of_service => Some(format!(
            "test \"{name}\" needs an image, and this file builds one per service: write it as [[services.<name>.test]]"
        )),
        _ => None,
    };
    match misplaced {
        Some(msg) => Err(src.error(Some(test.name.span()), msg)),
        None => Ok(()),
    }
}

/// Tests that need each other in a circle can never start: name the circle, and only it.
fn needs_cycle(src: &Source, tests: &[Test]) -> Result<()> {
    let index: BTreeMap<&str, usize> = tests
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.get_ref().as_str(), i))
        .collect();
    // 0: not seen, 1: on the current path, 2: done.
    let mut state = vec![0u8; tests.len()];
    for start in 0..tests.len() {
        if state[start] != 0 {
            continue;
        }
        // Depth-first, without recursion: (test, next need to look at).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((at, next)) = stack.last_mut() {
            let (at, next_need) = (*at, *next);
            *next += 1;
            let Some(need) = tests[at].needs.get(next_need) else {
                state[at] = 2;
                stack.pop();
                continue;
            };
            let Some(&to) = index.get(need.as_str()) else {
                continue;
            };
            match state[to] {
                0 => {
                    state[to] = 1;
                    stack.push((to, 0));
                }
                1 => {
                    let from = stack.iter().position(|(t, _)| *t == to).unwrap_or(0);
                    let mut circle: Vec<String> = stack[from..]
                        .iter()
                        .map(|(t, _)| format!("test:{}", tests[*t].name.get_ref()))
                        .collect();
                    circle.push(format!("test:{}", tests[to].name.get_ref()));
                    let first = &tests[to];
                    return Err(src.error(
                        Some(first.name.span()),
                        format!(
                            "tests need each other in a cycle, so none of them can start: {}; remove one of these needs",
                            circle.join(" -> ")
                        ),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}
