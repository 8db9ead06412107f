//! `enable_entities`: finds numbers, ordinals, money, percentages, dates, times, e-mail
//! addresses and URLs in a run of words, Speechmatics style (`entity_class`, `spoken_form` = the
//! words heard, `written_form` = the formatted value). Hand-written rules rather than a crate:
//! Whisper already writes most values in written form ("$5", "25%", "10:30"), so the work is
//! recognising the shapes and grouping the words, plus turning simple spoken numbers into digits.

/// One entity: words `start..end` (indices into the words given) form `written` of `class`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySpan {
    pub start: usize,
    pub end: usize,
    pub class: &'static str,
    pub written: String,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const UNITS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const ORDINAL_WORDS: [&str; 20] = [
    "",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
];
const URL_ENDINGS: [&str; 10] = [
    ".com", ".org", ".net", ".io", ".dev", ".edu", ".gov", ".co.uk", ".ai", ".info",
];

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// `1,234`, `3.5`, `42` (not `1.2.3`).
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let int_ok = is_digits(&int.replace(',', "")) && !int.starts_with(',') && !int.ends_with(',');
    int_ok && (frac.is_empty() || is_digits(frac)) && !(s.contains('.') && frac.is_empty())
}

fn ordinal_suffix(n: u64) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// `3rd`, `21st` → 21.
fn digit_ordinal(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, suffix) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    (suffix.eq_ignore_ascii_case(ordinal_suffix(n))).then_some(n)
}

fn word_ordinal(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    ORDINAL_WORDS
        .iter()
        .position(|w| !w.is_empty() && *w == lower)
        .map(|n| n as u64)
        .or(match lower.as_str() {
            "twentieth" => Some(20),
            "thirtieth" => Some(30),
            _ => None,
        })
}

/// Spoken number words from `i` on ("twenty five", "three hundred and two", "two thousand"):
/// the value and how many words it took. "and" is taken only inside a number.
fn spoken_number(keys: &[String], i: usize) -> Option<(u64, usize)> {
    let mut total: u64 = 0;
    let mut current: u64 = 0;
    let mut used = 0;
    let mut last_number_at = 0;
    let mut j = i;
    while j < keys.len() {
        let k = keys[j].as_str();
        let k = k.split('-').collect::<Vec<_>>();
        let mut value_here = None;
        let mut ok = true;
        for part in &k {
            if let Some(n) = UNITS.iter().position(|u| u == part) {
                current += n as u64;
                value_here = Some(());
            } else if let Some(n) = TENS.iter().position(|t| t == part) {
                current += (n as u64 + 2) * 10;
                value_here = Some(());
            } else if *part == "hundred" && used > 0 {
                current = current.max(1) * 100;
                value_here = Some(());
            } else if (*part == "thousand" || *part == "million") && used > 0 {
                let scale = if *part == "thousand" {
                    1_000
                } else {
                    1_000_000
                };
                total += current.max(1) * scale;
                current = 0;
                value_here = Some(());
            } else {
                ok = false;
            }
        }
        if ok && value_here.is_some() {
            used = j - i + 1;
            last_number_at = used;
            j += 1;
        } else if keys[j] == "and" && used > 0 && j + 1 < keys.len() {
            j += 1;
        } else {
            break;
        }
    }
    (last_number_at > 0).then_some((total + current, last_number_at))
}

fn month(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == lower).map(|i| {
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ][i]
    })
}

fn day(s: &str) -> Option<u64> {
    let n = if is_digits(s) {
        s.parse().ok()
    } else {
        digit_ordinal(s).or_else(|| word_ordinal(s))
    }?;
    (1..=31).contains(&n).then_some(n)
}

fn year(s: &str) -> Option<&str> {
    (s.len() == 4 && is_digits(s) && (s.starts_with('1') || s.starts_with('2'))).then_some(s)
}

fn is_meridiem(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().replace('.', "").as_str() {
        "am" => Some("AM"),
        "pm" => Some("PM"),
        _ => None,
    }
}

fn is_time(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    let (m, _) = m.split_once(':').unwrap_or((m, ""));
    is_digits(h)
        && h.len() <= 2
        && is_digits(m)
        && m.len() == 2
        && h.parse::<u8>().is_ok_and(|h| h < 24)
}

fn is_email(s: &str) -> bool {
    let Some((user, host)) = s.split_once('@') else {
        return false;
    };
    !user.is_empty() && host.contains('.') && !host.ends_with('.') && !host.contains('@')
}

fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("www.")
        || (URL_ENDINGS
            .iter()
            .any(|e| lower.ends_with(e) || lower.contains(&format!("{e}/")))
            && !lower.contains('@')
            && lower
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric()))
}

const CURRENCY_WORDS: [(&str, &str); 8] = [
    ("dollars", "$"),
    ("dollar", "$"),
    ("pounds", "£"),
    ("pound", "£"),
    ("euros", "€"),
    ("euro", "€"),
    ("bucks", "$"),
    ("cents", "¢"),
];

/// A number at `i`, written or spoken: its written form and the words it took.
fn number_at(keys: &[String], cores: &[&str], i: usize) -> Option<(String, usize)> {
    if is_number(cores[i]) {
        return Some((cores[i].to_string(), 1));
    }
    spoken_number(keys, i).map(|(n, used)| (n.to_string(), used))
}

/// Every entity in `cores` (the words without glued punctuation, in order), left to right,
/// never overlapping. `cores` may hold empty strings (punctuation-only words): nothing matches them.
pub fn find_entities(cores: &[&str]) -> Vec<EntitySpan> {
    let keys: Vec<String> = cores.iter().map(|c| c.to_lowercase()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cores.len() {
        match entity_at(&keys, cores, i) {
            Some(span) => {
                i = span.end;
                out.push(span);
            }
            None => i += 1,
        }
    }
    out
}

fn entity_at(keys: &[String], cores: &[&str], i: usize) -> Option<EntitySpan> {
    let at = |j: usize| cores.get(j).copied().unwrap_or("");
    let key = |j: usize| keys.get(j).map(String::as_str).unwrap_or("");
    let span = |end: usize, class: &'static str, written: String| {
        Some(EntitySpan {
            start: i,
            end,
            class,
            written,
        })
    };
    let c = at(i);
    if c.is_empty() {
        return None;
    }
    // Dates: "January 5, 2024", "January 5th", "March 2020", "5th of May 2021", "the 5 May".
    if let Some(m) = month(c) {
        if let Some(d) = day(at(i + 1)) {
            return match year(at(i + 2)) {
                Some(y) => span(i + 3, "date", format!("{m} {d}, {y}")),
                None => span(i + 2, "date", format!("{m} {d}")),
            };
        }
        if let Some(y) = year(at(i + 1)) {
            return span(i + 2, "date", format!("{m} {y}"));
        }
    }
    if let Some(d) = day(c) {
        let of = usize::from(key(i + 1) == "of");
        if let Some(m) = month(at(i + 1 + of)) {
            let after = i + 2 + of;
            return match year(at(after)) {
                Some(y) => span(after + 1, "date", format!("{d} {m} {y}")),
                None => span(after, "date", format!("{d} {m}")),
            };
        }
    }
    // Times: "10:30", "10:30 p.m.", "7 a.m.".
    if is_time(c) {
        return match is_meridiem(at(i + 1)) {
            Some(mer) => span(i + 2, "time", format!("{c} {mer}")),
            None => span(i + 1, "time", c.to_string()),
        };
    }
    if is_digits(c) && c.len() <= 2 {
        if let Some(mer) = is_meridiem(at(i + 1)) {
            return span(i + 2, "time", format!("{c} {mer}"));
        }
    }
    if is_email(c) {
        return span(i + 1, "email", c.to_string());
    }
    if is_url(c) {
        return span(i + 1, "url", c.to_string());
    }
    // Money written by the engine: "$5", "£3.50", "€1,000" (and "$5 million").
    if let Some(rest) = c.strip_prefix(['$', '£', '€']) {
        if is_number(rest) {
            return match key(i + 1) {
                scale @ ("thousand" | "million" | "billion") => {
                    span(i + 2, "money", format!("{c} {scale}"))
                }
                _ => span(i + 1, "money", c.to_string()),
            };
        }
    }
    if let Some(n) = c.strip_suffix('%') {
        if is_number(n) {
            return span(i + 1, "percentage", c.to_string());
        }
    }
    if let Some(n) = digit_ordinal(c) {
        return span(i + 1, "ordinal", format!("{n}{}", ordinal_suffix(n)));
    }
    if let Some(n) = word_ordinal(c) {
        return span(i + 1, "ordinal", format!("{n}{}", ordinal_suffix(n)));
    }
    if let Some((written, used)) = number_at(keys, cores, i) {
        let next = i + used;
        if key(next) == "percent" || (key(next) == "per" && key(next + 1) == "cent") {
            let end = next + if key(next) == "per" { 2 } else { 1 };
            return span(end, "percentage", format!("{written}%"));
        }
        if let Some((_, symbol)) = CURRENCY_WORDS.iter().find(|(w, _)| *w == key(next)) {
            let written = if *symbol == "¢" {
                format!("{written}¢")
            } else {
                format!("{symbol}{written}")
            };
            return span(next + 1, "money", written);
        }
        // A lone spoken "one" is mostly a pronoun ("the one I saw"): only digits or longer
        // spoken numbers count as cardinals.
        let spoken_single = used == 1 && !is_number(c);
        if spoken_single && matches!(key(i), "one" | "zero") {
            return None;
        }
        let class = if written.contains('.') {
            "decimal"
        } else {
            "cardinal"
        };
        return span(next, class, written);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, &'static str, String)> {
        let words: Vec<&str> = text.split(' ').collect();
        find_entities(&words)
            .into_iter()
            .map(|e| (words[e.start..e.end].join(" "), e.class, e.written))
            .collect()
    }

    fn one(text: &str, class: &str, written: &str) {
        let f = found(text);
        assert_eq!(f.len(), 1, "{text}: {f:?}");
        assert_eq!((f[0].1, f[0].2.as_str()), (class, written), "{text}");
    }

    #[test]
    fn classes() {
        one("it cost $5 today", "money", "$5");
        one("about twenty five dollars", "money", "$25");
        one("up 25% now", "percentage", "25%");
        one("ten percent", "percentage", "10%");
        one("the 3rd time", "ordinal", "3rd");
        one("the third time", "ordinal", "3rd");
        one("on January 5 2024 we", "date", "January 5, 2024");
        one("the 5th of May", "date", "5 May");
        one("at 10:30 p.m", "time", "10:30 PM");
        one("at 7 am", "time", "7 AM");
        one("mail me at jo@example.com", "email", "jo@example.com");
        one("see www.example.org", "url", "www.example.org");
        one("I have 1,234 sheep", "cardinal", "1,234");
        one("three hundred and two sheep", "cardinal", "302");
        one("pi is 3.14", "decimal", "3.14");
    }

    #[test]
    fn no_false_entities() {
        assert!(found("the one I saw was done and gone").is_empty());
        assert!(found("may I go").is_empty());
        assert!(found("first").len() == 1);
        assert!(found("").is_empty());
    }
}
