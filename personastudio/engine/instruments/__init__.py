"""The band on sampled instruments: a General MIDI SoundFont played by FluidSynth. No Django here."""
