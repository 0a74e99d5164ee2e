"""The voice's goals and thresholds as plain numbers, so the web pages read them without loading the voice
models (numpy, the speaker encoder, the neural singer).

The singer issue's goals for the likeness: 0.5 and above is the target; below 0.3 a persona is not worth its
name. The persona page's meter and the likeness report both read these (re-exported by ``fit.py``).

The consent check's protocol and threshold, calibrated in ``verification.py`` (which re-exports them).
"""

LIKENESS_GOAL = 0.5
LIKENESS_FLOOR = 0.3

VOICE_CHECK_PROTOCOL = "sung"
VOICE_CHECK_THRESHOLD = 0.94
