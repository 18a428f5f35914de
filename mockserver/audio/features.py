"""Musical features: parameter curves, tag styles and prompt keywords.

Everything here is pure and deterministic: the same request always maps to
the same :class:`MusicFeatures`, across processes (hashes use hashlib).
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

PARAM_MIN = 1.0
PARAM_MAX = 10.0
PARAM_DEFAULT = 5.0
PARAM_NAMES = ("intensity", "tempo", "rhythm", "tone", "variance")
CURVE_PARAMS = ("intensity", "rhythm", "tone", "variance")

SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}
TIMBRES: tuple[str, ...] = (
    "acoustic",
    "electronic",
    "orchestral",
    "ambient",
    "latin",
    "rock",
    "jazz",
    "piano",
)
DEFAULT_SCALE = "major"
DEFAULT_TIMBRE = "acoustic"
DEFAULT_ROOT = 60


def stable_hash(*parts: Any) -> int:
    """64-bit hash of ``repr`` of the parts; stable across processes."""
    digest = hashlib.sha256(repr(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _clamp(v: float, lo: float = PARAM_MIN, hi: float = PARAM_MAX) -> float:
    return min(hi, max(lo, v))


@dataclass(frozen=True)
class Curve:
    """Piecewise-linear curve over the piece: keyframes ``(position 0..1, value)``.

    Before the first keyframe and after the last one the value is held.
    """

    keyframes: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if not self.keyframes:
            raise ValueError("a curve needs at least one keyframe")
        kf = tuple((float(p), float(v)) for p, v in self.keyframes)
        if any(b[0] < a[0] for a, b in zip(kf, kf[1:])):
            raise ValueError("keyframe positions must be sorted")
        if any(not (math.isfinite(p) and math.isfinite(v)) for p, v in kf):
            raise ValueError("keyframes must be finite")
        object.__setattr__(self, "keyframes", kf)

    @classmethod
    def constant(cls, value: float) -> Curve:
        """A flat curve."""
        return cls(((0.0, float(value)),))

    @classmethod
    def from_param(cls, value: Any) -> Curve:
        """Build from a Muzaic parameter: a number or ``[[pos_percent, value], ...]``."""
        if _is_number(value):
            return cls.constant(float(value))
        if not isinstance(value, Sequence) or isinstance(value, (str, bytes)) or not value:
            raise ValueError(f"expected a number or a non-empty keyframe list, got {value!r}")
        points: list[tuple[float, float]] = []
        for item in value:
            if (
                not isinstance(item, Sequence)
                or isinstance(item, (str, bytes))
                or len(item) != 2
                or not _is_number(item[0])
                or not _is_number(item[1])
            ):
                raise ValueError(f"keyframe must be [position, value], got {item!r}")
            pos = min(100.0, max(0.0, float(item[0]))) / 100.0
            points.append((pos, float(item[1])))
        points.sort(key=lambda p: p[0])  # stable: equal positions keep their order
        if all(v == points[0][1] for _, v in points):
            return cls.constant(points[0][1])
        return cls(tuple(points))

    def at(self, x: float) -> float:
        """Value at position ``x`` (0..1)."""
        kf = self.keyframes
        if x <= kf[0][0]:
            return kf[0][1]
        if x >= kf[-1][0]:
            return kf[-1][1]
        i = bisect.bisect_right([p for p, _ in kf], x) - 1
        (p0, v0), (p1, v1) = kf[i], kf[i + 1]
        return v0 + (v1 - v0) * ((x - p0) / (p1 - p0))

    def at_many(self, xs: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`at` (float64, same arithmetic, same results)."""
        xs = np.asarray(xs, dtype=np.float64)
        kf = self.keyframes
        ps = np.array([p for p, _ in kf])
        vs = np.array([v for _, v in kf])
        if len(kf) == 1:
            return np.full(xs.shape, vs[0])
        i = np.clip(np.searchsorted(ps, xs, side="right") - 1, 0, len(kf) - 2)
        p0, p1, v0, v1 = ps[i], ps[i + 1], vs[i], vs[i + 1]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            inner = v0 + (v1 - v0) * ((xs - p0) / (p1 - p0))
        out = np.where(xs <= ps[0], vs[0], np.where(xs >= ps[-1], vs[-1], inner))
        return out

    def shifted(self, delta: float) -> Curve:
        """Add ``delta`` to every value and clamp to the 1..10 scale."""
        return Curve(tuple((p, _clamp(v + delta)) for p, v in self.keyframes))

    def mean(self) -> float:
        """Average value over 0..1 (exact for piecewise-linear curves)."""
        xs = np.linspace(0.0, 1.0, 257)
        return float(np.mean(self.at_many(xs)))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _default_curve() -> Curve:
    return Curve.constant(PARAM_DEFAULT)


@dataclass(frozen=True)
class MusicFeatures:
    """Everything the synthesizer needs to know about the music to make."""

    tempo: float = PARAM_DEFAULT
    intensity: Curve = field(default_factory=_default_curve)
    rhythm: Curve = field(default_factory=_default_curve)
    tone: Curve = field(default_factory=_default_curve)
    variance: Curve = field(default_factory=_default_curve)
    scale: str = DEFAULT_SCALE
    timbre: str = DEFAULT_TIMBRE
    root: int = DEFAULT_ROOT

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"unknown scale {self.scale!r}")
        if self.timbre not in TIMBRES:
            raise ValueError(f"unknown timbre {self.timbre!r}")
        object.__setattr__(self, "tempo", float(self.tempo))
        object.__setattr__(self, "root", int(self.root))

    @property
    def tempo_bpm(self) -> float:
        """Tempo 1..10 mapped linearly to 60..180 BPM."""
        return 60.0 + (_clamp(self.tempo) - 1.0) * (120.0 / 9.0)


class TagStyle(NamedTuple):
    """What a Muzaic tag contributes: name, category, scale, timbre, param bonuses."""

    name: str
    category: str
    scale: str | None
    timbre: str | None
    bonus: Mapping[str, float]


def _b(**kw: float) -> dict[str, float]:
    return kw


# Muzaic tag ids -> style. Bonuses are the "int_bonus", "tem_bonus", ... of the
# Muzaic docs, in -1..1 on the 1..10 parameter scale.
TAG_STYLES: dict[int, TagStyle] = {
    1: TagStyle("acoustic", "instrument", None, "acoustic", _b()),
    2: TagStyle("electronic", "instrument", None, "electronic", _b(rhythm=0.5)),
    3: TagStyle("orchestral", "instrument", None, "orchestral", _b(intensity=0.3)),
    4: TagStyle("piano", "instrument", None, "piano", _b(intensity=-0.3)),
    5: TagStyle("dreamy", "mood", "lydian", "ambient", _b(intensity=-0.5, tempo=-0.5, variance=-0.3)),
    6: TagStyle("happy", "mood", "major", None, _b(tempo=0.5, tone=0.5)),
    7: TagStyle("sad", "mood", "minor", None, _b(tempo=-0.5, tone=-0.5, intensity=-0.3)),
    8: TagStyle("epic", "mood", "minor", "orchestral", _b(intensity=1.0, variance=0.5)),
    9: TagStyle("calm", "mood", "pentatonic", None, _b(intensity=-1.0, tempo=-0.5, rhythm=-0.5)),
    10: TagStyle("ambient", "genre", None, "ambient", _b(intensity=-0.5, rhythm=-1.0)),
    11: TagStyle("dynamic", "mood", None, None, _b(intensity=1.0, tempo=0.5, rhythm=0.5, variance=0.5)),
    12: TagStyle("dark", "mood", "phrygian", None, _b(tone=-1.0)),
    13: TagStyle("bright", "mood", "lydian", None, _b(tone=1.0)),
    14: TagStyle("jazz", "genre", "dorian", "jazz", _b(rhythm=0.5, variance=0.5)),
    15: TagStyle("rock", "genre", "mixolydian", "rock", _b(intensity=1.0)),
    16: TagStyle("cinematic", "genre", "minor", "orchestral", _b(variance=0.3)),
    17: TagStyle("latin", "genre", None, "latin", _b(rhythm=1.0, tempo=0.3)),
    18: TagStyle("lofi", "genre", "dorian", "piano", _b(tempo=-1.0, tone=-1.0)),
    19: TagStyle("corporate", "genre", "major", "acoustic", _b(tempo=0.3, variance=-0.3)),
    20: TagStyle("hiphop", "genre", "minor", "electronic", _b(rhythm=0.5, tempo=-0.5)),
    21: TagStyle("chill", "mood", "minor_pentatonic", "electronic", _b(intensity=-0.5, tempo=-0.5)),
    22: TagStyle("energetic", "mood", None, None, _b(intensity=1.0, tempo=1.0)),
    23: TagStyle("romantic", "mood", "major", "piano", _b(intensity=-0.5, tempo=-0.3)),
    24: TagStyle("mysterious", "mood", "harmonic_minor", "ambient", _b(tone=-0.5)),
    25: TagStyle("uplifting", "mood", "major", None, _b(intensity=0.5, tone=0.5)),
    26: TagStyle("tense", "mood", "harmonic_minor", None, _b(rhythm=0.5, variance=0.3)),
    27: TagStyle("folk", "genre", "major", "acoustic", _b(tempo=0.3)),
    28: TagStyle("funk", "genre", "dorian", "electronic", _b(rhythm=1.0)),
    29: TagStyle("meditative", "mood", "pentatonic", "ambient", _b(intensity=-1.0, tempo=-1.0, variance=-1.0)),
    30: TagStyle("blues", "genre", "blues", "jazz", _b(tempo=-0.3)),
    31: TagStyle("motivational", "mood", "major", "rock", _b(intensity=0.5, tempo=0.5)),
    32: TagStyle("peaceful", "mood", "major", "acoustic", _b(intensity=-1.0, rhythm=-0.5)),
}

_SCALE_NAMES = tuple(SCALES)


def tag_style(tag_id: int) -> TagStyle:
    """Style of a tag id; unknown ids hash to a scale, a timbre and small bonuses."""
    style = TAG_STYLES.get(tag_id)
    if style is not None:
        return style
    h = stable_hash("tag", int(tag_id))
    scale = _SCALE_NAMES[h % len(_SCALE_NAMES)]
    timbre = TIMBRES[(h >> 8) % len(TIMBRES)]
    bonus = {name: ((h >> (16 + 4 * i)) % 9 - 4) / 8.0 for i, name in enumerate(PARAM_NAMES)}
    return TagStyle(f"tag{tag_id}", "unknown", scale, timbre, bonus)


def _param_bonus(styles: Sequence[TagStyle]) -> dict[str, float]:
    total = {name: 0.0 for name in PARAM_NAMES}
    for st in styles:
        for name, v in st.bonus.items():
            total[name] += v
    return total


def _root_for_tags(tags: Sequence[int]) -> int:
    if not tags:
        return DEFAULT_ROOT
    return 60 + stable_hash("root", tuple(sorted(set(int(t) for t in tags)))) % 12


def features_from_params(params: Mapping[str, Any] | None, tags: Sequence[int]) -> MusicFeatures:
    """Features from Muzaic params (ints or keyframe arrays) and tag ids."""
    params = dict(params or {})
    styles = [tag_style(int(t)) for t in tags]
    bonus = _param_bonus(styles)

    tempo_raw = params.get("tempo", PARAM_DEFAULT)
    if tempo_raw is None:
        tempo_raw = PARAM_DEFAULT
    if not _is_number(tempo_raw):
        raise ValueError("tempo must be a number (keyframes are not supported for tempo)")
    tempo = _clamp(float(tempo_raw) + bonus["tempo"])

    curves: dict[str, Curve] = {}
    for name in CURVE_PARAMS:
        raw = params.get(name, PARAM_DEFAULT)
        if raw is None:
            raw = PARAM_DEFAULT
        curves[name] = Curve.from_param(raw).shifted(bonus[name])

    scale = next((s.scale for s in styles if s.scale), DEFAULT_SCALE)
    timbre = next((s.timbre for s in styles if s.timbre), DEFAULT_TIMBRE)
    return MusicFeatures(
        tempo=tempo,
        scale=scale,
        timbre=timbre,
        root=_root_for_tags(tags),
        **curves,
    )


class _Rule(NamedTuple):
    words: tuple[str, ...]
    deltas: Mapping[str, float]
    scale: str | None = None
    timbre: str | None = None


_PROMPT_RULES: tuple[_Rule, ...] = (
    _Rule(("calm", "relaxing", "relaxed", "peaceful", "gentle", "soft", "soothing"),
          _b(intensity=-2.5, tempo=-1.5, rhythm=-1.0)),
    _Rule(("upbeat", "energetic", "party", "driving", "groovy"), _b(intensity=2.0, tempo=2.0, rhythm=1.0)),
    _Rule(("happy", "joyful", "cheerful", "uplifting", "positive"), _b(tone=1.5, tempo=1.0), scale="major"),
    _Rule(("sad", "melancholic", "melancholy", "emotional", "somber"), _b(tempo=-1.5, tone=-1.0), scale="minor"),
    _Rule(("dark", "ominous", "sinister", "horror"), _b(tone=-3.0), scale="phrygian"),
    _Rule(("bright", "sparkling", "shiny", "airy"), _b(tone=3.0), scale="lydian"),
    _Rule(("fast", "quick", "rapid"), _b(tempo=3.0)),
    _Rule(("slow", "sluggish", "lazy"), _b(tempo=-3.0)),
    _Rule(("intense", "aggressive", "heavy", "powerful", "loud"), _b(intensity=3.0)),
    _Rule(("quiet", "minimal", "sparse"), _b(intensity=-2.0, variance=-1.0)),
    _Rule(("repetitive", "simple", "loop", "hypnotic"), _b(variance=-3.0)),
    _Rule(("evolving", "varied", "progressive", "complex", "unpredictable"), _b(variance=3.0, rhythm=1.0)),
    _Rule(("syncopated", "funky", "complex-rhythm", "polyrhythmic"), _b(rhythm=3.0)),
    _Rule(("jazz", "jazzy", "swing", "bebop"), _b(rhythm=1.0, variance=1.0), scale="dorian", timbre="jazz"),
    _Rule(("blues", "bluesy"), _b(), scale="blues", timbre="jazz"),
    _Rule(("piano", "keys"), _b(), timbre="piano"),
    _Rule(("lofi", "lo-fi", "chillhop"), _b(tempo=-1.5, tone=-2.0), scale="dorian", timbre="piano"),
    _Rule(("ambient", "atmospheric", "drone", "spacey", "ethereal"), _b(rhythm=-2.5, intensity=-1.0),
          timbre="ambient"),
    _Rule(("dreamy", "dream"), _b(intensity=-1.0, rhythm=-1.0), scale="lydian", timbre="ambient"),
    _Rule(("meditation", "meditative", "zen", "yoga"), _b(intensity=-3.0, tempo=-2.0), scale="pentatonic",
          timbre="ambient"),
    _Rule(("rock", "guitar-driven", "punk", "metal", "grunge"), _b(intensity=2.0), scale="mixolydian",
          timbre="rock"),
    _Rule(("electronic", "edm", "techno", "synth", "synthwave", "house", "trance", "electro"),
          _b(rhythm=1.0), timbre="electronic"),
    _Rule(("hiphop", "hip-hop", "trap", "rap"), _b(tempo=-1.0, rhythm=1.5), scale="minor", timbre="electronic"),
    _Rule(("latin", "salsa", "bossa", "samba", "reggaeton", "tango"), _b(rhythm=2.0), timbre="latin"),
    _Rule(("orchestral", "cinematic", "symphonic", "strings", "film", "trailer"), _b(variance=1.0),
          timbre="orchestral"),
    _Rule(("epic", "heroic", "triumphant"), _b(intensity=2.5), scale="minor", timbre="orchestral"),
    _Rule(("acoustic", "guitar", "folk", "unplugged", "country"), _b(), timbre="acoustic"),
    _Rule(("mysterious", "suspense", "tense", "eerie"), _b(tone=-1.0), scale="harmonic_minor"),
    _Rule(("chill", "chillout", "laid-back", "mellow"), _b(intensity=-1.0, tempo=-1.0),
          scale="minor_pentatonic"),
)

_WORD_RE = re.compile(r"[a-z][a-z\-]*")
_BPM_RE = re.compile(r"(\d{2,3}(?:\.\d+)?)\s*bpm")


def _prompt_tokens(prompt: str) -> set[str]:
    words = set(_WORD_RE.findall(prompt.lower()))
    # also allow "hip hop" / "lo fi" spelled as two words
    joined = " ".join(_WORD_RE.findall(prompt.lower()))
    for a, b in (("hip hop", "hiphop"), ("lo fi", "lofi"), ("hip-hop", "hiphop")):
        if a in joined:
            words.add(b)
    return words


def features_from_prompt(prompt: str) -> MusicFeatures:
    """Features from a free-text prompt: keyword rules, then a stable hash for the rest."""
    norm = " ".join(prompt.lower().split())
    words = _prompt_tokens(norm)
    h = stable_hash("prompt", norm)
    deltas = {name: 0.0 for name in PARAM_NAMES}
    touched: set[str] = set()
    scale: str | None = None
    timbre: str | None = None
    for rule in _PROMPT_RULES:
        if words.isdisjoint(rule.words):
            continue
        for name, v in rule.deltas.items():
            deltas[name] += v
            touched.add(name)
        scale = scale or rule.scale
        timbre = timbre or rule.timbre
    values: dict[str, float] = {}
    for i, name in enumerate(PARAM_NAMES):
        # untouched parameters get a small, stable jitter so prompts differ
        jitter = 0.0 if name in touched else ((h >> (8 * i)) % 5 - 2) * 0.5
        values[name] = _clamp(PARAM_DEFAULT + deltas[name] + jitter)
    m = _BPM_RE.search(norm)
    if m:
        bpm = float(m.group(1))
        values["tempo"] = _clamp(1.0 + (bpm - 60.0) * 9.0 / 120.0)
    if scale is None:
        scale = _SCALE_NAMES[(h >> 40) % len(_SCALE_NAMES)]
    if timbre is None:
        timbre = TIMBRES[(h >> 48) % len(TIMBRES)]
    return MusicFeatures(
        tempo=values["tempo"],
        intensity=Curve.constant(values["intensity"]),
        rhythm=Curve.constant(values["rhythm"]),
        tone=Curve.constant(values["tone"]),
        variance=Curve.constant(values["variance"]),
        scale=scale,
        timbre=timbre,
        root=60 + (h >> 56) % 12,
    )


def features_to_dict(f: MusicFeatures) -> dict[str, Any]:
    """Canonical JSON-serialisable form (round-trips exactly through JSON)."""
    return {
        "tempo": f.tempo,
        "intensity": [[p, v] for p, v in f.intensity.keyframes],
        "rhythm": [[p, v] for p, v in f.rhythm.keyframes],
        "tone": [[p, v] for p, v in f.tone.keyframes],
        "variance": [[p, v] for p, v in f.variance.keyframes],
        "scale": f.scale,
        "timbre": f.timbre,
        "root": f.root,
    }


def features_from_dict(d: Mapping[str, Any]) -> MusicFeatures:
    """Inverse of :func:`features_to_dict`."""
    curves = {name: Curve(tuple((float(p), float(v)) for p, v in d[name])) for name in CURVE_PARAMS}
    return MusicFeatures(
        tempo=float(d["tempo"]),
        scale=str(d["scale"]),
        timbre=str(d["timbre"]),
        root=int(d["root"]),
        **curves,
    )
