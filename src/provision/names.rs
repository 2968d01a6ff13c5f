//! Names AWS accepts: load balancers and target groups take at most 32 letters, digits and
//! hyphens, so a long `<app>-<env>` is shortened with a digest that keeps it unique.

use sha2::Digest;

/// `base` as a name of at most `max` characters of `[A-Za-z0-9-]`, not starting or ending with a
/// hyphen; a shortened name ends in 6 hex digits of the whole name's digest.
pub fn short(base: &str, max: usize) -> String {
    let clean: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let clean = clean.trim_matches('-').to_string();
    if clean.len() <= max {
        return clean;
    }
    let digest = hex::encode(sha2::Sha256::digest(base.as_bytes()));
    let keep = max.saturating_sub(7);
    format!("{}-{}", clean[..keep].trim_end_matches('-'), &digest[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_shortened_uniquely_and_short_ones_kept() {
        assert_eq!(short("hello-ecs", 32), "hello-ecs");
        let a = short("a-very-long-application-name-production-web", 32);
        let b = short("a-very-long-application-name-production-api", 32);
        assert!(a.len() <= 32 && b.len() <= 32, "{a} {b}");
        assert_ne!(a, b);
        assert!(!a.starts_with('-') && !a.ends_with('-'));
        assert_eq!(short("shop_prod", 32), "shop-prod");
    }
}
