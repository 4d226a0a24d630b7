#!/usr/bin/env bash
# Installs the Debian packages Tandem needs to build (cgo: Fyne's GL driver, robotgo, X11 capture) and to test
# (Xvfb). Does nothing when all are present; uses sudo when not root. Called by `make deps` (and so by `make
# test` and `make demo`) and by .ci/run. The list is the whole truth for a brand-new Debian 12 machine.
set -euo pipefail

packages=(
  # cgo build of fyne.io/fyne/v2/app (GLFW) and robotgo / kbinani/screenshot
  gcc libc6-dev pkg-config
  libgl1-mesa-dev libx11-dev libx11-xcb-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
  libxxf86vm-dev libxtst-dev libxkbcommon-dev libxkbcommon-x11-dev libxcb-xkb-dev libpng-dev
  # headless UI and end-to-end tests
  xvfb xauth
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q >/dev/null
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
