#!/usr/bin/env bash
# Installs the Debian packages Tandem needs to build (cgo: Fyne's GL driver, robotgo, X11 capture) and to test
# (Xvfb) and to package (make check-packaging, package-linux, package-windows). Does nothing when all are present;
# uses sudo when not root. Called by `make deps` (and so by `make test` and `make demo`) and by .ci/run. The list is
# the whole truth for a brand-new Debian 12 machine. `deps.sh windows` (make package-windows) also installs the
# MinGW-w64 cross compiler, which only the real Windows build needs; `deps.sh screenshots` (make screenshots)
# Chromium, to draw the join page.
set -euo pipefail

packages=(
  # cgo build of fyne.io/fyne/v2/app (GLFW) and robotgo / kbinani/screenshot
  gcc libc6-dev pkg-config
  libgl1-mesa-dev libx11-dev libx11-xcb-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
  libxxf86vm-dev libxtst-dev libxkbcommon-dev libxkbcommon-x11-dev libxcb-xkb-dev libpng-dev
  # headless UI and end-to-end tests (the demo draws a known pattern on the customer's screen with xsetroot, and
  # plays the customer's browser on the join page with curl)
  xvfb xauth x11-xserver-utils curl
  # packaging: the AppImage runtime (a static build against squashfuse and libfuse3), squashfs, .desktop checks;
  # MSI build and inspection, Authenticode signing; icons from the SVG; macOS plist checks
  libsquashfuse-dev libfuse3-dev libzstd-dev liblzma-dev liblz4-dev zlib1g-dev squashfs-tools desktop-file-utils
  wixl msitools osslsigncode openssl librsvg2-bin icoutils libplist-utils libxml2-utils
  # shared/selfinstall's tests also run the real xdg-mime
  xdg-utils
  # VP8 for moving photographic regions (shared/codec/vpx links libvpx.a statically: nothing needed at run time)
  libvpx-dev
  # shared/picker's tests run a private session bus with a stand-in desktop portal
  dbus-daemon
  # Wayland screen capture (shared/capture/pipewire): PipeWire's headers (libpipewire itself is dlopened at run
  # time, never linked), and the pipewire daemon (with its client.conf and modules) that pwtest runs for tests
  libpipewire-0.3-dev pipewire-bin
  # test/reach builds a small internet of network namespaces with NAT routers (ip netns, veth, iptables MASQUERADE)
  iproute2 iptables
)
for extra in "$@"; do
  case $extra in
    windows) packages+=(gcc-mingw-w64-x86-64) ;;
    screenshots) packages+=(chromium) ;; # make screenshots draws the join page with headless Chromium
    *) echo "deps: unknown package set '$extra' (known: windows, screenshots)" >&2; exit 2 ;;
  esac
done

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
