"""Errors raised by the DSP layer for bad arguments (never for bad audio: see audio_io)."""


class ParameterError(ValueError):
    """A DSP function was called with arguments it cannot work with."""
