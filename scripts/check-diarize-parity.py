#!/usr/bin/env python3
"""Checks crates/diarize's voice encoder against an independent NumPy + librosa implementation
of resemblyzer's embed_utterance (PyTorch nn.LSTM semantics, gate order i, f, g, o).

Needs numpy, librosa, soundfile (e.g. a venv); torch is not needed (see the report: the PyPI
torch wheel is too large for this machine's budget). Usage:
  check-diarize-parity.py MODELS_DIR IN.wav   (runs `cargo run --example embed` for the Rust side)
"""
import json, os, struct, subprocess, sys
import numpy as np, librosa, soundfile as sf

models, wav_path = sys.argv[1], sys.argv[2]
st_path = os.path.join(models, "resemblyzer", "encoder.safetensors")
raw = open(st_path, "rb").read()
(hlen,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + hlen])
W = {k: np.frombuffer(raw[8 + hlen + v["data_offsets"][0]:8 + hlen + v["data_offsets"][1]], "<f4").reshape(v["shape"])
     for k, v in header.items()}

wav, sr = sf.read(wav_path, dtype="float32")
assert sr == 16000 and wav.ndim == 1
# resemblyzer normalize_volume(-30 dBFS, increase_only=True)
change = -30 - 10 * np.log10(np.mean(wav.astype(np.float64) ** 2))
if change > 0:
    wav = wav * (10 ** (change / 20))
mel = librosa.feature.melspectrogram(y=wav, sr=16000, n_fft=400, hop_length=160, n_mels=40, pad_mode="reflect").astype(np.float32).T
if len(mel) < 160:
    mel = np.pad(mel, ((0, 160 - len(mel)), (0, 0)))
n = len(mel)
hop = max(40, -(-(n - 160) // 3999))
starts = list(range(0, n - 160 + 1, hop))
if starts[-1] + 160 < n:
    starts.append(n - 160)

sig = lambda x: 1 / (1 + np.exp(-x))
def embed(x):  # x: [T, 40]
    for l in range(3):
        wi, wh = W[f"lstm.weight_ih_l{l}"], W[f"lstm.weight_hh_l{l}"]
        b = W[f"lstm.bias_ih_l{l}"] + W[f"lstm.bias_hh_l{l}"]
        h, c, out = np.zeros(256), np.zeros(256), []
        for t in range(len(x)):
            g = wi @ x[t] + wh @ h + b
            i, f, gg, o = sig(g[:256]), sig(g[256:512]), np.tanh(g[512:768]), sig(g[768:])
            c = f * c + i * gg
            h = o * np.tanh(c)
            out.append(h)
        x = np.array(out)
    e = np.maximum(W["linear.weight"] @ h + W["linear.bias"], 0)
    return e / np.linalg.norm(e)

ref = np.mean([embed(mel[s:s + 160].astype(np.float64)) for s in starts], axis=0)
ref /= np.linalg.norm(ref)
out = subprocess.run(["cargo", "run", "-q", "--release", "-p", "diarize", "--example", "embed", "--",
                      os.path.join(models, "resemblyzer"), wav_path], check=True, capture_output=True, text=True).stdout
rust = np.array([float(v) for v in out.split()])
print(f"{os.path.basename(wav_path)}: {len(starts)} windows, cosine(rust, numpy) = {rust @ ref:.6f}, max abs diff = {np.abs(rust - ref).max():.2e}")
