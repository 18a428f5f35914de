"""Encoders (MP3, WAV, FLAC) fed chunk by chunk, so long audio uses bounded memory."""

from __future__ import annotations

import io
import queue
import struct
import threading
from collections.abc import Iterator
from typing import TypeVar

import lameenc
import numpy as np
import soundfile as sf

from mockserver.audio.mp3info import info_frame
from mockserver.audio.rate import SAMPLE_RATE
from mockserver.audio.sources import Source

DEFAULT_CHUNK = 1 << 16  # samples per chunk (~1.5 s at 44.1 kHz)
_PREFETCH = 3  # chunks rendered ahead of the encoder

T = TypeVar("T")


def iter_chunks(source: Source, chunk_samples: int = DEFAULT_CHUNK) -> Iterator[np.ndarray]:
    """Render ``source`` in consecutive float32 (n, 2) chunks."""
    if chunk_samples <= 0:
        raise ValueError("chunk_samples must be positive")
    n = source.num_samples
    for start in range(0, n, chunk_samples):
        yield source.render(start, min(n, start + chunk_samples))


def to_pcm16(chunk: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16 (clipped, rounded to nearest)."""
    x = np.multiply(chunk, np.float32(32767.0), dtype=np.float32)
    np.clip(x, np.float32(-32767.0), np.float32(32767.0), out=x)
    np.rint(x, out=x)
    return x.astype(np.int16)


def _prefetch(items: Iterator[T], depth: int = _PREFETCH) -> Iterator[T]:
    """Run ``items`` in a helper thread, ``depth`` items ahead of the consumer.

    The producer (synthesis, mostly numpy) and the consumer (lameenc, which
    releases the GIL) then run in parallel.
    """
    q: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(("error", exc))

    thread = threading.Thread(target=produce, name="audio-render", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value  # type: ignore[misc]
            elif kind == "end":
                return
            else:
                raise value  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


def downmix(chunk: np.ndarray, channels: int) -> np.ndarray:
    """A stereo float chunk (n, 2) as ``channels`` channels: itself, or (n,) mono (L+R)/2."""
    if channels == 2:
        return chunk
    if channels == 1:
        return (chunk[:, 0] + chunk[:, 1]) * np.float32(0.5)
    raise ValueError("channels must be 1 or 2")


def iter_pcm16(source: Source, channels: int = 2,
               chunk_samples: int = DEFAULT_CHUNK) -> Iterator[bytes]:
    """Raw 16-bit little-endian PCM of ``source``, interleaved, in consecutive chunks.

    With ``channels=1`` the source is mixed down to mono. The chunks joined are the data of
    ``encode_wav(source, channels=channels)`` whatever ``chunk_samples`` is (for streaming).
    """
    for chunk in iter_chunks(source, chunk_samples):
        yield to_pcm16(downmix(chunk, channels)).astype("<i2", copy=False).tobytes()


def _pcm_bytes(source: Source, chunk_samples: int) -> Iterator[bytes]:
    return iter_pcm16(source, 2, chunk_samples)


def encode_mp3(source: Source, sample_rate: int = SAMPLE_RATE, bitrate: int = 128, quality: int = 7,
               chunk_samples: int = DEFAULT_CHUNK) -> bytes:
    """Constant-bitrate stereo MP3 of ``source``, with a LAME Info tag.

    The tag carries the encoder delay and padding, so decoders that honour it
    (ffmpeg, mpg123/libsndfile, browsers) output exactly ``source.num_samples``
    samples. Output bytes are deterministic.
    """
    enc = lameenc.Encoder()
    enc.set_bit_rate(bitrate)
    enc.set_in_sample_rate(sample_rate)
    enc.set_out_sample_rate(sample_rate)
    enc.set_channels(2)
    enc.set_quality(quality)
    parts: list[bytes] = []
    n = source.num_samples
    if n == 0:
        # LAME emits nothing for no input: encode one frame of silence and let the tag trim all of it
        audio = enc.encode(bytes(4 * 1152)) + enc.flush()
        return info_frame(audio, 0, quality=quality) + audio
    for pcm in _prefetch(_pcm_bytes(source, chunk_samples)):
        parts.append(enc.encode(pcm))
    parts.append(enc.flush())
    audio = b"".join(parts)
    del parts
    return info_frame(audio, n, quality=quality) + audio


def _wav_header(num_samples: int, sample_rate: int, channels: int = 2) -> bytes:
    block = 2 * channels
    data = num_samples * block
    return (
        b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, 16)
        + b"data" + struct.pack("<I", data)
    )


def iter_wav(source: Source, sample_rate: int = SAMPLE_RATE, chunk_samples: int = DEFAULT_CHUNK,
             channels: int = 2) -> Iterator[bytes]:
    """16-bit PCM WAV as a stream of byte strings (header first); mono with ``channels=1``."""
    if source.num_samples * 2 * channels + 36 >= 1 << 32:
        raise ValueError("too long for a WAV file")
    yield _wav_header(source.num_samples, sample_rate, channels)
    yield from iter_pcm16(source, channels, chunk_samples)


def encode_wav(source: Source, sample_rate: int = SAMPLE_RATE, chunk_samples: int = DEFAULT_CHUNK,
               channels: int = 2) -> bytes:
    """16-bit PCM WAV, stereo (default) or mono (``channels=1``: the source mixed down)."""
    return b"".join(iter_wav(source, sample_rate, chunk_samples, channels))


def encode_flac(source: Source, sample_rate: int = SAMPLE_RATE, chunk_samples: int = DEFAULT_CHUNK,
                channels: int = 2) -> bytes:
    """16-bit FLAC (via libsndfile), written chunk by chunk; mono with ``channels=1``."""
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=sample_rate, channels=channels, format="FLAC",
                      subtype="PCM_16") as f:
        for chunk in iter_chunks(source, chunk_samples):
            f.write(to_pcm16(downmix(chunk, channels)))
    return buf.getvalue()


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """Decode MP3/WAV/FLAC bytes with libsndfile: (float32 (n, channels), sample_rate)."""
    samples, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, int(sr)
