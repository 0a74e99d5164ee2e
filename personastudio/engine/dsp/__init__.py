"""The built-in engine's signal processing: pure functions on numpy arrays, no Django.

Modules: audio_io (decode/encode), profile (pitch profile of a voice), separate
(REPET-SIM stems), lyrics, composer, band, mix, song, inspiration.
"""
