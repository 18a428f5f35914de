"""Shared audio engine: musical features, a deterministic synthesizer, timeline
sources, encoders and measurement helpers. Pure library: no HTTP, no SQL."""

from mockserver.audio.analysis import onset_rate, rms, spectral_centroid
from mockserver.audio.cache import ByteCache
from mockserver.audio.encode import (
    decode,
    encode_flac,
    encode_mp3,
    encode_wav,
    iter_chunks,
    iter_pcm16,
    iter_wav,
)
from mockserver.audio.features import (
    TAG_STYLES,
    Curve,
    MusicFeatures,
    TagStyle,
    features_from_dict,
    features_from_params,
    features_from_prompt,
    features_to_dict,
    tag_style,
)
from mockserver.audio.rate import SAMPLE_RATE
from mockserver.audio.sources import (
    Fitted,
    MusicSource,
    Samples,
    Scaled,
    Silence,
    Source,
    Timeline,
    normalized,
    peak,
)
from mockserver.audio.synth import SYNTH_VERSION, Note, Piece, plan

__all__ = [
    "SAMPLE_RATE",
    "SYNTH_VERSION",
    "TAG_STYLES",
    "ByteCache",
    "Curve",
    "Fitted",
    "MusicFeatures",
    "MusicSource",
    "Note",
    "Piece",
    "Samples",
    "Scaled",
    "Silence",
    "Source",
    "TagStyle",
    "Timeline",
    "decode",
    "encode_flac",
    "encode_mp3",
    "encode_wav",
    "features_from_dict",
    "features_from_params",
    "features_from_prompt",
    "features_to_dict",
    "iter_chunks",
    "iter_pcm16",
    "iter_wav",
    "normalized",
    "onset_rate",
    "peak",
    "plan",
    "rms",
    "spectral_centroid",
    "tag_style",
]
