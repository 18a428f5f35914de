import hashlib
import io
import subprocess
import sys
import textwrap
import wave

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf

from mockserver.audio import (
    Curve,
    MusicFeatures,
    MusicSource,
    Silence,
    decode,
    encode_flac,
    encode_mp3,
    encode_wav,
    features_from_params,
    iter_chunks,
    onset_rate,
    plan,
)
from mockserver.audio.encode import iter_wav, to_pcm16
from mockserver.audio.mp3info import crc16, crc16_fast, read_info_frame

SR = 44100
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_decode(mp3: bytes, tmp_path) -> np.ndarray:
    """Full decode by the ffmpeg binary, from a file (ffmpeg trims end padding only on seekable input)."""
    path = tmp_path / "f.mp3"
    path.write_bytes(mp3)
    out = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype=np.int16).reshape(-1, 2)


def best_lag(a: np.ndarray, b: np.ndarray, max_lag: int = 2000) -> int:
    n = min(len(a), len(b))
    fa = np.fft.rfft(a[:n], 2 * n)
    fb = np.fft.rfft(b[:n], 2 * n)
    c = np.fft.irfft(fa * np.conj(fb))
    c = np.concatenate([c[-max_lag:], c[: max_lag + 1]])
    return int(np.argmax(c)) - max_lag


@pytest.mark.parametrize("seconds", [0.5, 1.0, 7.3, 60.0])
def test_mp3_decodes_to_exactly_the_requested_length(seconds, tmp_path):
    src = MusicSource(plan(MusicFeatures(timbre="electronic"), seconds, 11))
    mp3 = encode_mp3(src)
    n = round(seconds * SR)
    tag = read_info_frame(mp3)
    assert tag.num_samples == n and tag.delay == 576
    assert tag.tag_crc_ok and tag.music_crc_ok
    assert tag.total_bytes == len(mp3)
    by_ffmpeg = ffmpeg_decode(mp3, tmp_path)
    by_sndfile, sr = decode(mp3)
    assert sr == SR
    assert len(by_ffmpeg) == n
    assert len(by_sndfile) == n
    if seconds >= 1.0:
        # and the samples are where they should be: no encoder delay left in the output
        orig = src.render(0, n)[:, 0].astype(np.float64)
        assert best_lag(by_ffmpeg[:, 0].astype(np.float64), orig) == 0
        assert best_lag(by_sndfile[:, 0].astype(np.float64), orig) == 0


def test_mp3_of_empty_and_tiny_sources(tmp_path):
    for n in (0, 1, 100, 1152, 4000):
        mp3 = encode_mp3(Silence(n))
        assert read_info_frame(mp3).num_samples == n
        assert len(ffmpeg_decode(mp3, tmp_path)) == n
        if n:
            assert len(decode(mp3)[0]) == n


def test_mp3_other_bitrates_and_rates(tmp_path):
    src = MusicSource(plan(MusicFeatures(), 2.0, 3, sample_rate=48000))
    for kbps in (64, 192, 320):
        mp3 = encode_mp3(src, sample_rate=48000, bitrate=kbps)
        assert len(ffmpeg_decode(mp3, tmp_path)) == src.num_samples
        data, sr = decode(mp3)
        assert sr == 48000 and len(data) == src.num_samples


def test_mp3_is_deterministic_within_and_across_processes():
    f = features_from_params({"intensity": [[0, 2], [100, 9]], "tempo": 6}, [17])
    mp3 = encode_mp3(MusicSource(plan(f, 3.0, 99)))
    assert mp3 == encode_mp3(MusicSource(plan(f, 3.0, 99)))
    assert mp3 != encode_mp3(MusicSource(plan(f, 3.0, 100)))
    code = textwrap.dedent(
        """
        import hashlib, sys
        from mockserver.audio import MusicSource, encode_mp3, features_from_params, plan
        f = features_from_params({"intensity": [[0, 2], [100, 9]], "tempo": 6}, [17])
        sys.stdout.write(hashlib.sha256(encode_mp3(MusicSource(plan(f, 3.0, 99)))).hexdigest())
        """
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert other == hashlib.sha256(mp3).hexdigest()


def test_mp3_chunk_size_does_not_change_the_bytes():
    src = MusicSource(plan(MusicFeatures(), 4.0, 5))
    assert encode_mp3(src, chunk_samples=4096) == encode_mp3(src, chunk_samples=100_000)


def test_tempo_is_audible_in_decoded_mp3():
    rates = {}
    for tempo in (2, 9):
        src = MusicSource(plan(features_from_params({"tempo": tempo}, []), 20.0, 21))
        audio, sr = decode(encode_mp3(src))
        rates[tempo] = onset_rate(audio, sr)
    assert rates[9] > 1.4 * rates[2]


def test_wav_is_exact():
    src = MusicSource(plan(MusicFeatures(intensity=Curve.constant(9)), 2.5, 4))
    data = encode_wav(src)
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnframes() == src.num_samples
        assert w.getnchannels() == 2 and w.getsampwidth() == 2 and w.getframerate() == SR
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).reshape(-1, 2)
    assert np.array_equal(pcm, to_pcm16(src.render(0, src.num_samples)))
    assert b"".join(iter_wav(src, chunk_samples=1000)) == data
    x, sr = decode(data)
    assert sr == SR and len(x) == src.num_samples


def test_flac_is_exact_and_lossless():
    src = MusicSource(plan(MusicFeatures(timbre="latin"), 3.3, 4))
    data = encode_flac(src)
    assert data[:4] == b"fLaC"
    pcm, sr = sf.read(io.BytesIO(data), dtype="int16", always_2d=True)
    assert sr == SR and len(pcm) == src.num_samples
    assert np.array_equal(pcm, to_pcm16(src.render(0, src.num_samples)))
    assert encode_flac(src) == data


def test_iter_chunks_covers_the_source():
    src = MusicSource(plan(MusicFeatures(), 1.0, 1))
    chunks = list(iter_chunks(src, 10_000))
    assert [len(c) for c in chunks] == [10_000] * 4 + [4100]
    assert np.array_equal(np.concatenate(chunks), src.render(0, src.num_samples))
    with pytest.raises(ValueError):
        list(iter_chunks(src, 0))


def test_pcm16_conversion_clips_and_rounds():
    x = np.array([[-2.0, 2.0], [0.5, -0.5], [1.0, -1.0]], dtype=np.float32)
    assert to_pcm16(x).tolist() == [[-32767, 32767], [16384, -16384], [32767, -32767]]


def test_crc16_fast_matches_reference():
    rng = np.random.default_rng(0)
    for n in (0, 1, 4095, 4096, 70_001, 1_100_000):
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert crc16_fast(data) == crc16(data)
    assert crc16(b"123456789") == 0xBB3D  # CRC-16/ARC check value


def test_render_errors_reach_the_encoder():
    class Broken:
        num_samples = 200_000

        def render(self, start, stop):
            if start > 0:
                raise RuntimeError("synth failed")
            return np.zeros((stop - start, 2), np.float32)

    with pytest.raises(RuntimeError, match="synth failed"):
        encode_mp3(Broken(), chunk_samples=65536)
