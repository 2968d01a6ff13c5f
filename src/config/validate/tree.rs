//! Checks on the TOML tree itself: values no key takes (TOML date-times) before typing, and rules
//! across list items (host ports published twice) after it, each located at the value.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::explain::{self, Seg};
use crate::config::values::PortMap;
use crate::config::Source;
use crate::error::Result;

/// Checks on the TOML tree before it is typed: values no key takes, with their exact location.
pub fn check_tree(src: &Source, tree: &DeTable<'_>) -> Result<()> {
    let mut path = Vec::new();
    no_datetimes(src, tree, &mut path)
}

fn no_datetimes(src: &Source, table: &DeTable<'_>, path: &mut Vec<Seg>) -> Result<()> {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        datetime_in(src, value, path)?;
        path.pop();
    }
    Ok(())
}

fn datetime_in(src: &Source, value: &Spanned<DeValue<'_>>, path: &mut Vec<Seg>) -> Result<()> {
    match value.get_ref() {
        DeValue::Datetime(_) => {
            let written = src.text.get(value.span()).unwrap_or("").trim();
            let leaf = path
                .iter()
                .rev()
                .find_map(|s| match s {
                    Seg::Key(k) => Some(k.as_str()),
                    Seg::Index(_) => None,
                })
                .unwrap_or("key");
            let key = if leaf
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                leaf.to_string()
            } else {
                format!("{leaf:?}")
            };
            Err(src.error(
                Some(value.span()),
                format!(
                    "{} is a TOML date-time, which devloop does not read; write it as a string, like {key} = {written:?}",
                    explain::dotted(path)
                ),
            ))
        }
        DeValue::Table(t) => no_datetimes(src, t, path),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                datetime_in(src, item, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks on the tree of a document that typed: rules across list items, located at the item.
pub fn check_typed_tree(src: &Source, tree: &DeTable<'_>) -> Result<()> {
    let deploy = tree.get("deploy").and_then(|d| d.get_ref().as_table());
    for target in ["docker", "swarm"] {
        let ports = deploy
            .and_then(|d| d.get(target))
            .and_then(|t| t.get_ref().as_table())
            .and_then(|t| t.get("ports"))
            .and_then(|p| p.get_ref().as_array());
        let Some(ports) = ports else { continue };
        let mut seen: Vec<(PortMap, String)> = Vec::new();
        for item in ports.iter() {
            let Some(text) = item.get_ref().as_str() else {
                continue;
            };
            // Not yet expanded (a variable unset here) or not a mapping: typing speaks for those.
            let Ok(map) = PortMap::try_from(text.to_string()) else {
                continue;
            };
            if let Some((_, earlier)) = seen.iter().find(|(m, _)| m.clashes_with(&map)) {
                let port = map.host_port.unwrap_or_default();
                return Err(src.error(
                    Some(item.span()),
                    format!(
                        "deploy.{target}.ports: \"{text}\" publishes host port {port}/{} again (\"{earlier}\" already does); give each mapping its own host port or address",
                        map.protocol
                    ),
                ));
            }
            seen.push((map, text.to_string()));
        }
    }
    Ok(())
}
