"""Composition: turns features and a random generator into timed note events.

Time here is in 16th-note *steps* (floats, so swing and strums fit in); the
synthesizer converts steps to samples. Every random choice comes from the
generator passed in, in a fixed order, so a plan is reproducible.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from mockserver.audio.features import SCALES, MusicFeatures
from mockserver.audio.instruments import drum_variants

STEPS_PER_BEAT = 4

# mix buses: centre, left, right
BUS_C, BUS_L, BUS_R = 0, 1, 2

# General-MIDI-like numbers reported as the pitch of unpitched drums
DRUM_PITCH = {
    "kick": 36, "kick808": 36, "kick_soft": 35, "snare": 38, "brush": 40, "clap": 39, "rim": 37,
    "hat": 42, "ohat": 46, "ride": 51, "crash": 49, "shaker": 82, "conga_hi": 63, "conga_lo": 64,
    "clave": 75,
}


class Event(NamedTuple):
    """A note in musical time."""

    step: float  # start, in 16th steps from the beginning
    hold: float  # steps until note-off
    inst: str
    pitch: int
    velocity: float  # 0..1, before the instrument's mix level
    bus: int
    variant: int = 0


@dataclass(frozen=True)
class Ensemble:
    """Which instruments play which role for a timbre, and how."""

    chords: str
    chord_style: str  # "pad", "comp" or "strum"
    bass: str
    bass_style: str  # "root", "synth", "walk", "tumbao", "drive"
    lead: str
    arp: str | None
    kit: dict[str, str] = field(default_factory=dict)  # role -> drum instrument
    drums_from: float = 2.5  # intensity below which there are no drums
    arp_from: float = 6.5
    swing: float = 0.0  # 0 straight .. 1 triplet swing
    sevenths: bool = False
    power_chords: bool = False
    humanize: float = 0.04  # timing jitter in steps


ENSEMBLES: dict[str, Ensemble] = {
    "acoustic": Ensemble("guitar", "strum", "upright", "root", "guitar", "nylon",
                         {"kick": "kick", "snare": "snare", "hat": "hat", "ohat": "ohat", "perc": "shaker",
                          "crash": "crash"}),
    "electronic": Ensemble("saw_pad", "pad", "synth_bass", "synth", "square_lead", "synth_pluck",
                           {"kick": "kick808", "snare": "clap", "hat": "hat", "ohat": "ohat", "perc": "shaker",
                            "crash": "crash"}, arp_from=4.5, humanize=0.0),
    "orchestral": Ensemble("strings", "pad", "cello", "root", "flute", "marimba",
                           {"kick": "timpani", "snare": "snare", "crash": "crash"}, drums_from=4.0,
                           arp_from=7.0),
    "ambient": Ensemble("warm_pad", "pad", "sub_bass", "root", "bell", "bell",
                        {"kick": "kick_soft", "snare": "rim", "hat": "shaker"}, drums_from=5.0, arp_from=7.5),
    "latin": Ensemble("nylon", "comp", "pick_bass", "tumbao", "marimba", None,
                      {"kick": "kick_soft", "snare": "rim", "hat": "shaker", "conga_hi": "conga_hi",
                       "conga_lo": "conga_lo", "clave": "clave"}, drums_from=2.0),
    "rock": Ensemble("drive_guitar", "comp", "pick_bass", "drive", "drive_lead", None,
                     {"kick": "kick", "snare": "snare", "hat": "hat", "ohat": "ohat", "crash": "crash"},
                     power_chords=True, humanize=0.03),
    "jazz": Ensemble("epiano", "comp", "upright", "walk", "vibes", None,
                     {"kick": "kick_soft", "snare": "brush", "hat": "ride", "foot": "hat"}, swing=0.8,
                     sevenths=True, drums_from=2.0),
    "piano": Ensemble("piano", "comp", "upright", "root", "piano", "piano",
                      {"kick": "kick_soft", "snare": "rim", "hat": "hat", "perc": "shaker"}, drums_from=4.0,
                      arp_from=7.0),
}

# the 7-note scale chords are built from, for each melody scale
_HARMONY = {
    "pentatonic": "major",
    "minor_pentatonic": "minor",
    "blues": "dorian",
}

_PROGRESSIONS = (
    (0, 4, 5, 3), (0, 3, 4, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 0, 4), (0, 5, 1, 4), (3, 4, 0, 0),
    (0, 5, 2, 6), (0, 6, 5, 6), (0, 3, 6, 2), (0, 1, 0, 6), (0, 3, 0, 3), (0, 6, 3, 0), (0, 2, 3, 4),
    (0, 4, 3, 4), (0, 1, 3, 4),
)


def _pick(rng: np.random.Generator, items: Sequence, weights: Sequence[float]):  # type: ignore[no-untyped-def]
    """Weighted choice with one uniform draw (cheaper than Generator.choice)."""
    cum = []
    total = 0.0
    for w in weights:
        total += max(0.0, w)
        cum.append(total)
    return items[min(len(items) - 1, bisect.bisect_right(cum, rng.random() * total))]


class Composer:
    """Makes the events of one piece; see :meth:`compose`."""

    def __init__(self, f: MusicFeatures, rng: np.random.Generator, bars: int, steps_per_bar: int,
                 total_steps: float) -> None:
        self.f = f
        self.rng = rng
        self.bars = bars
        self.spb = steps_per_bar
        self.total_steps = total_steps
        self.ens = ENSEMBLES[f.timbre]
        self.mscale = SCALES[f.scale]
        self.hscale = SCALES[_HARMONY.get(f.scale, f.scale)]
        self.root_pc = f.root % 12
        self.events: list[Event] = []
        self.progs = [p for p in _PROGRESSIONS if all(self._good_chord(d) for d in p)] or [(0, 0, 0, 0)]
        self._drum_count = 0

    # ----------------------------------------------------------- harmony
    def _chord_intervals(self, degree: int, size: int) -> list[int]:
        h = self.hscale
        return [h[(degree + 2 * i) % 7] + 12 * ((degree + 2 * i) // 7) - h[degree] for i in range(size)]

    def _good_chord(self, degree: int) -> bool:
        return self._chord_intervals(degree, 3)[2] == 7  # a perfect fifth: no dim/aug triads

    def _chord_root_pc(self, degree: int) -> int:
        return (self.root_pc + self.hscale[degree]) % 12

    def _chord_pcs(self, degree: int) -> list[int]:
        size = 4 if self.ens.sevenths else 3
        root = self._chord_root_pc(degree)
        return [(root + i) % 12 for i in self._chord_intervals(degree, size)]

    # ------------------------------------------------------------ curves
    def _x(self, step: float) -> float:
        return min(1.0, max(0.0, step / self.total_steps)) if self.total_steps > 0 else 0.0

    def _bar_values(self, bar: int) -> tuple[float, float, float, float]:
        x = self._x((bar + 0.5) * self.spb)
        f = self.f
        return f.intensity.at(x), f.rhythm.at(x), f.tone.at(x), f.variance.at(x)

    # -------------------------------------------------------------- main
    def compose(self) -> list[Event]:
        """All events of the piece, in generation order."""
        rng = self.rng
        prog = self.progs[int(rng.integers(len(self.progs)))]
        motif: list[tuple[int, int, int]] | None = None
        answer: list[tuple[int, int, int]] | None = None
        patterns: dict[str, int] = {}
        for bar in range(self.bars):
            inten, rhy, tone, var = self._bar_values(bar)
            i01, r01, v01 = (inten - 1) / 9, (rhy - 1) / 9, (var - 1) / 9
            reg = (tone - 5.5) * 2.2  # register shift in semitones
            phrase_pos = bar % 4
            final = bar == self.bars - 1 and self.bars >= 2
            if phrase_pos == 0 and bar > 0 and rng.random() < 0.15 + 0.85 * v01 * v01:
                prog = self.progs[int(rng.integers(len(self.progs)))]
            degree = prog[phrase_pos]
            if bar > 0 and not final and rng.random() < 0.3 * v01 * v01:
                degree = int(rng.integers(7))
                if not self._good_chord(degree):
                    degree = prog[phrase_pos]
            if final:
                degree = 0
            if phrase_pos == 0 or rng.random() < 0.4 * v01:
                patterns = self._choose_patterns()

            # melody motif: low variance repeats it, high variance keeps changing it
            if motif is None or rng.random() < 0.6 * v01 * v01:
                motif = self._new_motif(r01, i01)
                answer = self._mutate(motif, 0.5, r01)
            elif rng.random() < 0.05 + 0.8 * v01:
                motif = self._mutate(motif, 0.35, r01)
            assert answer is not None
            use = motif if bar % 2 == 0 else answer

            b0 = bar * self.spb
            self._chords(b0, degree, i01, r01, reg, patterns, final)
            self._bass(b0, degree, prog[(phrase_pos + 1) % 4], i01, r01, reg, patterns, final)
            self._melody(b0, degree, use, i01, v01, reg, phrase_pos == 3, final)
            if inten >= self.ens.arp_from and self.ens.arp and not final:
                self._arp(b0, degree, i01, r01, reg)
            if inten >= self.ens.drums_from:
                self._drums(b0, i01, r01, v01, patterns, phrase_pos, final)
        return self.events

    # ------------------------------------------------------------ helpers
    def _add(self, step: float, hold: float, inst: str, pitch: int, vel: float, bus: int, variant: int = 0) -> None:
        if step >= self.total_steps or step < 0:
            return
        step = self._swing(step)
        if self.ens.humanize and step > 0:
            step = max(0.0, step + (self.rng.random() - 0.5) * 2 * self.ens.humanize)
        self.events.append(Event(step, hold, inst, pitch, min(1.0, max(0.02, vel)), bus, variant))

    def _swing(self, step: float) -> float:
        s = self.ens.swing
        if not s:
            return step
        # delay the off-beat 8th of each beat towards a triplet feel, warping 16ths with it
        beat, u = divmod(step, 4.0)
        mid = 2.0 + 0.667 * s
        w = u * (mid / 2.0) if u < 2.0 else mid + (u - 2.0) * ((4.0 - mid) / 2.0)
        return beat * 4.0 + w

    def _vel(self, i01: float, accent: float = 1.0) -> float:
        return (0.28 + 0.72 * i01) * accent * (1.0 + 0.08 * (self.rng.random() - 0.5))

    @staticmethod
    def _near(pc: int, center: float) -> int:
        """The pitch of pitch class ``pc`` nearest to ``center``."""
        base = int(round(center)) - 6
        return base + (pc - base) % 12

    def _choose_patterns(self) -> dict[str, int]:
        rng = self.rng
        return {name: int(rng.integers(8)) for name in ("chord", "bass", "kick", "hat", "perc", "ghost")}

    # ------------------------------------------------------------- chords
    def _voicing(self, degree: int, center: float, i01: float) -> list[int]:
        if self.ens.power_chords:
            r = self._near(self._chord_root_pc(degree), center - 5)
            return [r, r + 7, r + 12]
        pcs = self._chord_pcs(degree)
        notes = sorted(self._near(pc, center) for pc in pcs)
        if i01 > 0.55 and not self.ens.sevenths:
            notes.append(notes[0] + 12)  # fuller at higher intensity
        return notes

    _COMP = (
        ((0, 16),), ((0, 8), (8, 8)),  # tier 0
        ((0, 4), (4, 4), (8, 4), (12, 4)), ((0, 6), (6, 6), (12, 4)), ((0, 3), (6, 2), (8, 6), (14, 2)),  # tier 1
        ((0, 2), (3, 3), (6, 2), (10, 2), (12, 2), (14, 2)), ((0, 3), (3, 3), (6, 4), (10, 3), (13, 3)),
        ((0, 2), (2, 2), (4, 2), (6, 2), (8, 2), (10, 2), (12, 2), (14, 2)),  # tier 2
    )
    _TIERS = ((0, 2), (2, 5), (5, 8))

    def _tier(self, r01: float) -> int:
        return 0 if r01 < 0.3 else (1 if r01 < 0.65 else 2)

    def _comp_pattern(self, r01: float, which: int) -> tuple[tuple[int, int], ...]:
        lo, hi = self._TIERS[self._tier(r01)]
        return self._COMP[lo + which % (hi - lo)]

    def _chords(self, b0: int, degree: int, i01: float, r01: float, reg: float, patterns: dict[str, int],
                final: bool) -> None:
        ens = self.ens
        voices = self._voicing(degree, 62 + reg * 0.6, i01)
        if final or ens.chord_style == "pad":
            hits: Sequence[tuple[int, int]] = ((0, self.spb),) if (final or r01 < 0.6) else ((0, 8), (8, 8))
        else:
            hits = self._comp_pattern(r01, patterns.get("chord", 0))
        level = 0.75 if ens.chord_style == "pad" else 0.7
        for s, d in hits:
            if s >= self.spb:
                continue
            d = min(d, self.spb - s)
            accent = 1.0 if s % 8 == 0 else 0.85
            vel = self._vel(i01, accent) * level
            up = ens.chord_style == "strum" and s % 4 == 2
            order = list(reversed(voices)) if up else voices
            for j, p in enumerate(order):
                off = j * 0.12 if ens.chord_style == "strum" else 0.0
                bus = BUS_L if j % 2 == 0 else BUS_R
                self._add(b0 + s + off, d - off, ens.chords, p, vel * (0.8 if up else 1.0), bus)

    # --------------------------------------------------------------- bass
    _BASS = {
        "root": (
            ((0, 16, "R"),), ((0, 8, "R"), (8, 8, "5")),
            ((0, 6, "R"), (6, 2, "R"), (8, 8, "5")), ((0, 4, "R"), (4, 4, "R"), (8, 4, "5"), (12, 4, "R")),
            ((0, 8, "R"), (8, 4, "5"), (12, 4, "O")),
            ((0, 3, "R"), (3, 3, "R"), (6, 2, "5"), (8, 3, "R"), (11, 3, "O"), (14, 2, "5")),
            ((0, 2, "R"), (2, 2, "O"), (4, 2, "R"), (6, 2, "O"), (8, 2, "5"), (10, 2, "O"), (12, 2, "R"),
             (14, 2, "5")),
            ((0, 3, "R"), (3, 1, "R"), (6, 2, "5"), (8, 2, "R"), (10, 4, "O"), (14, 2, "A")),
        ),
        "synth": (
            ((0, 16, "R"),), ((0, 8, "R"), (8, 8, "R")),
            ((2, 2, "R"), (6, 2, "R"), (10, 2, "R"), (14, 2, "R")), ((0, 3, "R"), (3, 3, "R"), (6, 2, "R"),
                                                                      (8, 3, "R"), (11, 3, "R"), (14, 2, "O")),
            ((0, 2, "R"), (2, 2, "R"), (4, 2, "O"), (6, 2, "R"), (8, 2, "R"), (10, 2, "5"), (12, 2, "R"),
             (14, 2, "O")),
            tuple((i, 1, "O" if i % 4 == 2 else "R") for i in range(16) if i % 4 != 3),
            ((0, 1, "R"), (2, 1, "R"), (3, 2, "O"), (6, 1, "R"), (8, 1, "R"), (10, 1, "R"), (11, 2, "5"),
             (14, 2, "O")),
            tuple((i, 1, "R") for i in range(0, 16, 2)) + tuple((i, 1, "O") for i in range(1, 16, 4)),
        ),
        "tumbao": (
            ((0, 8, "R"), (8, 8, "5")), ((0, 6, "R"), (6, 2, "5"), (8, 8, "R")),
            ((0, 6, "R"), (6, 6, "5"), (12, 4, "O")), ((3, 3, "5"), (6, 6, "R"), (12, 4, "5")),
            ((0, 3, "R"), (3, 3, "5"), (6, 6, "O"), (12, 4, "5")),
            ((0, 3, "R"), (3, 3, "R"), (6, 4, "5"), (10, 2, "O"), (12, 2, "5"), (14, 2, "A")),
            ((0, 3, "R"), (6, 4, "5"), (10, 2, "R"), (12, 4, "O")),
            ((0, 2, "R"), (3, 3, "5"), (6, 2, "O"), (8, 2, "R"), (11, 3, "5"), (14, 2, "A")),
        ),
        "drive": (
            ((0, 8, "R"), (8, 8, "R")), ((0, 4, "R"), (4, 4, "R"), (8, 4, "R"), (12, 4, "R")),
            tuple((i, 2, "R") for i in range(0, 16, 2)),
            ((0, 2, "R"), (2, 2, "R"), (4, 2, "R"), (6, 2, "R"), (8, 2, "R"), (10, 2, "R"), (12, 2, "5"),
             (14, 2, "O")),
            ((0, 3, "R"), (3, 3, "R"), (6, 2, "R"), (8, 2, "R"), (10, 2, "5"), (12, 2, "R"), (14, 2, "O")),
            tuple((i, 1, "R") for i in range(16)),
            tuple((i, 1, "O" if i % 8 == 6 else "R") for i in range(16)),
            ((0, 2, "R"), (2, 1, "R"), (3, 3, "R"), (6, 2, "5"), (8, 2, "R"), (10, 1, "R"), (11, 3, "R"),
             (14, 2, "A")),
        ),
    }

    def _bass(self, b0: int, degree: int, next_degree: int, i01: float, r01: float, reg: float,
              patterns: dict[str, int], final: bool) -> None:
        ens = self.ens
        center = 40 + reg * 0.4
        root = self._near(self._chord_root_pc(degree), center)
        next_root = self._near(self._chord_root_pc(next_degree), center)
        vel = self._vel(i01) * 0.9
        if final or i01 < 0.12:
            self._add(b0, self.spb, ens.bass, root, vel, BUS_C)
            return
        if ens.bass_style == "walk":
            self._walk(b0, degree, root, next_root, vel, r01)
            return
        bank = self._BASS[ens.bass_style if ens.bass_style in self._BASS else "root"]
        tier = self._tier(r01)
        lo, hi = ((0, 2), (2, 5), (5, 8))[tier]
        pattern = bank[lo + patterns.get("bass", 0) % (hi - lo)]
        for s, d, what in pattern:
            if s >= self.spb:
                continue
            if what == "R":
                p = root
            elif what == "5":
                p = root + 7 if root + 7 <= center + 9 else root - 5
            elif what == "O":
                p = root + 12
            else:  # approach note to the next chord root
                p = next_root - 1 if next_root > root else next_root + 1
            accent = 1.0 if s % 4 == 0 else 0.8
            self._add(b0 + s, min(d, self.spb - s), ens.bass, p, vel * accent, BUS_C)

    def _walk(self, b0: int, degree: int, root: int, next_root: int, vel: float, r01: float) -> None:
        pcs = self._chord_pcs(degree)
        third = self._near(pcs[1], root + 4)
        fifth = self._near(pcs[2], root + 7)
        approach = next_root + (1 if self.rng.random() < 0.5 else -1)
        line = [root, third if self.rng.random() < 0.5 else fifth,
                fifth if self.rng.random() < 0.5 else root + 12, approach]
        for k, p in enumerate(line):
            s = k * 4
            if s >= self.spb:
                break
            self._add(b0 + s, 3.6, self.ens.bass, p, vel * (1.0 if k % 2 == 0 else 0.85), BUS_C)
            if r01 > 0.65 and k == 2 and self.rng.random() < 0.5:
                self._add(b0 + s + 3, 1, self.ens.bass, p + 12, vel * 0.6, BUS_C)

    # ------------------------------------------------------------- melody
    def _durations(self, r01: float) -> tuple[tuple[int, ...], tuple[float, ...]]:
        return (1, 2, 3, 4, 6, 8), (r01 * r01 * 1.2, 0.3 + r01, 0.35 * r01, 1.0 - 0.5 * r01, 0.3 * (1 - r01),
                                    0.6 * (1 - r01))

    def _new_motif(self, r01: float, i01: float) -> list[tuple[int, int, int]]:
        rng = self.rng
        durs, weights = self._durations(r01)
        p_rest = max(0.05, 0.32 - 0.25 * i01)
        notes: list[tuple[int, int, int]] = []
        s = 0
        if rng.random() < 0.35 * r01:
            s = int(_pick(rng, (1, 2, 3), (1.0, 1.0, 0.5)))  # syncopated pickup
        deg = int(_pick(rng, (0, 2, 4), (1.0, 0.7, 0.7)))
        while s < self.spb:
            d = int(_pick(rng, durs, weights))
            d = min(d, self.spb - s)
            if not notes or rng.random() >= p_rest:
                notes.append((s, d, deg))
            s += d
            deg += int(_pick(rng, (-3, -2, -1, 0, 1, 2, 3), (0.2, 0.6, 1.0, 0.4, 1.0, 0.6, 0.2)))
            deg = max(-4, min(9, deg))
        return notes

    def _mutate(self, motif: list[tuple[int, int, int]], amount: float, r01: float) -> list[tuple[int, int, int]]:
        rng = self.rng
        out: list[tuple[int, int, int]] = []
        for s, d, deg in motif:
            if rng.random() < amount:
                deg = max(-4, min(9, deg + int(_pick(rng, (-2, -1, 1, 2), (0.5, 1.0, 1.0, 0.5)))))
            if d >= 2 and rng.random() < amount * (0.2 + 0.6 * r01):
                h = d // 2
                out.append((s, h, deg))
                out.append((s + h, d - h, max(-4, min(9, deg + (1 if rng.random() < 0.5 else -1)))))
                continue
            out.append((s, d, deg))
        return out

    def _mpitch(self, base_idx: int, offset: int) -> int:
        n = len(self.mscale)
        i = base_idx + offset
        return self.root_pc + self.mscale[i % n] + 12 * (i // n)

    def _melody(self, b0: int, degree: int, motif: list[tuple[int, int, int]], i01: float, v01: float,
                reg: float, phrase_end: bool, final: bool) -> None:
        ens = self.ens
        chord_root = self._chord_root_pc(degree)
        # low variance repeats the motif literally (anchored on the tonic); higher variance moves it
        # with the harmony
        rel = (chord_root - self.root_pc) % 12 if v01 >= 0.4 else 0
        # melody-scale index nearest the chord root, so motifs follow the harmony
        base_idx = min(range(len(self.mscale)), key=lambda i: (abs(self.mscale[i] - rel), i))
        pcs = set(self._chord_pcs(degree))
        center = 74 + reg
        if final:
            p = self._near(self.root_pc, center)
            self._add(b0, self.spb, ens.lead, p, self._vel(i01) * 0.9, BUS_C)
            return
        notes = list(motif)
        if phrase_end and notes:
            # phrases end on a held chord tone
            notes = [n for n in notes if n[0] < 8] or notes[:1]
            notes.append((8, 8, 0))
        raw = [self._mpitch(base_idx, deg) for _, _, deg in notes]
        shift = 12 * round((center - sum(raw) / len(raw)) / 12)
        for (s, d, _), p in zip(notes, raw):
            p += shift
            if s % 8 == 0 and p % 12 not in pcs:
                p = min((p + k for k in (1, -1, 2, -2)), key=lambda q: (q % 12 not in pcs, abs(q - p)))
            while p > center + 12:
                p -= 12
            while p < center - 12:
                p += 12
            accent = 1.0 if s % 4 == 0 else 0.85
            self._add(b0 + s, d * 0.9, ens.lead, int(p), self._vel(i01, accent) * 0.85, BUS_C)

    def _arp(self, b0: int, degree: int, i01: float, r01: float, reg: float) -> None:
        assert self.ens.arp is not None
        pcs = self._chord_pcs(degree)
        center = 70 + reg
        tones = sorted(self._near(pc, center) for pc in pcs)
        tones = tones + [t + 12 for t in tones]
        stride = 1 if r01 >= 0.5 else 2
        seq = tones + tones[-2:0:-1]
        k = 0
        for s in range(0, self.spb, stride):
            bus = BUS_L if k % 2 == 0 else BUS_R
            self._add(b0 + s, stride * 0.8, self.ens.arp, seq[k % len(seq)], self._vel(i01, 0.9 if s % 4 == 0 else 0.7)
                      * 0.55, bus)
            k += 1

    # -------------------------------------------------------------- drums
    def _hit(self, b0: int, s: float, role: str, vel: float, bus: int = BUS_C, pitch: int | None = None) -> None:
        inst = self.ens.kit.get(role)
        if inst is None or s >= self.spb:
            return
        self._drum_count += 1
        nv = drum_variants(inst)
        variant = self._drum_count % nv if nv else 0
        p = pitch if pitch is not None else DRUM_PITCH.get(inst, 60)
        self._add(b0 + s, 1, inst, p, vel, bus, variant)

    def _drums(self, b0: int, i01: float, r01: float, v01: float, patterns: dict[str, int], phrase_pos: int,
               final: bool) -> None:
        rng = self.rng
        ens = self.ens
        kit = ens.kit
        tier = self._tier(r01)
        base = 0.3 + 0.7 * i01
        kick_pitch = self._near(self.root_pc, 43) if kit.get("kick") == "timpani" else None
        crash_ok = phrase_pos == 0 and i01 > 0.55 and "crash" in kit
        if final:
            self._hit(b0, 0, "kick", base, pitch=kick_pitch)
            if "crash" in kit and i01 > 0.3:
                self._hit(b0, 0, "crash", base * 0.9, BUS_R)
            return
        if crash_ok and b0 > 0:
            self._hit(b0, 0, "crash", base * 0.8, BUS_R)
        four_floor = self.f.timbre == "electronic" and tier >= 1
        kicks: list[int]
        if four_floor:
            kicks = [0, 4, 8, 12]
        elif tier == 0:
            kicks = [0] if i01 < 0.45 else [0, 8]
        elif tier == 1:
            kicks = ([0, 8], [0, 8, 10], [0, 6, 8], [0, 3, 8])[patterns.get("kick", 0) % 4]
        else:
            kicks = ([0, 3, 8, 11], [0, 6, 8, 14], [0, 3, 6, 10, 12], [0, 8, 10, 14])[patterns.get("kick", 0) % 4]
        if self.f.timbre == "jazz":
            kicks = [0, 4, 8, 12]  # feathered
        for s in kicks:
            kv = base * (1.0 if s in (0, 8) else 0.8) * (0.35 if self.f.timbre == "jazz" else 1.0)
            self._hit(b0, s, "kick", kv, pitch=kick_pitch)
        if i01 >= 0.3:
            for s in (4, 12):
                self._hit(b0, s, "snare", base)
            if tier == 2:
                for s in (3, 7, 10, 14, 15):
                    if rng.random() < 0.25:
                        self._hit(b0, s, "snare", base * 0.3)
        # hats (ride in jazz): quarters, 8ths or 16ths with accents
        if self.f.timbre == "jazz":
            for s in (0, 4, 6, 8, 12, 14):
                self._hit(b0, s, "hat", base * (0.9 if s % 4 == 0 else 0.6), BUS_R)
            for s in (4, 12):
                self._hit(b0, s, "foot", base * 0.4, BUS_L)
        else:
            stride = (4, 2, 1)[tier]
            offbeat_only = four_floor and tier == 1
            for s in range(0, self.spb, stride):
                if offbeat_only and s % 4 != 2:
                    continue
                acc = 1.0 if s % 4 == 0 else (0.8 if s % 2 == 0 else 0.55)
                self._hit(b0, s, "hat", base * acc, BUS_R)
            if "ohat" in kit and tier >= 1 and i01 > 0.5 and patterns.get("hat", 0) % 2 == 0:
                self._hit(b0, 14 if tier == 1 else 6, "ohat", base * 0.7, BUS_R)
        if "perc" in kit and i01 > 0.5 and tier >= 1:
            for s in range(0, self.spb, 2 if tier == 1 else 1):
                self._hit(b0, s, "perc", base * (0.7 if s % 4 == 0 else 0.45), BUS_L)
        if "conga_hi" in kit:
            hi = (2, 4, 10, 12) if tier >= 1 else (4, 12)
            lo = (6, 14, 15) if tier >= 1 else (14,)
            for s in hi:
                self._hit(b0, s, "conga_hi", base * 0.8, BUS_L)
            for s in lo:
                self._hit(b0, s, "conga_lo", base * 0.85, BUS_R)
        if "clave" in kit and i01 > 0.35:
            clave = (0, 6, 12) if (b0 // self.spb) % 2 == 0 else (4, 8)
            for s in clave:
                self._hit(b0, s, "clave", base * 0.8, BUS_R)
        # a fill before a new phrase, more likely with more variance
        if phrase_pos == 3 and i01 > 0.35 and rng.random() < 0.15 + 0.5 * v01:
            for k, s in enumerate((12, 13, 14, 15)):
                self._hit(b0, s, "snare", base * (0.5 + 0.12 * k))
