// Waveform players (wavesurfer.js over each <audio data-peaks>) and in-browser recording.
