"""The MusicMint contract as Python: its types, its errors, the provider interface and the one HTTP wrapper.

Nothing here imports anything else of ours, so the engine, the adapters and the apps can all depend on it.
"""
