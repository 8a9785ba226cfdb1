#!/usr/bin/env bash
# Renders an HTML report to a full-page PNG with headless Chromium (Debian's `chromium` package), to
# check it in a real browser:   scripts/render-html.sh report.html report.png
# The page is first drawn into a tall window, its content height measured (scripts/png_height.py),
# then drawn again at exactly that height, so the whole report is in the picture and nothing more.
set -euo pipefail
html=${1:?usage: render-html.sh REPORT.html OUT.png}
png=${2:-${html%.html}.png}
width=${WIDTH:-1000}
here=$(cd "$(dirname "$0")" && pwd)
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  echo "render-html: installing chromium (Debian package)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  chrome=$(command -v chromium)
fi
shot() {
  "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$width,$1" \
    --screenshot="$(realpath -m "$2")" "file://$(realpath "$html")" >/dev/null 2>&1
}
tmp=$(mktemp --suffix=.png)
trap 'rm -f "$tmp"' EXIT
shot "${MAX_HEIGHT:-12000}" "$tmp"
height=$(python3 "$here/png_height.py" "$tmp")
height=$((height + 40))
shot "$height" "$png"
echo "wrote $png ($width × $height px)"
