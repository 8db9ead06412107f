//! Splitting a word's text into leading punctuation, the word itself and trailing punctuation,
//! so word-level rewrites (spelling, vocabulary) keep the marks the engine glued to it.

use crate::punct::is_punct;

pub(crate) struct Affixed<'a> {
    pub lead: &'a str,
    pub core: &'a str,
    pub trail: &'a str,
}

pub(crate) fn affixed(text: &str) -> Affixed<'_> {
    let start = text.find(|c: char| !is_punct(c)).unwrap_or(text.len());
    let end = text
        .rfind(|c: char| !is_punct(c))
        .map(|i| i + text[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(start);
    let end = end.max(start);
    Affixed {
        lead: &text[..start],
        core: &text[start..end],
        trail: &text[end..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        let a = affixed("\"Colour,\"");
        assert_eq!((a.lead, a.core, a.trail), ("\"", "Colour", ",\""));
        let a = affixed("...");
        assert_eq!((a.lead, a.core, a.trail), ("...", "", ""));
        let a = affixed("café.");
        assert_eq!((a.lead, a.core, a.trail), ("", "café", "."));
    }
}
