//! Language detection results from CTranslate2.

use ct2rs::sys::{StorageView, Whisper};

use crate::AsrError;

/// The most probable language of one encoded window: (code, probability).
pub fn detect(model: &Whisper, encoder_output: &StorageView) -> Result<(String, f32), AsrError> {
    let results = model
        .detect_language(encoder_output)
        .map_err(|e| AsrError::Engine(format!("detecting the language: {e:#}")))?;
    let best = results
        .first()
        .and_then(|r| r.first())
        .ok_or_else(|| AsrError::Engine("language detection returned nothing".into()))?;
    parse_detection(&format!("{best:?}"))
        .ok_or_else(|| AsrError::Engine(format!("unreadable language detection {best:?}")))
}

/// ct2rs 0.10.3 keeps `DetectionResult`'s fields private and offers no accessor, so the only
/// way to read them is its derived `Debug` text:
/// `DetectionResult { language: "<|en|>", probability: 0.98 }`.
fn parse_detection(debug: &str) -> Option<(String, f32)> {
    let after = debug.split_once("language: \"")?.1;
    let (token, rest) = after.split_once('"')?;
    let prob_text = rest.split_once("probability: ")?.1;
    let prob: f32 = prob_text.trim_end_matches([' ', '}']).trim().parse().ok()?;
    let code = token.strip_prefix("<|")?.strip_suffix("|>")?;
    Some((code.to_string(), prob.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::parse_detection;

    #[test]
    fn reads_debug_text() {
        assert_eq!(
            parse_detection("DetectionResult { language: \"<|sv|>\", probability: 0.875 }"),
            Some(("sv".into(), 0.875))
        );
        assert_eq!(parse_detection("garbage"), None);
    }
}
