//! Splitting a recognised word into the word proper and the punctuation glued to it, the way
//! json-v2 reports them (`"Hello,"` → word `Hello` + punctuation `,` attached to the previous
//! word). The text renderers use the same split to decide where sentences and clauses end.
//!
//! Punctuation is an explicit list rather than "anything not alphanumeric": symbols such as
//! `$`, `%`, `#`, `&` belong to their word, combining marks of Indic scripts are not alphanumeric
//! yet belong to their word, and the ASCII hyphen is part of words (`well-known`, `-5`).

/// Which neighbour a punctuation mark belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    Previous,
    Next,
}

impl Attach {
    pub fn as_str(self) -> &'static str {
        match self {
            Attach::Previous => "previous",
            Attach::Next => "next",
        }
    }
}

/// One piece of a word's text, in reading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Word(&'a str),
    Punct {
        content: &'a str,
        attaches_to: Attach,
        is_eos: bool,
    },
}

const SENTENCE_END: &[char] = &[
    '.', '?', '!', '…', '。', '？', '！', '｡', '؟', '۔', '।', '॥', '‼', '⁇', '⁈', '⁉', '።',
];
/// Marks that only ever open something, so standing alone they belong to the next word.
const OPENING: &[char] = &[
    '“', '‘', '„', '‚', '«', '‹', '(', '[', '{', '¿', '¡', '「', '『', '（', '【', '《', '〈',
    '［', '｛',
];
/// Marks that end a clause: preferred places to break a subtitle when no sentence ends nearby.
const CLAUSE_END: &[char] = &[',', ';', ':', '—', '–', '、', '，', '；', '：', '،', '؛'];
const OTHER: &[char] = &[
    '"', '\'', '`', '”', '’', '»', '›', ')', ']', '}', '」', '』', '）', '】', '》', '〉', '］',
    '｝',
];

/// Abbreviations whose final dot is part of the word, not the end of a sentence.
const TITLES: &[&str] = &["mr", "mrs", "ms", "dr", "prof", "vs"];
/// Words that open with an apostrophe standing for dropped letters (`'cause`, `'em`).
const ELISIONS: &[&str] = &["em", "cause", "til", "tis", "twas", "n", "bout", "round"];

pub fn is_punct(c: char) -> bool {
    SENTENCE_END.contains(&c)
        || OPENING.contains(&c)
        || CLAUSE_END.contains(&c)
        || OTHER.contains(&c)
}

pub fn is_sentence_end(c: char) -> bool {
    SENTENCE_END.contains(&c)
}

pub fn is_clause_end(c: char) -> bool {
    CLAUSE_END.contains(&c)
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// `U.S`, `e.g`, `a.m`, `Ph.D` (before their last dot), or a title such as `Dr`.
fn is_abbreviation(core: &str) -> bool {
    if TITLES.iter().any(|t| t.eq_ignore_ascii_case(core)) {
        return true;
    }
    core.contains('.')
        && core.split('.').all(|seg| {
            let n = seg.chars().count();
            (1..=2).contains(&n) && seg.chars().all(char::is_alphabetic)
        })
}

/// Splits `s` (punctuation only) into marks: runs of one character stay together (`...`, `!!`).
fn marks<'a>(s: &'a str, attaches_to: Attach, out: &mut Vec<Piece<'a>>) {
    fn push<'a>(s: &'a str, from: usize, to: usize, attaches_to: Attach, out: &mut Vec<Piece<'a>>) {
        let content = &s[from..to];
        let is_eos = content.chars().next().is_some_and(is_sentence_end);
        out.push(Piece::Punct {
            content,
            attaches_to,
            is_eos,
        });
    }
    let mut run_start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in s.char_indices() {
        if prev.is_some_and(|p| p != c) {
            push(s, run_start, i, attaches_to, out);
            run_start = i;
        }
        prev = Some(c);
    }
    if prev.is_some() {
        push(s, run_start, s.len(), attaches_to, out);
    }
}

/// Splits one word's text (already trimmed) into leading punctuation, the word, and trailing
/// punctuation. Text made only of punctuation (a word `","` or `"—"`) yields marks alone: they
/// attach to the next word when they can only open something, otherwise to the previous one.
pub fn split_word(text: &str) -> Vec<Piece<'_>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    if chars.iter().all(|&(_, c)| is_punct(c) || c == '-') {
        let attach = if chars.iter().all(|&(_, c)| OPENING.contains(&c)) {
            Attach::Next
        } else {
            Attach::Previous
        };
        marks(text, attach, &mut out);
        return out;
    }

    let mut lead = 0;
    while lead < n && is_punct(chars[lead].1) {
        lead += 1;
    }
    let mut trail = n;
    while trail > lead && is_punct(chars[trail - 1].1) {
        trail -= 1;
    }
    let byte = |i: usize| if i < n { chars[i].0 } else { text.len() };

    // An apostrophe before a number or an elision belongs to the word ('90s, 'cause).
    if lead > 0 && is_apostrophe(chars[lead - 1].1) {
        let core = &text[byte(lead)..byte(trail)];
        if chars[lead].1.is_ascii_digit() || ELISIONS.iter().any(|e| e.eq_ignore_ascii_case(core)) {
            lead -= 1;
        }
    }
    let had_leading_apostrophe = lead > 0 && is_apostrophe(chars[lead - 1].1);
    if trail < n {
        let core = &text[byte(lead)..byte(trail)];
        let next_is_dot = chars.get(trail + 1).is_some_and(|&(_, c)| c == '.');
        if chars[trail].1 == '.' && !next_is_dot && is_abbreviation(core) {
            trail += 1;
        } else if is_apostrophe(chars[trail].1)
            && !had_leading_apostrophe
            && core.chars().count() > 1
            && core.ends_with(['s', 'S'])
        {
            // Plural possessive (the students' books); a closing single quote after a word
            // ending in s is indistinguishable and rarer in recogniser output.
            trail += 1;
        }
    }

    marks(&text[..byte(lead)], Attach::Next, &mut out);
    out.push(Piece::Word(&text[byte(lead)..byte(trail)]));
    marks(&text[byte(trail)..], Attach::Previous, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Attach::*;

    fn mark(content: &str, attaches_to: Attach, is_eos: bool) -> Piece<'_> {
        Piece::Punct {
            content,
            attaches_to,
            is_eos,
        }
    }
    fn w(word: &str) -> Piece<'_> {
        Piece::Word(word)
    }
    /// A mark that ends a sentence.
    fn end(content: &str) -> Piece<'_> {
        mark(content, Previous, true)
    }
    /// A mark that goes with the word before it.
    fn after(content: &str) -> Piece<'_> {
        mark(content, Previous, false)
    }
    /// A mark that goes with the word after it.
    fn before(content: &str) -> Piece<'_> {
        mark(content, Next, false)
    }

    fn assert_splits(cases: &[(&str, Vec<Piece>)]) {
        for (text, pieces) in cases {
            assert_eq!(&split_word(text), pieces, "{text}");
        }
    }

    /// Words that stay whole, marks and all.
    fn assert_whole(words: &[&str]) {
        for text in words {
            assert_splits(&[(text, vec![w(text)])]);
        }
    }

    #[test]
    fn trailing_marks_attach_to_the_previous_word() {
        assert_splits(&[
            ("Hello,", vec![w("Hello"), after(",")]),
            ("end.", vec![w("end"), end(".")]),
            ("why?!", vec![w("why"), end("?"), end("!")]),
            ("so...", vec![w("so"), end("...")]),
            ("so…", vec![w("so"), end("…")]),
        ]);
    }

    #[test]
    fn quotes_open_and_close() {
        assert_splits(&[
            (
                "\"Stop.\"",
                vec![before("\""), w("Stop"), end("."), after("\"")],
            ),
            ("(see", vec![before("("), w("see")]),
            ("¿Qué?", vec![before("¿"), w("Qué"), end("?")]),
        ]);
    }

    #[test]
    fn inner_characters_stay_in_the_word() {
        assert_whole(&[
            "don't",
            "don’t",
            "well-known",
            "3.5",
            "e-mail",
            "$5",
            "50%",
            "#1",
            "C++",
            "-5",
            "AT&T",
        ]);
        assert_splits(&[
            ("3.5.", vec![w("3.5"), end(".")]),
            ("well-known,", vec![w("well-known"), after(",")]),
        ]);
    }

    #[test]
    fn abbreviations_keep_their_dot() {
        assert_whole(&["U.S.", "e.g.", "a.m.", "Ph.D.", "Dr.", "Mr."]);
        assert_splits(&[
            ("U.S.,", vec![w("U.S."), after(",")]),
            ("U.S...", vec![w("U.S"), end("...")]),
            ("is.", vec![w("is"), end(".")]),
        ]);
    }

    #[test]
    fn apostrophes_at_the_edges() {
        assert_whole(&["'90s", "'cause", "students'"]);
        assert_splits(&[
            ("'hello'", vec![before("'"), w("hello"), after("'")]),
            ("'yes'", vec![before("'"), w("yes"), after("'")]),
        ]);
    }

    #[test]
    fn punctuation_only_words() {
        assert_splits(&[
            (",", vec![after(",")]),
            ("...", vec![end("...")]),
            ("—", vec![after("—")]),
            ("-", vec![after("-")]),
            ("“", vec![before("“")]),
            ("\"", vec![after("\"")]),
            ("", vec![]),
        ]);
    }

    #[test]
    fn other_scripts() {
        // Devanagari vowel signs are not alphanumeric yet belong to the word.
        assert_splits(&[
            ("नमस्ते।", vec![w("नमस्ते"), end("।")]),
            ("你好。", vec![w("你好"), end("。")]),
            ("مرحبا؟", vec![w("مرحبا"), end("؟")]),
            ("«Bonjour»", vec![before("«"), w("Bonjour"), after("»")]),
        ]);
    }

    #[test]
    fn the_pieces_give_back_the_text() {
        for w in ["\"Stop.\"", "U.S..", "(a),", "...what?!", "x", "«¿Sí?»"] {
            let joined: String = split_word(w)
                .into_iter()
                .map(|piece| match piece {
                    Piece::Word(s) => s,
                    Piece::Punct { content, .. } => content,
                })
                .collect();
            assert_eq!(joined, w);
        }
    }
}
