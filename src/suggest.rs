//! "Did you mean …?": the one place a misspelt name is matched to what exists and said so.

/// The closest candidate to `word`, when it is close enough to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The suggestion as it ends a message: ` — did you mean "image"?`.
pub fn phrase(shown: &str) -> String {
    format!(" — did you mean \"{shown}\"?")
}

/// Append the suggestion for `word` to `message` when one is close enough; says whether it did.
pub fn append<'a>(
    message: &mut String,
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> bool {
    match closest(word, candidates) {
        Some(best) => {
            message.push_str(&phrase(best));
            true
        }
        None => false,
    }
}
