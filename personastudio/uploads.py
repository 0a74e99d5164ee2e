"""Files that come from outside: where big uploads are spooled, and what decoding one may cost."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

if TYPE_CHECKING:  # the decoder (av, numpy) loads only where audio is decoded, not in every web process
    from personastudio.engine.dsp.audio_io import DecodeLimits


class StudioTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's handler, spooling into our own FILE_UPLOAD_TEMP_DIR, made (private) when missing: the
    system may have cleaned the empty folder away, and the sweep knows every file in it is ours."""

    def new_file(self, *args, **kwargs):
        os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, mode=0o700, exist_ok=True)
        super().new_file(*args, **kwargs)


def decode_limits(*, max_duration_s: float) -> DecodeLimits:
    """The limits on decoding audio from outside that may be `max_duration_s` long (settings: UPLOAD_MAX_*)."""
    from personastudio.engine.dsp.audio_io import DecodeLimits

    return DecodeLimits.per_second(
        max_duration_s=max_duration_s,
        max_channels=settings.UPLOAD_MAX_CHANNELS,
        max_sample_rate_hz=settings.UPLOAD_MAX_SAMPLE_RATE_HZ,
        max_channel_samples_per_s=settings.UPLOAD_MAX_CHANNEL_SAMPLES_PER_S,
    )
