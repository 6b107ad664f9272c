#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages formcheck needs, only those missing.
#   scripts/system-deps.sh run    -> what the app needs (MediaPipe's EGL/GLES libraries, venv)
#   scripts/system-deps.sh test   -> plus chromium and ffmpeg for the browser tests
set -euo pipefail
want=(python3-venv libegl1 libgles2)
if [ "${1:-run}" = "test" ]; then
  want+=(chromium ffmpeg fonts-dejavu-core libegl-mesa0 libgl1-mesa-dri)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "formcheck setup: please install these system packages yourself: ${missing[*]}" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "formcheck setup: installing system packages: ${missing[*]}" >&2
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
