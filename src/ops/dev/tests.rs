//! How `dev` says what changed and where it serves.

use super::changes;
use super::cycle::url;

#[test]
fn a_change_is_said_in_few_words_and_the_url_comes_from_the_published_port() {
    assert_eq!(changes(&[]), "");
    assert_eq!(changes(&["a".into()]), " (a changed)");
    assert_eq!(
        changes(&["a".into(), "b".into(), "c".into()]),
        " (a and 2 more changed)"
    );
    assert_eq!(
        url(&["0.0.0.0:8080->80/tcp".into()]).as_deref(),
        Some("http://127.0.0.1:8080/")
    );
    assert_eq!(
        url(&["8081->80".into()]).as_deref(),
        Some("http://127.0.0.1:8081/")
    );
    assert_eq!(url(&[]), None);
}
