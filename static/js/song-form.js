// Song form: lyric editor, style chips.
