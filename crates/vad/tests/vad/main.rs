//! Silero VAD on real speech and on silence, with the model installed by scripts/install-models.sh.

mod silero;
