//! What the json header says about a language: its English name, its writing direction and the
//! delimiter placed between words. Also used by the text renderers to join words.

/// English names of the languages the SLNG contract lists (section 4) plus the other languages
/// Whisper can emit, so a detected language never renders as a bare code.
const NAMES: &[(&str, &str)] = &[
    // The contract's 55 codes.
    ("ar", "Arabic"),
    ("ba", "Bashkir"),
    ("be", "Belarusian"),
    ("bg", "Bulgarian"),
    ("bn", "Bengali"),
    ("ca", "Catalan"),
    ("cs", "Czech"),
    ("cy", "Welsh"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("eo", "Esperanto"),
    ("es", "Spanish"),
    ("et", "Estonian"),
    ("eu", "Basque"),
    ("fa", "Persian"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("ga", "Irish"),
    ("gl", "Galician"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hr", "Croatian"),
    ("hu", "Hungarian"),
    ("ia", "Interlingua"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("lt", "Lithuanian"),
    ("lv", "Latvian"),
    ("mn", "Mongolian"),
    ("mr", "Marathi"),
    ("ms", "Malay"),
    ("mt", "Maltese"),
    ("nl", "Dutch"),
    ("no", "Norwegian"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sk", "Slovak"),
    ("sl", "Slovenian"),
    ("sv", "Swedish"),
    ("sw", "Swahili"),
    ("ta", "Tamil"),
    ("th", "Thai"),
    ("tl", "Tagalog"),
    ("tr", "Turkish"),
    ("ug", "Uyghur"),
    ("uk", "Ukrainian"),
    ("ur", "Urdu"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
    // Further Whisper languages (and the aliases it or Speechmatics use).
    ("af", "Afrikaans"),
    ("am", "Amharic"),
    ("as", "Assamese"),
    ("az", "Azerbaijani"),
    ("bo", "Tibetan"),
    ("br", "Breton"),
    ("bs", "Bosnian"),
    ("cmn", "Mandarin"),
    ("fo", "Faroese"),
    ("gu", "Gujarati"),
    ("ha", "Hausa"),
    ("haw", "Hawaiian"),
    ("hy", "Armenian"),
    ("is", "Icelandic"),
    ("jv", "Javanese"),
    ("jw", "Javanese"),
    ("ka", "Georgian"),
    ("kk", "Kazakh"),
    ("km", "Khmer"),
    ("kn", "Kannada"),
    ("la", "Latin"),
    ("lb", "Luxembourgish"),
    ("ln", "Lingala"),
    ("lo", "Lao"),
    ("mg", "Malagasy"),
    ("mi", "Maori"),
    ("mk", "Macedonian"),
    ("ml", "Malayalam"),
    ("my", "Burmese"),
    ("nb", "Norwegian Bokmål"),
    ("ne", "Nepali"),
    ("nn", "Norwegian Nynorsk"),
    ("oc", "Occitan"),
    ("pa", "Punjabi"),
    ("ps", "Pashto"),
    ("sa", "Sanskrit"),
    ("sd", "Sindhi"),
    ("si", "Sinhala"),
    ("sn", "Shona"),
    ("so", "Somali"),
    ("sq", "Albanian"),
    ("sr", "Serbian"),
    ("su", "Sundanese"),
    ("tg", "Tajik"),
    ("tk", "Turkmen"),
    ("tt", "Tatar"),
    ("uz", "Uzbek"),
    ("yi", "Yiddish"),
    ("yo", "Yoruba"),
    ("yue", "Cantonese"),
    ("zu", "Zulu"),
];

/// Languages written right to left (Arabic, Hebrew and Perso-Arabic scripts).
const RIGHT_TO_LEFT: &[&str] = &["ar", "fa", "he", "ur", "ug", "yi", "ps", "sd"];

/// Languages written without spaces between words: joining their words with a space would
/// put spaces into the text that were never there.
const NO_WORD_DELIMITER: &[&str] = &["ja", "zh", "cmn", "yue", "th", "lo", "my", "km", "bo"];

/// `"en-US"`, `"EN"`, `"pt_BR"` → `"en"`, `"en"`, `"pt"`: the primary subtag, lower case.
fn primary(code: &str) -> String {
    code.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The English name of a language code; an unknown code is returned as given (trimmed), so the
/// header still says something true.
pub fn language_description(code: &str) -> String {
    let p = primary(code);
    NAMES
        .iter()
        .find(|(c, _)| *c == p)
        .map(|(_, name)| name.to_string())
        .unwrap_or_else(|| code.trim().to_string())
}

/// `"right-to-left"` or `"left-to-right"`, as the json-v2 header spells them.
pub fn writing_direction(code: &str) -> &'static str {
    if RIGHT_TO_LEFT.contains(&primary(code).as_str()) {
        "right-to-left"
    } else {
        "left-to-right"
    }
}

/// What goes between two words of this language: `" "`, or `""` for scripts without spaces.
pub fn word_delimiter(code: &str) -> &'static str {
    if NO_WORD_DELIMITER.contains(&primary(code).as_str()) {
        ""
    } else {
        " "
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRACT_CODES: &str = "ar ba be bg bn ca cs cy da de el en eo es et eu fa fi fr ga gl he hi hr hu ia id it ja ko lt lv mn mr ms mt nl no pl pt ro ru sk sl sv sw ta th tl tr ug uk ur vi zh";

    #[test]
    fn every_contract_language_has_a_name() {
        let codes: Vec<&str> = CONTRACT_CODES.split_whitespace().collect();
        assert_eq!(codes.len(), 55);
        for code in codes {
            let name = language_description(code);
            assert_ne!(name, code, "{code} has no English name");
            assert!(name.chars().next().unwrap().is_ascii_uppercase());
        }
    }

    #[test]
    fn codes_are_not_duplicated() {
        let mut codes: Vec<&str> = NAMES.iter().map(|(c, _)| *c).collect();
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }

    #[test]
    fn region_and_case_are_ignored() {
        for (code, description) in [
            ("en", "English"),
            ("EN-us", "English"),
            ("pt_BR", "Portuguese"),
            ("yue", "Cantonese"),
            (" xx ", "xx"),
        ] {
            assert_eq!(language_description(code), description, "{code:?}");
        }
    }

    #[test]
    fn direction() {
        for code in ["ar", "fa", "he", "ur", "ug", "AR-eg"] {
            assert_eq!(writing_direction(code), "right-to-left", "{code}");
        }
        for code in ["en", "ja", "hi", "ru", ""] {
            assert_eq!(writing_direction(code), "left-to-right", "{code}");
        }
    }

    #[test]
    fn delimiter() {
        for (code, delimiter) in [("en", " "), ("ar", " "), ("ja", ""), ("zh-Hant", "")] {
            assert_eq!(word_delimiter(code), delimiter, "{code}");
        }
    }
}
