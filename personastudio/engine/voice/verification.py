"""The consent check: is the voice reading (singing) the phrase the voice in the clip?

Both recordings go through the speaker encoder (``embedding.py``, Resemblyzer's GE2E model in numpy)
and the cosine of the two embeddings is compared with a threshold. No Django here.

Calibration (``python scripts/voice_check_report.py``, 2026-12-02): 7 real speakers
(MBROLA us1, us2, us3, en1, de1, fr4, de2), each clip ~30 s sung, each phrase ~5 s.

* Phrase **spoken**, clip sung: the same speaker scored 0.52–0.76 and other speakers up to 0.72.
  Singing moves the embedding so far that no threshold meets the goal (FA ≤ 2 %, FR ≤ 10 %).
* Phrase **sung** on a short tune, clip sung: the same speaker 0.91–0.98, other speakers up to
  0.95 (two female voices the encoder hardly tells apart). At 0.94: FA 1.6 % of 252 impostor
  pairs, FR 7.1 % of 42 target pairs (see the report for the whole curve).

So the page asks for the phrase **sung** to the tune it plays (``VOICE_CHECK_PROTOCOL``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..dsp.audio_io import resample
from . import embedding

# The protocol and threshold calibrated above; the web pages read them from thresholds.py without numpy.
from .thresholds import VOICE_CHECK_PROTOCOL, VOICE_CHECK_THRESHOLD  # noqa: F401

# Less voice than this in the phrase recording says nothing reliable about the voice.
MIN_PHRASE_VOICED_S = 2.0

_FRAME_S = 0.03


class PhraseTooShort(ValueError):
    """The phrase recording holds too little voice to compare; the message is for the user."""


@dataclass(frozen=True)
class VoiceCheck:
    similarity: float  # cosine of the two speaker embeddings, -1..1
    passed: bool


def voiced_seconds(samples: np.ndarray, *, sr: int) -> float:
    """Seconds of frames within 30 dB of the loudest: what the encoder has to listen to."""
    frame = max(int(_FRAME_S * sr), 1)
    n = len(samples) // frame
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(np.square(samples[: n * frame].reshape(n, frame).astype(np.float64)), axis=1))
    peak = rms.max()
    if peak < 1e-4:
        return 0.0
    return float(np.count_nonzero(rms > peak * 10 ** (-30 / 20)) * _FRAME_S)


def voice_check(
    voice_samples: np.ndarray | Sequence[np.ndarray], *, voice_sr: int, phrase_samples: np.ndarray, phrase_sr: int
) -> VoiceCheck:
    """Compare the clip's voice with the phrase recording's.

    `voice_samples` may be several renditions of the clip's voice (as heard, and with the band
    separated out): the closest counts. Separation helps a mix but damages a clip that is voice alone
    (in calibration, a cappella clips after REPET-SIM scored 0.75–0.83 against their own speaker,
    below other speakers as heard), and which one a clip is cannot be told beforehand."""
    if voiced_seconds(phrase_samples, sr=phrase_sr) < MIN_PHRASE_VOICED_S:
        raise PhraseTooShort(
            f"The recording of the phrase holds less than {MIN_PHRASE_VOICED_S:.0f} seconds of "
            "voice. Sing the whole phrase, close to the microphone."
        )
    renditions = [voice_samples] if isinstance(voice_samples, np.ndarray) else list(voice_samples)
    phrase = _embed(phrase_samples, sr=phrase_sr)
    similarity = max(embedding.cosine_similarity(_embed(voice, sr=voice_sr), phrase) for voice in renditions)
    return VoiceCheck(similarity=similarity, passed=similarity >= VOICE_CHECK_THRESHOLD)


def _embed(samples: np.ndarray, *, sr: int) -> np.ndarray:
    to_sr = embedding.EMBEDDING_SR_HZ
    return embedding.embed_utterance(resample(samples, sr_from=sr, sr_to=to_sr), sr=to_sr, fixed_level=True)
