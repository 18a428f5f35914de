"""Muzaic's domain rules: regions and their hashes, soundtracks, tags, tokens, origins.

Everything here is pure planning plus the provider's own tables; audio is rendered by the
shared engine (``mockserver.audio``) and HTTP shapes live in ``handlers``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.audio import (
    SAMPLE_RATE,
    SYNTH_VERSION,
    Fitted,
    MusicSource,
    Silence,
    Source,
    Timeline,
    features_from_dict,
    features_from_params,
    features_to_dict,
    normalized,
    plan,
)
from mockserver.audio.features import TAG_STYLES
from mockserver.core.store import Store
from mockserver.http.errors import ApiError

MAX_SECONDS = 1200.0
API_VERSION = "1.2.0"
NORMALIZE_PEAK = {"auto": 0.89, "high": 0.98}
SMART_METHODS = {"smart", "auto_adjust", "adjust_start", "adjust_end"}
KEYFRAMED = ("intensity", "rhythm", "tone", "variance")
# A region's documented defaults (legacy "Region object definition": duration default 60; the
# docs' example and the official client omit action for generate), in status-note order.
REGION_DEFAULTS: tuple[tuple[str, Any], ...] = (("action", "generate"), ("duration", 60))
# audioFromHash names the piece `sourceHash` (docs) or `hash` (the official client).
HASH_FIELDS = ("sourceHash", "hash")

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS muzaic_regions (
    hash TEXT PRIMARY KEY,
    recipe TEXT NOT NULL,
    duration REAL NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS muzaic_files (
    name TEXT PRIMARY KEY,
    recipe TEXT NOT NULL,
    duration REAL NOT NULL,
    created_at TEXT NOT NULL
);
"""

# Region hashes printed in Muzaic's docs, so the documented examples run verbatim.
# 9191593e... is the singleFile example's hash: 48 s, "no params object" (seed 001).
DOCUMENTED_REGIONS: dict[str, tuple[list[int], float]] = {
    "9191593eb3992ba7c4307455c0e1b5ca": ([11, 17], 48.0),
}

# Pairs of tags that do not combine (docs: tagsRelations lists only -1 correlations).
TAG_CONFLICTS: tuple[tuple[int, int], ...] = (
    (1, 2), (6, 7), (8, 9), (9, 22), (11, 32), (12, 13), (22, 29), (24, 25), (26, 32),
)
# Category ids as getTags shows them; the docs give "4" for acoustic and electronic.
CATEGORY_IDS = {"instrument": "4", "genre": "1", "mood": "2"}


def content_hash(seed: int, payload: Any) -> str:
    """32 hex characters derived from the seed, the synth version and a canonical payload."""
    text = json.dumps({"seed": seed, "synth": SYNTH_VERSION, "payload": payload},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.md5(text.encode()).hexdigest()


def tokens_for(seconds: float) -> int:
    """Muzaic charges one token per started second of generated audio."""
    return max(1, math.ceil(seconds - 1e-9))


def execution_time(seconds: float) -> float:
    """A modelled execution time: the docs say ~5-7 s of work per minute of audio."""
    return round(0.5 + seconds * 0.1, 4)


def tag_catalogue() -> dict[str, Any]:
    """``GET /getTags`` body: every tag with string fields, plus -1 relations."""
    tags = []
    for tag_id, style in sorted(TAG_STYLES.items()):
        bonus = {name: str(round(style.bonus.get(name, 0))) for name in
                 ("intensity", "tempo", "rhythm", "tone", "variance")}
        tags.append({
            "id": str(tag_id), "name": style.name,
            "int_bonus": bonus["intensity"], "tem_bonus": bonus["tempo"],
            "rhy_bonus": bonus["rhythm"], "ton_bonus": bonus["tone"],
            "var_bonus": bonus["variance"], "tagCategoryId": CATEGORY_IDS.get(style.category, "3"),
            "secret": "0", "active": "1",
        })
    relations: dict[str, dict[str, int]] = {}
    for a, b in TAG_CONFLICTS:
        relations.setdefault(str(a), {})[str(b)] = -1
        relations.setdefault(str(b), {})[str(a)] = -1
    return {"tags": tags, "tagsRelations": relations}


def tag_warnings(tags: list[int]) -> list[str]:
    """Warnings for tag pairs that do not combine and for unknown tag ids."""
    present = set(tags)
    notes = [f"tags {a} and {b} do not combine" for a, b in TAG_CONFLICTS
             if a in present and b in present]
    notes += [f"tag {t} unknown, ignored" for t in sorted(present) if t not in TAG_STYLES]
    return notes


def check_params(params: dict[str, Any] | None, where: str) -> None:
    """Rules the schema cannot express: keyframe values are integers 1..10, and keyframes
    run from position 0 to position 100."""
    for name in KEYFRAMED:
        value = (params or {}).get(name)
        if isinstance(value, list):
            for pos, (_, level) in enumerate(value):
                if level != int(level) or not 1 <= level <= 10:
                    raise ApiError(400, f"{where}.params.{name}[{pos}]: keyframe value {level!r}"
                                        " must be an integer from 1 to 10")
            positions = [pair[0] for pair in value]
            if min(positions) != 0 or max(positions) != 100:
                raise ApiError(400, f"{where}.params.{name}: a keyframes array must have a"
                                    " keyframe at position 0 and one at position 100")


def with_region_defaults(spec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The region with its documented defaults filled in, and a status note for each one used
    (``no action: generate``, in the style of the docs' ``no params object``)."""
    filled = dict(spec)
    notes = []
    for name, value in REGION_DEFAULTS:
        if name not in spec:
            filled[name] = value
            notes.append(f"no {name}: {value}")
    return filled, notes


def requested_hash(body: dict[str, Any]) -> tuple[str, str]:
    """(field name, hash) of an audioFromHash request, which may name the piece ``sourceHash``
    (docs) or ``hash`` (the official client); 400 for neither, or for two different hashes."""
    given = {name: body[name] for name in HASH_FIELDS if name in body}
    if not given:
        raise ApiError(400, "sourceHash (or hash) is required: the hash of a piece made earlier")
    if len(set(given.values())) > 1:
        raise ApiError(400, "sourceHash and hash name different pieces; send one of them")
    return next(iter(given.items()))


def known_tags(tags: list[int] | None) -> list[int]:
    """Tags the engine knows, in request order, without repeats."""
    return [t for t in dict.fromkeys(tags or []) if t in TAG_STYLES]


@dataclass
class Region:
    """One planned region: where it goes, its recipe and hash, and what to report."""

    index: int
    start: int
    samples: int
    recipe: dict[str, Any]
    hash: str
    notes: list[str] = field(default_factory=list)


@dataclass
class SoundtrackPlan:
    """A validated soundtrack request, ready to charge, store and render."""

    regions: list[Region]
    total_samples: int
    normalize: str
    status: list[str]

    @property
    def seconds(self) -> float:
        """Total length in seconds."""
        return self.total_samples / SAMPLE_RATE


class Library:
    """Regions and result files in SQLite, and rendering them through the audio engine."""

    def __init__(self, store: Store, seed: int) -> None:
        self.store = store
        self.seed = seed

    # --- recipes ---------------------------------------------------------------------
    def generate_recipe(self, params: dict | None, tags: list[int] | None, seconds: float,
                        smart: bool, variation: str | None = None) -> dict[str, Any]:
        """Recipe of freshly generated music."""
        features = features_to_dict(features_from_params(params, known_tags(tags)))
        recipe = {"kind": "generate", "features": features, "seconds": seconds, "smart": smart}
        if variation:
            recipe["variation"] = variation
        return recipe

    def region_recipe(self, hash_: str) -> dict[str, Any] | None:
        """The stored recipe of a region hash, or None."""
        row = self.store.one("SELECT recipe FROM muzaic_regions WHERE hash = ?", (hash_,))
        if row:
            return json.loads(row["recipe"])
        if hash_ in DOCUMENTED_REGIONS:
            tags, seconds = DOCUMENTED_REGIONS[hash_]
            return self.generate_recipe(None, tags, seconds, smart=False)
        return None

    def region_hash(self, recipe: dict[str, Any]) -> str:
        """The content hash of a region recipe under this server's seed."""
        return content_hash(self.seed, recipe)

    # --- planning --------------------------------------------------------------------
    def plan_soundtrack(self, body: dict[str, Any]) -> SoundtrackPlan:
        """Validate and plan ``POST /soundtrack``; raises ApiError(400) on semantic errors."""
        regions: list[Region] = []
        pending: dict[str, dict[str, Any]] = {}
        for i, given in enumerate(body["regions"]):
            where = f"regions[{i}]"
            spec, defaults = with_region_defaults(given)
            start = round(spec["time"] * SAMPLE_RATE)
            end = round((spec["time"] + spec["duration"]) * SAMPLE_RATE)
            if end > MAX_SECONDS * SAMPLE_RATE:
                raise ApiError(400, f"{where}: ends at {spec['time'] + spec['duration']:g} s;"
                                    f" a soundtrack is limited to {MAX_SECONDS:g} s")
            region = self._plan_region(i, where, spec, start, end - start, pending)
            region.notes[:0] = defaults
            pending[region.hash] = region.recipe
            regions.append(region)
        normalize = body.get("normalize", False)
        mode = {True: "auto", False: "none"}.get(normalize, normalize) if isinstance(
            normalize, bool) else str(normalize)
        status = [f"region {r.index} " + "; ".join(r.notes) for r in regions]
        if mode != "none":
            status.append(f"soundtrack normalized: {mode}")
        total = max(r.start + r.samples for r in regions)
        return SoundtrackPlan(regions, total, mode, status)

    def _plan_region(self, index: int, where: str, spec: dict[str, Any], start: int,
                     samples: int, pending: dict[str, dict[str, Any]]) -> Region:
        action = spec["action"]
        seconds = samples / SAMPLE_RATE
        smart = spec.get("method", "strict") in SMART_METHODS
        notes: list[str] = []
        source_hash = spec.get("sourceHash")
        source = None
        if action in {"copy", "regenerate", "extend"}:
            if not source_hash:
                raise ApiError(400, f"{where}.sourceHash is required when action is {action}")
            source = pending.get(source_hash) or self.region_recipe(source_hash)
            if source is None:
                raise ApiError(400, f"{where}.sourceHash: unknown hash {source_hash!r}")
        if action == "silence":
            recipe: dict[str, Any] = {"kind": "silence", "seconds": seconds}
            notes.append("silence")
        elif action == "copy":
            recipe = {"kind": "copy", "source": source_hash, "seconds": seconds}
            notes.append(f"copied from {source_hash}")
        elif action in {"regenerate", "extend"}:
            assert source is not None
            recipe = self._from_source(action, source, source_hash, seconds, smart)
            notes.append(f"{action}d from {source_hash}" if action == "regenerate"
                         else f"extended from {source_hash}")
        else:
            check_params(spec.get("params"), where)
            notes += tag_warnings(spec.get("tags") or [])
            recipe = self.generate_recipe(spec.get("params"), spec.get("tags"), seconds, smart)
            if not spec.get("params"):
                notes.append("no params object")
            notes.append("completed")
        if smart and recipe["kind"] == "generate":
            bpm, bars = self._smart_fit(recipe)
            notes.append(f"smart: tempo set to {bpm:.1f} BPM so {bars} bars end on the region end")
        return Region(index, start, samples, recipe, self.region_hash(recipe), notes)

    def _from_source(self, action: str, source: dict[str, Any], source_hash: str,
                     seconds: float, smart: bool) -> dict[str, Any]:
        root = source
        while root["kind"] in {"copy", "extend"}:
            root = self.region_recipe(root["source"]) or {"kind": "silence", "seconds": 1}
        features = root.get("features") or features_to_dict(features_from_params(None, []))
        fresh = {"kind": "generate", "features": features, "seconds": seconds, "smart": smart,
                 "variation": source_hash}
        if action == "regenerate":
            return fresh
        return {"kind": "extend", "source": source_hash, "seconds": seconds,
                "continuation": fresh}

    def _smart_fit(self, recipe: dict[str, Any]) -> tuple[float, int]:
        piece = plan(features_from_dict(recipe["features"]), recipe["seconds"],
                     self._piece_seed(recipe), SAMPLE_RATE, fit_bars=True)
        return piece.bpm, piece.bars

    def _piece_seed(self, recipe: dict[str, Any]) -> int:
        return int(content_hash(self.seed, recipe)[:12], 16)

    # --- storing ---------------------------------------------------------------------
    def save_regions(self, regions: list[Region], created_at: str) -> None:
        """Store region recipes (idempotent: a hash names one recipe forever)."""
        self.store.execute_many(
            "INSERT INTO muzaic_regions (hash, recipe, duration, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(r.hash, json.dumps(r.recipe, sort_keys=True), r.samples / SAMPLE_RATE,
              created_at) for r in regions],
        )

    def keep_soundtrack(self, plan_: SoundtrackPlan, created_at: str) -> tuple[str, dict[str, Any]]:
        """Store a planned soundtrack: its regions and its result file. Returns the file's
        name (without ``.mp3``) and recipe."""
        self.save_regions(plan_.regions, created_at)
        recipe = soundtrack_file_recipe(plan_)
        name = f"st_{self.region_hash(recipe)}"
        self.save_file(f"{name}.mp3", recipe, plan_.seconds, created_at)
        return name, recipe

    def save_file(self, name: str, recipe: dict[str, Any], seconds: float,
                  created_at: str) -> None:
        """Remember what a result file name renders (for ``GET /result/{date}/{file}``)."""
        self.store.execute(
            "INSERT INTO muzaic_files (name, recipe, duration, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (name, json.dumps(recipe, sort_keys=True), seconds, created_at),
        )

    def file_recipe(self, name: str) -> dict[str, Any] | None:
        """The recipe behind a result file name, or None."""
        row = self.store.one("SELECT recipe FROM muzaic_files WHERE name = ?", (name,))
        return json.loads(row["recipe"]) if row else None

    # --- rendering -------------------------------------------------------------------
    def region_source(self, recipe: dict[str, Any]) -> Source:
        """An audio source for a region recipe (copies resolve through stored hashes)."""
        samples = round(recipe["seconds"] * SAMPLE_RATE)
        kind = recipe["kind"]
        if kind == "silence":
            return Silence(samples)
        if kind == "generate":
            piece = plan(features_from_dict(recipe["features"]), recipe["seconds"],
                         self._piece_seed(recipe), SAMPLE_RATE, fit_bars=recipe["smart"])
            return MusicSource(piece)
        source = self.region_recipe(recipe["source"])
        if source is None:
            raise ApiError(404, f"hash {recipe['source']!r} not found")
        inner = self.region_source(source)
        if kind == "copy":
            return Fitted(inner, samples)
        # extend: the source as it was, then new music in the same style.
        if inner.num_samples >= samples:
            return Fitted(inner, samples)
        rest = dict(recipe["continuation"], seconds=(samples - inner.num_samples) / SAMPLE_RATE)
        return Timeline([(0, inner), (inner.num_samples, self.region_source(rest))], samples)

    def soundtrack_source(self, recipe: dict[str, Any],
                          known: Mapping[str, dict[str, Any]] | None = None) -> Source:
        """An audio source for a soundtrack file recipe; region recipes in ``known`` (the
        plan's, when it was just made) are used as they are, the others are looked up."""
        known = known or {}
        placements = [(start, self.region_source(known.get(h) or self.region_recipe(h) or {}))
                      for start, h in recipe["placements"]]
        timeline: Source = Timeline(placements, recipe["samples"])
        if recipe["normalize"] != "none":
            timeline = normalized(timeline, NORMALIZE_PEAK[recipe["normalize"]])
        return timeline

    def file_source(self, recipe: dict[str, Any],
                    known: Mapping[str, dict[str, Any]] | None = None) -> Source:
        """An audio source for any result file recipe (``known``: see ``soundtrack_source``)."""
        if recipe["kind"] == "soundtrack":
            return self.soundtrack_source(recipe, known)
        return self.region_source(self.region_recipe(recipe["hash"]) or {})


def soundtrack_file_recipe(plan_: SoundtrackPlan) -> dict[str, Any]:
    """The recipe of a soundtrack's MP3: placements of region hashes, length, normalization."""
    return {
        "kind": "soundtrack",
        "placements": [[r.start, r.hash] for r in plan_.regions],
        "samples": plan_.total_samples,
        "normalize": plan_.normalize,
    }
