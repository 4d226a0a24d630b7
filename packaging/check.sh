#!/usr/bin/env bash
# check.sh: `make check-packaging`, part of `make test`. Checks every packaging step in seconds, with small
# stand-ins for the programs (no slow cross build, no real key):
#   Linux    the .desktop files validate; the AppImage runtime builds from ../shared/third_party; a stand-in
#            program wrapped as an AppImage runs with --appimage-extract-and-run (and through FUSE where this
#            machine allows it) with its arguments and $APPIMAGE; the same inputs give the same bytes twice;
#            APPIMAGE_RUNTIME is checked before use.
#   Windows  a stand-in exe (pure Go, cross-built in seconds) gets the icon, version and manifest resources;
#            it and both MSIs (wixl, from the real .wxs files) are signed with a throwaway TEST certificate and
#            verify, a changed byte makes verification fail, and the MSIs' tables are right (check-msi.sh).
#   macOS    both .app bundles are assembled with app.sh and their layout and Info.plist checked (check-app.sh).
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/lib.sh"
go=${GO:-go}
for t in gcc:gcc mksquashfs:squashfs-tools desktop-file-validate:desktop-file-utils wixl:wixl msiinfo:msitools \
  osslsigncode:osslsigncode openssl:openssl rsvg-convert:librsvg2-bin icotool:icoutils wrestool:icoutils \
  plistutil:libplist-utils xmllint:libxml2-utils; do
  need "${t%%:*}" "${t#*:}"
done
need "$go" "Go 1.26 (the version in go.mod)"

start=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
step() { echo "check-packaging: $*"; }

if command -v shellcheck >/dev/null; then
  shellcheck -x packaging/*.sh packaging/*/*.sh packaging/linux/AppRun
  step "shellcheck: the packaging scripts are clean"
fi

# --- Linux -------------------------------------------------------------------------------------------------
desktop-file-validate packaging/linux/*.desktop
grep -qx 'Exec=tandem-customer %u' packaging/linux/tandem-customer.desktop || die "tandem-customer.desktop: Exec must pass the link (%u)"
grep -qx 'MimeType=x-scheme-handler/tandem;' packaging/linux/tandem-customer.desktop || die "tandem-customer.desktop: no tandem:// MimeType"
! grep -q '^MimeType=' packaging/linux/tandem-expert.desktop || die "tandem-expert.desktop must not claim tandem:// links"
step ".desktop files valid; Tandem Customer handles tandem:// links"

APPIMAGE_RUNTIME='' bash packaging/linux/runtime.sh "$tmp/runtime"
if APPIMAGE_RUNTIME=/bin/true bash packaging/linux/runtime.sh "$tmp/not-a-runtime" 2>/dev/null; then
  die "runtime.sh accepted APPIMAGE_RUNTIME=/bin/true, which is no AppImage runtime"
fi
APPIMAGE_RUNTIME=$tmp/runtime bash packaging/linux/runtime.sh "$tmp/runtime-copy"
cmp -s "$tmp/runtime" "$tmp/runtime-copy" || die "APPIMAGE_RUNTIME was not used as it is"
step "AppImage runtime built from $shared/third_party/appimage-runtime ($(du -k "$tmp/runtime" | cut -f1) KiB); APPIMAGE_RUNTIME checked"

mkdir -p "$tmp/linux"
cat >"$tmp/standin.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    printf("stand-in");
    for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
    printf(" APPIMAGE=%s\n", getenv("APPIMAGE") ? getenv("APPIMAGE") : "");
    return 0;
}
EOF
gcc -O2 -o "$tmp/linux/tandem-customer" "$tmp/standin.c"
bash packaging/linux/appimage.sh "$tmp/runtime" "$tmp/linux/tandem-customer" packaging/linux/tandem-customer.desktop \
  "$tmp/a.AppImage" NOTICE
touch -d '2001-02-03 04:05:06' "$tmp/linux/tandem-customer" # another time, which must not matter
bash packaging/linux/appimage.sh "$tmp/runtime" "$tmp/linux/tandem-customer" packaging/linux/tandem-customer.desktop \
  "$tmp/b.AppImage" NOTICE
cmp -s "$tmp/a.AppImage" "$tmp/b.AppImage" || die "two AppImages of the same inputs differ: the build is not reproducible"
step "stand-in AppImage built twice, same bytes ($(sha256sum "$tmp/a.AppImage" | cut -c1-16)…, $(du -k "$tmp/a.AppImage" | cut -f1) KiB)"

link='tandem://join?addr=127.0.0.1:4433&key=123456789'
want="stand-in [$link] [two words] APPIMAGE=$tmp/a.AppImage"
got=$(TMPDIR=$tmp timeout 60 "$tmp/a.AppImage" --appimage-extract-and-run "$link" "two words")
[ "$got" = "$want" ] || die "the AppImage (extract-and-run) said '$got', not '$want'"
[ "$(TMPDIR=$tmp "$tmp/a.AppImage" --appimage-offset)" = "$(wc -c <"$tmp/runtime")" ] || die "--appimage-offset is not the runtime's size"
step "stand-in AppImage runs with --appimage-extract-and-run and gets the link and \$APPIMAGE"
if [ -r /dev/fuse ] && [ -w /dev/fuse ] && { [ "$(id -u)" = 0 ] || command -v fusermount3 >/dev/null; }; then
  got=$(TMPDIR=$tmp timeout 60 "$tmp/a.AppImage" "$link" "two words")
  [ "$got" = "$want" ] || die "the AppImage (FUSE) said '$got', not '$want'"
  step "stand-in AppImage runs through FUSE too"
else
  step "FUSE is not usable here (no /dev/fuse access or fusermount3): the FUSE run is skipped"
fi

# --- Windows -----------------------------------------------------------------------------------------------
win=$tmp/windows
mkdir -p "$win/standin"
render_ico "$win/tandem.ico"
icotool -l "$win/tandem.ico" | grep -q -- '--width=256 ' || die "the .ico has no 256-pixel image"
cat >"$win/standin/go.mod" <<'EOF'
module standin

go 1.26
EOF
echo 'package main

func main() {}' >"$win/standin/main.go"
windows_resource tandem-customer 1.2.3-check "$win/tandem.ico" "$win/standin/resource_windows_amd64.syso"
(cd "$win/standin" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $go build -trimpath \
  -ldflags '-s -w -H windowsgui' -o ../standin.exe .)
check_exe_resources "$win/standin.exe"
step "stand-in exe built with icon, version and manifest resources"

export SIGN_TEST_DIR=$tmp/test-signing
unset SIGN_PFX SIGN_PASS SIGN_TIMESTAMP_URL
bash packaging/windows/sign.sh "Tandem check" "$win/standin.exe" 2>/dev/null
cp "$win/standin.exe" "$win/tampered.exe"
printf 'X' | dd of="$win/tampered.exe" bs=1 seek=$(($(wc -c <"$win/tampered.exe") / 2)) conv=notrunc status=none
if osslsigncode verify -CAfile "$SIGN_TEST_DIR/tandem-TEST-codesign-cert.pem" -in "$win/tampered.exe" >/dev/null 2>&1; then
  die "osslsigncode verified an exe with a changed byte"
fi
step "stand-in exe signed with a throwaway TEST certificate and verified; a changed byte fails verification"
echo "throwaway notice" >"$win/notice.txt"
for program in tandem-customer tandem-expert; do
  windows_msi "$program" 1.2.3-check "$win/standin.exe" "$win/tandem.ico" "$win/notice.txt" "$win/notice.txt" "$win/$program.msi"
  bash packaging/windows/sign.sh "Tandem check" "$win/$program.msi" 2>/dev/null
  msiinfo streams "$win/$program.msi" | grep -q "DigitalSignature$" || die "$program.msi has no signature stream"
  bash packaging/windows/check-msi.sh "$program" "$win/$program.msi"
done
step "both MSIs built by wixl, signed and verified"

# --- macOS -------------------------------------------------------------------------------------------------
mkdir -p "$tmp/macos"
render_icns "$tmp/macos/tandem.icns"
for program in tandem-customer tandem-expert; do
  bash packaging/macos/app.sh "$program" "$tmp/linux/tandem-customer" 1.2.3-check "$tmp/macos/tandem.icns" "$tmp/macos" NOTICE >/dev/null
done
bash packaging/macos/check-app.sh "$tmp/macos/"*.app
if [ "$(uname -s)" != Darwin ]; then
  if bash packaging/macos/build-dmg.sh >"$tmp/dmg.log" 2>&1 || ! grep -q 'needs a Mac' "$tmp/dmg.log"; then
    die "build-dmg.sh did not say that it needs a Mac: $(cat "$tmp/dmg.log")"
  fi
  step "build-dmg.sh says that it needs a Mac"
fi

step "all checks passed in $(($(date +%s) - start)) s"
