#!/usr/bin/env bash
# Install the MBROLA reference voices the engine tests sing with (Debian only, as root).
#
# MBROLA diphone voices are recordings of real speakers; the tests synthesise
# clips of several of them (personastudio/engine/voice/reference_speakers.py)
# to measure a persona's speaker similarity. They are TEST DATA ONLY: most
# voices' licences forbid use in a product that is sold, so nothing in the app
# ships or depends on them.
#
# `mbrola` is in Debian's contrib and the voices are in non-free. If the apt
# sources do not already enable both for the Debian archive, this adds ONE file,
# /etc/apt/sources.list.d/persona-studio-contrib-non-free.sources, with only
# those components for the release suite (the system's own sources are not
# edited; delete that file to undo). Idempotent: does nothing when every
# package is installed. Elsewhere (not Debian, not root) it prints one line and
# exits 0; the tests that need the voices are then skipped.
set -euo pipefail

VOICES=(
  mbrola-us1  # American English, female
  mbrola-us2  # American English, male
  mbrola-us3  # American English, male
  mbrola-en1  # British English, male
  mbrola-de1  # German, female   (sings English through espeak-ng's mb-de1-en table)
  mbrola-fr4  # French, female   (mb-fr4-en)
  mbrola-de2  # German, male     (mb-de2-en)
)
PACKAGES=(espeak-ng mbrola "${VOICES[@]}")
LIST=/etc/apt/sources.list.d/persona-studio-contrib-non-free.sources

note() { echo "install_reference_voices: $*"; }

if [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  note "not Debian; MBROLA reference voices not installed (their tests will be skipped)."; exit 0
fi
if [ "$(id -u)" != 0 ]; then
  note "not root; MBROLA reference voices not installed (their tests will be skipped)."; exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

. /etc/os-release
if [ "${ID:-}" != debian ] || [ -z "${VERSION_CODENAME:-}" ]; then
  note "${PRETTY_NAME:-this system} is not Debian proper; MBROLA reference voices not installed."; exit 0
fi

# Is a component already enabled for the Debian archive (one-line or deb822 sources)?
sources() { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; }
enabled() {
  sources | grep -vE '^[[:space:]]*#' | grep -E 'debian/?([[:space:]]|$)|^Components:' \
    | grep -Eq "(^deb[[:space:]].*|^Components:.*)[[:space:]]$1([[:space:]]|$)"
}
if [ ! -e "$LIST" ] && ! { enabled contrib && enabled non-free; }; then
  # Use the mirror the system already uses for the Debian archive (not -security), else deb.debian.org.
  uri=$(sources | grep -E '^URIs:' | grep -v security | grep -Eo '[a-z]+://[^ ]+/debian/?' | head -n1 || true)
  [ -n "$uri" ] || uri=$(sources | grep -E '^deb[[:space:]]' | grep -v security | grep -Eo '[a-z]+://[^ ]+/debian/?' | head -n1 || true)
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  {
    echo "# Added by Persona Studio's scripts/install_reference_voices.sh (MBROLA test voices). Delete to undo."
    echo "Types: deb"
    echo "URIs: $uri"
    echo "Suites: $VERSION_CODENAME"
    echo "Components: contrib non-free"
    [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] && echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
  } >"$LIST"
fi

log=$(mktemp); trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2; note "apt-get failed; MBROLA reference voices not installed." >&2; exit 1
fi
note "installed ${missing[*]}"
