"""The eSpeak NG binding: the ``espeakng-loader`` wheel's libespeak-ng, driven through ctypes.

Synchronous mode with phoneme and word events (for the syllable timing in ``voice``) and
``espeak_TextToPhonemes`` (the IPA the neural voice's phonemiser reads). eSpeak NG keeps global state
and is not re-entrant: every call holds one lock.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np


class _Event(ctypes.Structure):
    # espeak_EVENT from speak_lib.h
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),  # union {int number; const char *name; char string[8]}
    ]


_CALLBACK_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))
_EV_LIST_TERMINATED, EVENT_WORD, EVENT_PHONEME = 0, 1, 7
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS, _INIT_PHONEME_IPA, _INIT_DONT_EXIT = 0x0001, 0x0002, 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE, _PARAM_WORDGAP = 1, 2, 3, 4, 7

_LOCK = threading.Lock()  # eSpeak NG keeps global state and is not re-entrant
_ENGINE: dict = {}
_CAPTURE: dict = {"chunks": [], "events": []}


def _on_synth(wav, n, events):  # called by eSpeak NG, inside _LOCK, on the calling thread
    if wav and n > 0:
        _CAPTURE["chunks"].append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
    i = 0
    while events[i].type != _EV_LIST_TERMINATED:
        ev = events[i]
        if ev.type == EVENT_PHONEME:
            name = bytes(ev.id).split(b"\0", 1)[0].decode("utf-8", "replace")
            _CAPTURE["events"].append((EVENT_PHONEME, ev.audio_position, name, 0, 0))
        elif ev.type == EVENT_WORD:
            _CAPTURE["events"].append((EVENT_WORD, ev.audio_position, "", ev.text_position, ev.length))
        i += 1
    return 0


_CALLBACK = _CALLBACK_TYPE(_on_synth)  # module-level: must outlive every call


def _engine() -> dict:
    """Load and initialise libespeak-ng once (call with _LOCK held)."""
    if not _ENGINE:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK_TYPE]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        data = espeakng_loader.get_data_path().encode()
        sr = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INIT_DONT_EXIT | _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA
        )
        if sr <= 0:
            raise RuntimeError("eSpeak NG failed to initialise")
        lib.espeak_SetSynthCallback(_CALLBACK)
        _ENGINE.update(lib=lib, sr=int(sr))
    return _ENGINE


def synthesize(text: str, voice_name: str) -> tuple[np.ndarray, int, list]:
    """Speak ``text`` with an eSpeak NG voice.

    Parameters
    ----------
    text : str
        What to say, UTF-8.
    voice_name : str
        eSpeak NG voice and variant, e.g. "en+f3", "cmn+m3".

    Returns
    -------
    audio : np.ndarray [shape=(n,)]
        Mono float64 samples in [-1, 1] at ``sr`` Hz.
    sr : int
        Their sample rate in Hz (eSpeak NG's 22050).
    events : list of tuple
        ``(kind, audio_position_ms, phoneme, text_position, length)`` per phoneme or word event.
    """
    with _LOCK:
        eng = _engine()
        lib = eng["lib"]
        _CAPTURE["chunks"], _CAPTURE["events"] = [], []
        lib.espeak_SetVoiceByName(voice_name.encode())
        # Parameters are sticky across calls: set all of them every time.
        for param, value in (
            (_PARAM_RATE, 165),
            (_PARAM_VOLUME, 100),
            (_PARAM_PITCH, 50),
            (_PARAM_RANGE, 10),
            (_PARAM_WORDGAP, 0),
        ):
            lib.espeak_SetParameter(param, value, 0)
        data = text.encode("utf-8")
        lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        chunks, events = _CAPTURE["chunks"], _CAPTURE["events"]
        _CAPTURE["chunks"], _CAPTURE["events"] = [], []
    audio = np.concatenate(chunks).astype(np.float64) / 32768.0 if chunks else np.zeros(0)
    return audio, eng["sr"], events


_TTP_IPA, _TTP_TIE = 0x02, 0x80


def text_to_ipa(text: str, voice_name: str) -> str:
    """Transcribe ``text`` to eSpeak NG's IPA.

    Parameters
    ----------
    text : str
        What to transcribe, UTF-8.
    voice_name : str
        eSpeak NG voice whose language reads the text, e.g. "en", "cmn".

    Returns
    -------
    str
        IPA, clauses joined by spaces, multi-letter phonemes tied with "^".
    """
    mode = _TTP_IPA | _TTP_TIE | (ord("^") << 8)
    out = []
    with _LOCK:
        lib = _engine()["lib"]
        fn = lib.espeak_TextToPhonemes
        fn.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        fn.restype = ctypes.c_char_p
        lib.espeak_SetVoiceByName(voice_name.encode())
        buf = ctypes.c_char_p(text.encode("utf-8"))
        keep = buf  # the pointer walks through this buffer: keep it alive
        while buf.value:
            res = fn(ctypes.byref(buf), 1, mode)  # 1: espeakCHARS_UTF8; advances buf by one clause
            if res:
                out.append(res.decode("utf-8", "replace"))
        del keep
    return " ".join(out)
