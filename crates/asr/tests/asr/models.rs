//! Model folders: listing, resolving names, and one shared engine per model.

use std::sync::Arc;

use crate::common::*;
use asr::models::{list, resolve};
use asr::{AsrError, WhisperConfig, WhisperEngine};

#[test]
fn lists_installed_models() {
    let models = list(&models_dir());
    let tiny = models
        .iter()
        .find(|m| m.name == "tiny.en")
        .expect("tiny.en listed");
    assert!(!tiny.multilingual);
    assert!(tiny.size_bytes > 10_000_000, "{tiny:?}");
    let base = models
        .iter()
        .find(|m| m.name == "base")
        .expect("base listed");
    assert!(base.multilingual);
    assert!(list(std::path::Path::new("/nonexistent/models")).is_empty());
}

#[test]
fn resolves_names_and_paths() {
    let dir = models_dir();
    assert_eq!(resolve("tiny.en", &dir).unwrap(), dir.join("tiny.en"));
    let path = model_path("base");
    assert_eq!(
        resolve(path.to_str().unwrap(), std::path::Path::new("/elsewhere")).unwrap(),
        path
    );
    match resolve("large-v9", &dir) {
        Err(AsrError::ModelNotFound(m)) => {
            assert!(m.contains("tiny.en") && m.contains("base"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    let not_a_model = std::env::temp_dir();
    assert!(matches!(
        resolve(not_a_model.to_str().unwrap(), &dir),
        Err(AsrError::InvalidModel(_))
    ));
}

#[test]
fn shared_engine_is_loaded_once() {
    let config = WhisperConfig::default();
    let a = WhisperEngine::load_shared(&model_path("tiny.en"), &config).unwrap();
    let b = WhisperEngine::load_shared(&models_dir().join("./tiny.en"), &config).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
}

#[test]
fn bad_folders_and_settings_are_errors() {
    let config = WhisperConfig::default();
    assert!(matches!(
        WhisperEngine::load(std::path::Path::new("/nonexistent"), &config),
        Err(AsrError::ModelNotFound(_))
    ));
    let bad = WhisperConfig {
        compute_type: "int3".into(),
        ..WhisperConfig::default()
    };
    match WhisperEngine::load(&model_path("tiny.en"), &bad) {
        Err(AsrError::InvalidModel(m)) => assert!(m.contains("int3"), "{m}"),
        other => panic!("{other:?}"),
    }
}
