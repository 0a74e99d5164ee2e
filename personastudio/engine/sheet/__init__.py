"""A song's score as files a musician can use: JSON (kept with each track), MIDI and a MusicXML lead sheet.

No Django here: the score in, bytes out.
"""
