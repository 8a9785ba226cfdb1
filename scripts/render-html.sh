#!/usr/bin/env bash
# Renders an HTML report to PNG with headless Chromium (Debian's `chromium` package), to check it in a
# real browser:   scripts/render-html.sh report.html report.png
set -euo pipefail
html=${1:?usage: render-html.sh REPORT.html OUT.png}
png=${2:-${html%.html}.png}
if ! command -v chromium >/dev/null 2>&1; then
  echo "render-html: installing chromium (Debian package)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,${HEIGHT:-2400} \
  --screenshot="$(realpath -m "$png")" "file://$(realpath "$html")" 2>/dev/null
echo "wrote $png"
