#!/usr/bin/env bash
# appimage.sh RUNTIME BINARY DESKTOP OUT [DOC...]: wraps BINARY as the AppImage OUT. The AppDir holds AppRun,
# DESKTOP (whose Exec names BINARY), the icon (tandem.png and .DirIcon), usr/bin/BINARY, usr/share/applications,
# usr/share/icons (256 px PNG and the SVG) and usr/share/doc/PROGRAM/ with the DOC files (notices, licences).
# The squashfs is made with fixed owners, times and permissions, so the same inputs give the same bytes.
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
[ $# -ge 4 ] || die "usage: appimage.sh RUNTIME BINARY DESKTOP OUT [DOC...]"
runtime=$1 binary=$2 desktop=$3 out=$4
shift 4
need mksquashfs squashfs-tools
program=$(basename "$binary")
grep -Eq "^Exec=$program( |\$)" "$desktop" || die "$desktop: Exec does not start the program $program"
icon=$(sed -n 's/^Icon=//p' "$desktop")
[ -n "$icon" ] || die "$desktop: no Icon"

umask 022
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
app=$tmp/AppDir
mkdir -p "$app/usr/bin" "$app/usr/share/applications" "$app/usr/share/icons/hicolor/256x256/apps" \
  "$app/usr/share/icons/hicolor/scalable/apps" "$app/usr/share/doc/$program"
sed "s/@PROGRAM@/$program/" "$root/packaging/linux/AppRun" >"$app/AppRun"
chmod 755 "$app/AppRun"
install -m 755 "$binary" "$app/usr/bin/$program"
install -m 644 "$desktop" "$app/$program.desktop"
install -m 644 "$desktop" "$app/usr/share/applications/$program.desktop"
render_png 256 "$app/usr/share/icons/hicolor/256x256/apps/$icon.png"
install -m 644 "$root/assets/tandem.svg" "$app/usr/share/icons/hicolor/scalable/apps/$icon.svg"
cp "$app/usr/share/icons/hicolor/256x256/apps/$icon.png" "$app/$icon.png"
ln -s "$icon.png" "$app/.DirIcon"
for doc in "$@"; do install -m 644 "$doc" "$app/usr/share/doc/$program/"; done

# -all-time/-mkfs-time 0, -root-owned and -no-xattrs leave nothing of this machine or moment in the image.
mksquashfs "$app" "$tmp/fs.squashfs" -comp zstd -root-owned -mkfs-time 0 -all-time 0 -no-xattrs -noappend \
  -quiet -no-progress >/dev/null
cat "$runtime" "$tmp/fs.squashfs" >"$out.tmp"
chmod 755 "$out.tmp"
mv "$out.tmp" "$out"
