//! Word error rate, for tests and benches that compare a hypothesis with a reference text.

/// Lower-cases and drops punctuation so that `"Hello, World!"` and `"hello world"` compare
/// equal. Word-internal apostrophes are kept (`don't`), hyphens split words (`well-known` is two
/// words), matching the normaliser that wrote the fixture references.
pub fn normalize(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' || c == '’' {
            cleaned.extend(c.to_lowercase());
        } else {
            cleaned.push(' ');
        }
    }
    cleaned
        .split_whitespace()
        .map(|w| w.replace('’', "'").trim_matches('\'').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// (substitutions + deletions + insertions) / reference words, on normalised words. An empty
/// reference gives 0.0 for an empty hypothesis and 1.0 otherwise (any words are all wrong).
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let r = normalize(reference);
    let h = normalize(hypothesis);
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &h) as f64 / r.len() as f64
}

/// Levenshtein distance over words with a single rolling row (memory O(hypothesis)), since
/// references of long recordings have thousands of words.
fn edit_distance(r: &[String], h: &[String]) -> usize {
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let sub = diag + usize::from(rw != hw);
            diag = row[j + 1];
            row[j + 1] = sub.min(row[j] + 1).min(diag + 1);
        }
    }
    row[h.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_after_normalising() {
        assert_eq!(word_error_rate("Hello, World!", "hello world"), 0.0);
        assert_eq!(word_error_rate("Don't stop.", "don't stop"), 0.0);
    }

    #[test]
    fn counts_each_kind_of_error() {
        // one substitution, one deletion, one insertion over 4 reference words
        let wer = word_error_rate("the cat sat down", "a cat down here");
        assert!((wer - 0.75).abs() < 1e-9, "{wer}");
        assert_eq!(word_error_rate("one two", ""), 1.0);
        assert_eq!(word_error_rate("", ""), 0.0);
        assert_eq!(word_error_rate("", "noise"), 1.0);
    }

    #[test]
    fn hyphens_split_words() {
        assert_eq!(normalize("well-known fact"), vec!["well", "known", "fact"]);
    }
}
