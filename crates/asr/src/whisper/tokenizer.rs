//! Whisper's special tokens, text <-> ids, and word splitting, ported from faster-whisper's
//! `tokenizer.py` so that word boundaries (and hence word timings) match it.

use std::path::Path;

use crate::AsrError;

/// Languages whose text does not separate words with spaces; their words are split wherever
/// the tokens decode to whole characters.
/// Python's `string.punctuation`.
const PYTHON_PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

const NO_SPACE_LANGUAGES: [&str; 6] = ["zh", "ja", "th", "lo", "my", "yue"];

pub struct WhisperTokenizer {
    inner: tokenizers::Tokenizer,
    /// CTranslate2's own vocabulary (id -> token string); it also holds the timestamp tokens,
    /// which tokenizer.json may lack, and prompts are passed to ct2 as these strings.
    vocabulary: Vec<String>,
    pub sot: u32,
    pub eot: u32,
    pub sot_prev: u32,
    pub sot_lm: Option<u32>,
    pub no_timestamps: u32,
    pub no_speech: Option<u32>,
    pub transcribe: Option<u32>,
    pub translate: Option<u32>,
}

impl WhisperTokenizer {
    pub fn load(model_dir: &Path) -> Result<Self, AsrError> {
        let inner = tokenizers::Tokenizer::from_file(model_dir.join("tokenizer.json"))
            .map_err(|e| AsrError::InvalidModel(format!("tokenizer.json: {e}")))?;
        let vocabulary = read_vocabulary(model_dir)?;
        let id = |token: &str| inner.token_to_id(token);
        let required = |token: &str| {
            id(token).ok_or_else(|| {
                AsrError::InvalidModel(format!("tokenizer.json lacks the token {token}"))
            })
        };
        Ok(Self {
            sot: required("<|startoftranscript|>")?,
            eot: required("<|endoftext|>")?,
            sot_prev: required("<|startofprev|>")?,
            sot_lm: id("<|startoflm|>"),
            no_timestamps: required("<|notimestamps|>")?,
            no_speech: id("<|nospeech|>").or_else(|| id("<|nocaptions|>")),
            transcribe: id("<|transcribe|>"),
            translate: id("<|translate|>"),
            inner,
            vocabulary,
        })
    }

    /// The first timestamp token (`<|0.00|>`); every id from here on is a timestamp.
    pub fn timestamp_begin(&self) -> u32 {
        self.no_timestamps + 1
    }

    /// Text to ids, without special tokens.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, AsrError> {
        self.inner
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| AsrError::Engine(format!("tokenizing {text:?}: {e}")))
    }

    /// The text of the ordinary tokens among `tokens` (special and timestamp tokens dropped).
    pub fn decode(&self, tokens: &[u32]) -> String {
        let text: Vec<u32> = tokens.iter().copied().filter(|&t| t < self.eot).collect();
        self.decode_raw(&text)
    }

    fn decode_raw(&self, tokens: &[u32]) -> String {
        // Decoding known ids cannot fail in practice; an empty string is the safe answer if
        // a corrupted tokenizer ever makes it.
        self.inner.decode(tokens, true).unwrap_or_default()
    }

    /// Token strings as CTranslate2 knows them, for its string-based prompt API.
    pub fn token_strings(&self, ids: &[u32]) -> Result<Vec<String>, AsrError> {
        ids.iter()
            .map(|&id| {
                self.vocabulary.get(id as usize).cloned().ok_or_else(|| {
                    AsrError::Engine(format!("token id {id} is outside the vocabulary"))
                })
            })
            .collect()
    }

    /// faster-whisper's `decode_with_timestamps`: timestamps rendered as `<|1.00|>` so that
    /// the replacement-character bookkeeping in word splitting sees the same text.
    fn decode_with_timestamps(&self, tokens: &[u32]) -> String {
        let mut out = String::new();
        let mut run: Vec<u32> = Vec::new();
        for &t in tokens {
            if t >= self.timestamp_begin() {
                out.push_str(&self.decode_raw(&run));
                run.clear();
                out.push_str(&format!(
                    "<|{:.2}|>",
                    f64::from(t - self.timestamp_begin()) * 0.02
                ));
            } else {
                run.push(t);
            }
        }
        out.push_str(&self.decode_raw(&run));
        out
    }

    /// Splits tokens into words (text, tokens): at spaces and punctuation for most languages,
    /// at whole characters for languages written without spaces.
    /// Whether words of `language` are separated by spaces (not Chinese, Japanese, Thai, Lao,
    /// Burmese or Cantonese).
    pub fn uses_spaces(&self, language: &str) -> bool {
        !NO_SPACE_LANGUAGES.contains(&language)
    }

    pub fn split_to_word_tokens(
        &self,
        tokens: &[u32],
        language: &str,
    ) -> (Vec<String>, Vec<Vec<u32>>) {
        if NO_SPACE_LANGUAGES.contains(&language) {
            self.split_on_unicode(tokens)
        } else {
            self.split_on_spaces(tokens)
        }
    }

    fn split_on_unicode(&self, tokens: &[u32]) -> (Vec<String>, Vec<Vec<u32>>) {
        const REPLACEMENT: char = '\u{fffd}';
        let full: Vec<char> = self.decode_with_timestamps(tokens).chars().collect();
        let mut words = Vec::new();
        let mut word_tokens = Vec::new();
        let mut current: Vec<u32> = Vec::new();
        let mut offset = 0usize;
        for &t in tokens {
            current.push(t);
            let decoded = self.decode_with_timestamps(&current);
            let replacement = decoded.chars().position(|c| c == REPLACEMENT);
            let complete = match replacement {
                None => true,
                // A replacement char that is also in the full text is real, not a cut byte.
                Some(i) => full.get(i + offset) == Some(&REPLACEMENT),
            };
            if complete {
                offset += decoded.chars().count();
                words.push(decoded);
                word_tokens.push(std::mem::take(&mut current));
            }
        }
        (words, word_tokens)
    }

    fn split_on_spaces(&self, tokens: &[u32]) -> (Vec<String>, Vec<Vec<u32>>) {
        let (subwords, subword_tokens) = self.split_on_unicode(tokens);
        let mut words: Vec<String> = Vec::new();
        let mut word_tokens: Vec<Vec<u32>> = Vec::new();
        for (subword, toks) in subwords.into_iter().zip(subword_tokens) {
            let special = toks.first().is_some_and(|&t| t >= self.eot);
            let with_space = subword.starts_with(' ');
            // Python's `subword.strip() in string.punctuation` is a substring test (so "" and
            // "()" count as punctuation); kept as is so words split where faster-whisper's do.
            let punctuation = PYTHON_PUNCTUATION.contains(subword.trim());
            if special || with_space || punctuation || words.is_empty() {
                words.push(subword);
                word_tokens.push(toks);
            } else if let (Some(w), Some(wt)) = (words.last_mut(), word_tokens.last_mut()) {
                w.push_str(&subword);
                wt.extend(toks);
            }
        }
        (words, word_tokens)
    }

    /// Tokens that would write non-speech annotations (♪, [MUSIC], speaker tags), suppressed
    /// during generation like faster-whisper's `suppress_tokens=[-1]`, plus the task tokens.
    pub fn suppressed_tokens(&self) -> Vec<i32> {
        let mut symbols: Vec<String> = "\"#()*+/:;<=>@[\\]^_`{|}~「」『』"
            .chars()
            .map(String::from)
            .collect();
        symbols.extend(
            "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪"
                .split(' ')
                .map(String::from),
        );
        let miscellaneous: Vec<String> = "♩♪♫♬♭♮♯".chars().map(String::from).collect();
        let mut result: Vec<u32> = Vec::new();
        for s in [" -", " '"] {
            if let Some(&t) = self.encode(s).unwrap_or_default().first() {
                result.push(t);
            }
        }
        for (symbol, misc) in symbols
            .iter()
            .map(|s| (s, false))
            .chain(miscellaneous.iter().map(|s| (s, true)))
        {
            for text in [symbol.clone(), format!(" {symbol}")] {
                let tokens = self.encode(&text).unwrap_or_default();
                if tokens.len() == 1 || (misc && !tokens.is_empty()) {
                    result.push(tokens[0]);
                }
            }
        }
        result.extend(
            [
                self.transcribe,
                self.translate,
                Some(self.sot),
                Some(self.sot_prev),
                self.sot_lm,
                self.no_speech,
            ]
            .into_iter()
            .flatten(),
        );
        result.sort_unstable();
        result.dedup();
        result.into_iter().map(|t| t as i32).collect()
    }
}

fn read_vocabulary(model_dir: &Path) -> Result<Vec<String>, AsrError> {
    if let Ok(text) = std::fs::read_to_string(model_dir.join("vocabulary.txt")) {
        return Ok(text.lines().map(String::from).collect());
    }
    let text = std::fs::read_to_string(model_dir.join("vocabulary.json")).map_err(|e| {
        AsrError::InvalidModel(format!(
            "{}: neither vocabulary.txt nor vocabulary.json is readable ({e})",
            model_dir.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| AsrError::InvalidModel(format!("vocabulary.json: {e}")))
}
