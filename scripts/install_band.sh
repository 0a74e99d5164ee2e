#!/usr/bin/env bash
# Install what the built-in engine's sampled band plays on (Debian, as root): FluidSynth's library and the
# FluidR3 General MIDI SoundFont (MIT). `make run` and `make test` call this. Idempotent. Elsewhere it prints
# one line and exits 0: the engine then plays its oscillator band and says so once in the log.
set -euo pipefail

PACKAGES=(libfluidsynth3 fluid-soundfont-gm)
note() { echo "install_band: $*"; }

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  note "not root on Debian; install ${missing[*]} for sampled instruments (the band plays on oscillators until then)."
  exit 0
fi
note "installing ${missing[*]} (the sampled band: FluidSynth and the FluidR3 General MIDI SoundFont)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
