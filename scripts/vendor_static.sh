#!/usr/bin/env bash
# Re-vendor the browser libraries at their pinned versions (from the npm registry).
# The app serves these files itself so it works offline; bump a version here, run, commit.
set -euo pipefail
HTMX_VERSION=2.0.11   # htmx 2.x: htmx 4 ignores the stop-polling status 286
PICO_VERSION=2.1.1
WAVESURFER_VERSION=7.12.12   # 7.x: the player passes stored peaks + duration, no decoding
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "htmx.org@$HTMX_VERSION" "@picocss/pico@$PICO_VERSION" "wavesurfer.js@$WAVESURFER_VERSION" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
install -D -m644 "htmx.org-$HTMX_VERSION/package/dist/htmx.min.js" "$root/static/vendor/htmx/htmx.min.js"
install -D -m644 "htmx.org-$HTMX_VERSION/package/LICENSE" "$root/static/vendor/htmx/LICENSE"
install -D -m644 "picocss-pico-$PICO_VERSION/package/css/pico.min.css" "$root/static/vendor/pico/pico.min.css"
install -D -m644 "picocss-pico-$PICO_VERSION/package/LICENSE.md" "$root/static/vendor/pico/LICENSE.md"
install -D -m644 "wavesurfer.js-$WAVESURFER_VERSION/package/dist/wavesurfer.min.js" "$root/static/vendor/wavesurfer/wavesurfer.min.js"
# The official Regions plugin of the same release (UMD: defines WaveSurfer.Regions, so load it after wavesurfer).
install -D -m644 "wavesurfer.js-$WAVESURFER_VERSION/package/dist/plugins/regions.min.js" "$root/static/vendor/wavesurfer/plugins/regions.min.js"
install -D -m644 "wavesurfer.js-$WAVESURFER_VERSION/package/LICENSE" "$root/static/vendor/wavesurfer/LICENSE"
cat > "$root/static/vendor/VERSIONS" <<V
htmx.org $HTMX_VERSION
@picocss/pico $PICO_VERSION
wavesurfer.js $WAVESURFER_VERSION
wavesurfer.js $WAVESURFER_VERSION dist/plugins/regions.min.js
V
echo "vendored: htmx $HTMX_VERSION, pico $PICO_VERSION, wavesurfer.js $WAVESURFER_VERSION (+ regions plugin)"
