"""MPEG audio frame parsing and the Xing/Info + LAME tag frame.

lameenc returns bare MPEG frames without the "Info" tag frame that LAME's
command line writes, so decoders cannot tell the encoder delay and padding and
decode ~1 frame too much. :func:`info_frame` builds that frame so ffmpeg,
mpg123/libsndfile and others decode exactly the original number of samples.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

#: LAME's encoder delay in samples, as written in the tag; decoders add their own 529.
LAME_ENCODER_DELAY = 576
LAME_VERSION = b"LAME3.100"

_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# LAME's default low-pass per bitrate (Hz), only reported in the tag
_LOWPASS = ((8, 2000), (16, 3700), (24, 3900), (32, 5500), (40, 7000), (48, 7500), (56, 10000), (64, 11000),
            (80, 13500), (96, 15100), (112, 15600), (128, 17000), (160, 17500), (192, 18600), (224, 19400),
            (256, 19700), (320, 20500))
_XING_SIZE = 120  # "Info", flags, frames, bytes, 100-byte TOC, quality
_LAME_SIZE = 36


@dataclass(frozen=True)
class FrameHeader:
    """The fields of a Layer III frame header that matter here."""

    raw: bytes
    version: int  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    bitrate_index: int
    bitrate_kbps: int
    sample_rate: int
    padding: int
    channel_mode: int  # 0 stereo, 1 joint, 2 dual, 3 mono
    protected: bool

    @property
    def mpeg1(self) -> bool:
        """True for MPEG-1."""
        return self.version == 3

    @property
    def samples_per_frame(self) -> int:
        """1152 for MPEG-1, 576 otherwise."""
        return 1152 if self.mpeg1 else 576

    @property
    def side_info_size(self) -> int:
        """Bytes of side information after the header."""
        mono = self.channel_mode == 3
        if self.mpeg1:
            return 17 if mono else 32
        return 9 if mono else 17

    def frame_size(self, bitrate_index: int | None = None, padding: int | None = None) -> int:
        """Frame length in bytes (optionally for another bitrate index / padding)."""
        bi = self.bitrate_index if bitrate_index is None else bitrate_index
        pad = self.padding if padding is None else padding
        kbps = _BITRATES[1 if self.mpeg1 else 2][bi]
        coef = 144 if self.mpeg1 else 72
        return coef * kbps * 1000 // self.sample_rate + pad


def parse_header(data: bytes, pos: int = 0) -> FrameHeader:
    """Parse the Layer III frame header at ``pos``; raises ValueError if there is none."""
    h = data[pos : pos + 4]
    if len(h) < 4 or h[0] != 0xFF or (h[1] & 0xE0) != 0xE0:
        raise ValueError(f"no MPEG frame sync at byte {pos}")
    version = (h[1] >> 3) & 3
    layer = (h[1] >> 1) & 3
    bi = h[2] >> 4
    sri = (h[2] >> 2) & 3
    if version == 1 or layer != 1 or bi in (0, 15) or sri == 3:
        raise ValueError(f"unsupported MPEG frame header {h.hex()} at byte {pos}")
    return FrameHeader(
        raw=bytes(h),
        version=version,
        bitrate_index=bi,
        bitrate_kbps=_BITRATES[1 if version == 3 else 2][bi],
        sample_rate=_SAMPLE_RATES[version][sri],
        padding=(h[2] >> 1) & 1,
        channel_mode=h[3] >> 6,
        protected=not (h[1] & 1),
    )


def frame_offsets(data: bytes) -> list[int]:
    """Byte offsets of the consecutive frames making up ``data`` (which must be frames only)."""
    offsets = []
    pos = 0
    n = len(data)
    while pos < n:
        hdr = parse_header(data, pos)
        offsets.append(pos)
        pos += hdr.frame_size()
    if pos != n:
        raise ValueError("MPEG stream ends inside a frame")
    return offsets


# ------------------------------------------------------------------ CRC-16
# LAME's tag CRCs are CRC-16/ARC: polynomial x^16 + x^15 + x^2 + 1, reflected, initial value 0.

def _make_table() -> np.ndarray:
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ 0xA001, t >> 1)
    return t.astype(np.uint16)


_T8 = _make_table()
_T8_LIST = _T8.tolist()
_T16: np.ndarray | None = None


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of ``data`` (byte at a time; for short data)."""
    t = _T8_LIST
    for b in data:
        crc = (crc >> 8) ^ t[(crc ^ b) & 0xFF]
    return crc


def _table16() -> np.ndarray:
    """CRC state after two bytes ``w & 0xFF, w >> 8`` from state 0, for all 16-bit ``w``."""
    global _T16
    if _T16 is None:
        w = np.arange(65536, dtype=np.uint32)
        c = (w >> 8) ^ _T8[w & 0xFF].astype(np.uint32)  # first byte (with the low half of the state)
        c = (c >> 8) ^ _T8[c & 0xFF].astype(np.uint32)  # second byte, already xored into the state
        _T16 = c.astype(np.uint16)
    return _T16


@functools.lru_cache(maxsize=64)
def _shift_tables(nbytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Tables for the linear map "feed ``nbytes`` zero bytes", split by the state's low/high byte."""
    # image of each of the 16 state bits after one zero byte
    basis = [(1 << b) for b in range(16)]
    one = [(v >> 8) ^ _T8_LIST[v & 0xFF] for v in basis]

    def apply(m: list[int], v: int) -> int:
        out = 0
        b = 0
        while v:
            if v & 1:
                out ^= m[b]
            v >>= 1
            b += 1
        return out

    result = basis[:]  # identity
    power = one
    k = nbytes
    while k:
        if k & 1:
            result = [apply(power, v) for v in result]
        power = [apply(power, v) for v in power]
        k >>= 1
    x = np.arange(256)
    lo = np.zeros(256, dtype=np.uint16)
    hi = np.zeros(256, dtype=np.uint16)
    for b in range(8):
        lo ^= np.where((x >> b) & 1, result[b], 0).astype(np.uint16)
        hi ^= np.where((x >> b) & 1, result[b + 8], 0).astype(np.uint16)
    return lo, hi


def _crc16_rows(arr: np.ndarray, row: int) -> int:
    """CRC of ``arr`` (uint8): rows of ``row`` bytes in parallel, then a tree of combines."""
    # leading zero bytes do not change a CRC with initial value 0, so pad in front
    nrows = -(-len(arr) // row)
    padded = np.zeros(nrows * row, dtype=np.uint8)
    padded[nrows * row - len(arr) :] = arr
    pairs = padded.reshape(nrows, row // 2, 2)
    words = np.ascontiguousarray((pairs[:, :, 0].astype(np.uint16) | (pairs[:, :, 1].astype(np.uint16) << 8)).T)
    t16 = _table16()
    crc = np.zeros(nrows, dtype=np.uint16)
    for j in range(row // 2):
        crc = t16.take((crc ^ words[j]).astype(np.intp))
    length = row
    while len(crc) > 1:
        if len(crc) % 2:
            crc = np.concatenate([np.zeros(1, dtype=np.uint16), crc])
        lo, hi = _shift_tables(length)
        a, b = crc[0::2], crc[1::2]
        crc = lo[a & 0xFF] ^ hi[a >> 8] ^ b
        length *= 2
    return int(crc[0])


def crc16_fast(data: bytes | memoryview, slab: int = 1 << 20) -> int:
    """CRC-16/ARC of a large buffer, vectorised, in slabs of bounded memory."""
    if len(data) < 4096:
        return crc16(bytes(data))
    arr = np.frombuffer(data, dtype=np.uint8)
    crc = 0
    for a in range(0, len(arr), slab):
        part = arr[a : a + slab]
        lo, hi = _shift_tables(len(part))
        crc = int(lo[crc & 0xFF] ^ hi[crc >> 8]) ^ _crc16_rows(part, 512)
    return crc


# ---------------------------------------------------------------- Info tag

def _lowpass_byte(kbps: int) -> int:
    hz = _LOWPASS[-1][1]
    for k, f in _LOWPASS:
        if kbps <= k:
            hz = f
            break
    return min(255, int(hz / 100.0 + 0.5))


def info_frame(audio: bytes, num_samples: int, quality: int = 7, vbr_q: int = 4) -> bytes:
    """The Xing "Info" + LAME tag frame to put in front of the CBR frames ``audio``.

    It records the frame and byte counts, a seek table, and LAME's encoder
    delay and padding so decoders trim the output to ``num_samples``.
    """
    offsets = frame_offsets(audio)
    if not offsets:
        raise ValueError("no MPEG frames to describe")
    first = parse_header(audio, 0)
    if first.protected:
        raise ValueError("CRC-protected streams are not supported")
    frames = len(offsets)
    spf = first.samples_per_frame
    delay = LAME_ENCODER_DELAY
    padding = frames * spf - delay - num_samples
    if not 0 <= padding < 4096:
        raise ValueError(f"stream of {frames} frames cannot hold {num_samples} samples (padding {padding})")

    # the tag frame: same header parameters as the stream, no padding slot, big enough for the tag
    xing_at = 4 + first.side_info_size
    need = xing_at + _XING_SIZE + _LAME_SIZE
    bi = first.bitrate_index
    while first.frame_size(bi, 0) < need:
        bi += 1
        if bi >= 15:
            raise ValueError("no bitrate gives a frame large enough for the tag")
    size = first.frame_size(bi, 0)
    frame = bytearray(size)
    frame[0] = 0xFF
    frame[1] = first.raw[1]
    frame[2] = (bi << 4) | (first.raw[2] & 0x0D)
    frame[3] = first.raw[3]

    total = size + len(audio)
    toc = bytearray(100)
    for i in range(1, 100):
        off = offsets[min(frames - 1, i * frames // 100)]
        toc[i] = min(255, 256 * off // len(audio))
    nquality = max(0, 100 - 10 * vbr_q - quality)

    p = xing_at
    frame[p : p + 4] = b"Info"  # "Info" rather than "Xing": constant bitrate
    frame[p + 4 : p + 8] = (0x0F).to_bytes(4, "big")  # frames, bytes, TOC and quality present
    frame[p + 8 : p + 12] = frames.to_bytes(4, "big")
    frame[p + 12 : p + 16] = total.to_bytes(4, "big")
    frame[p + 16 : p + 116] = toc
    frame[p + 116 : p + 120] = nquality.to_bytes(4, "big")

    q = p + _XING_SIZE
    stereo_mode = {0: 1, 1: 3, 2: 2, 3: 0}[first.channel_mode]
    source_freq = 1 if first.sample_rate == 44100 else (2 if first.sample_rate == 48000 else
                                                         (3 if first.sample_rate > 48000 else 0))
    noise_shaping = 1
    ath_type, psytune = 4, 1
    frame[q : q + 9] = LAME_VERSION
    frame[q + 9] = 0x01  # tag revision 0, VBR method 1 = constant bitrate
    frame[q + 10] = _lowpass_byte(first.bitrate_kbps)
    # q+11..q+18: peak amplitude and replay gains, not computed (zero)
    frame[q + 19] = ath_type | (psytune << 4)
    frame[q + 20] = min(255, first.bitrate_kbps)
    frame[q + 21] = delay >> 4
    frame[q + 22] = ((delay & 0x0F) << 4) | (padding >> 8)
    frame[q + 23] = padding & 0xFF
    frame[q + 24] = noise_shaping | (stereo_mode << 2) | (source_freq << 6)
    frame[q + 25] = 0  # MP3 gain
    frame[q + 26 : q + 28] = b"\x00\x00"  # surround info, preset
    frame[q + 28 : q + 32] = total.to_bytes(4, "big")
    frame[q + 32 : q + 34] = crc16_fast(audio).to_bytes(2, "big")
    frame[q + 34 : q + 36] = crc16(bytes(frame[: q + 34])).to_bytes(2, "big")
    return bytes(frame)


@dataclass(frozen=True)
class TagInfo:
    """What a LAME Info tag says (as read back by :func:`read_info_frame`)."""

    frames: int
    total_bytes: int
    delay: int
    padding: int
    tag_crc_ok: bool
    music_crc_ok: bool

    @property
    def num_samples(self) -> int:
        """Samples a gapless decoder outputs."""
        return self.frames * 1152 - self.delay - self.padding


def read_info_frame(mp3: bytes) -> TagInfo:
    """Parse and check the Info/LAME tag at the start of an MPEG-1 ``mp3`` (for tests)."""
    first = parse_header(mp3, 0)
    size = first.frame_size()
    p = 4 + first.side_info_size
    if mp3[p : p + 4] not in (b"Info", b"Xing"):
        raise ValueError("no Info tag")
    frames = int.from_bytes(mp3[p + 8 : p + 12], "big")
    total = int.from_bytes(mp3[p + 12 : p + 16], "big")
    q = p + _XING_SIZE
    delay = (mp3[q + 21] << 4) | (mp3[q + 22] >> 4)
    padding = ((mp3[q + 22] & 0x0F) << 8) | mp3[q + 23]
    tag_crc = int.from_bytes(mp3[q + 34 : q + 36], "big")
    music_crc = int.from_bytes(mp3[q + 32 : q + 34], "big")
    return TagInfo(
        frames=frames,
        total_bytes=total,
        delay=delay,
        padding=padding,
        tag_crc_ok=crc16(mp3[: q + 34]) == tag_crc,
        music_crc_ok=crc16_fast(mp3[size:]) == music_crc,
    )
