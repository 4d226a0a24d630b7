#!/usr/bin/env bash
# build-dmg.sh: `make package-macos`, on a Mac (macOS 12 or later with the Xcode command-line tools, Go, and
# rsvg-convert from Homebrew's librsvg). For each program: builds arm64 and amd64 (cgo, clang), joins them with
# lipo, assembles the .app with our own Info.plist (app.sh) and checks it (check-app.sh), signs it with the
# hardened runtime, makes a compressed DMG (UDZO) with a link to /Applications, signs, notarizes and staples it
# when the credentials are set, and writes dist/tandem-PROGRAM-VERSION-macos.dmg and dist/SHA256SUMS.
#   MACOS_SIGN_IDENTITY  a "Developer ID Application: ..." identity in the keychain; without it the .app gets an
#                        ad-hoc signature (it runs where it was built; Gatekeeper refuses it elsewhere)
#   NOTARY_PROFILE       a notarytool keychain profile (xcrun notarytool store-credentials), or else
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   the same as separate values; without them: no notarization
# Environment from the Makefile: VERSION, LDFLAGS, GO; DIST (default dist). Written for macOS's bash 3.2.
# On any other system it says that it needs a Mac, and fails.
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
if [ "$(uname -s)" != Darwin ]; then
  cat >&2 <<EOF
package-macos: building the macOS .app and DMG needs a Mac (macOS 12+ with the Xcode command-line tools):
there is no macOS SDK, codesign, notarization or DMG writer on $(uname -s). Run 'make package-macos' on a Mac or
a macOS CI runner. Here, 'make check-packaging' checks the .app layout and both Info.plist files.
EOF
  exit 1
fi
: "${VERSION:?VERSION is not set (make package-macos sets it)}"
numeric_version "$VERSION" >/dev/null # MSI, version resources and Info.plist need MAJOR.MINOR.PATCH
go=${GO:-go}
dist=${DIST:-$root/dist}
work=$root/bin/package/macos
need "$go" "Go (https://go.dev/dl/)"
for t in clang lipo codesign hdiutil xcrun; do need "$t" "Xcode command-line tools (xcode-select --install)"; done
need rsvg-convert "librsvg (brew install librsvg)"
identity=${MACOS_SIGN_IDENTITY:-}
notarize=""
if [ -n "${NOTARY_PROFILE:-}" ] || [ -n "${APPLE_ID:-}" ]; then
  [ -n "$identity" ] || die "notarization needs a Developer ID signature: set MACOS_SIGN_IDENTITY too"
  notarize=yes
fi

cd "$root"
rm -rf "$work"
mkdir -p "$work" "$dist"
rm -f "$dist"/*.dmg
start=$(date +%s)
render_icns "$work/tandem.icns"
GOOS=darwin CGO_ENABLED=1 bash packaging/licenses.sh "$work/THIRD-PARTY-LICENSES.txt" ./customer ./expert
export MACOSX_DEPLOYMENT_TARGET=12.0
for program in tandem-customer tandem-expert; do
  for arch in arm64 amd64; do
    CGO_ENABLED=1 GOOS=darwin GOARCH=$arch CC=clang CGO_CFLAGS="-O2 -mmacosx-version-min=12.0" \
      CGO_LDFLAGS="-mmacosx-version-min=12.0" \
      $go build -trimpath -ldflags "${LDFLAGS:-} -s -w" -o "$work/$program-$arch" "./${program#tandem-}"
  done
  lipo -create -output "$work/$program" "$work/$program-arm64" "$work/$program-amd64"
  app=$(bash packaging/macos/app.sh "$program" "$work/$program" "$VERSION" "$work/tandem.icns" "$work/app" \
    NOTICE "$work/THIRD-PARTY-LICENSES.txt")
  bash packaging/macos/check-app.sh "$app"
  name=$(basename "$app" .app)

  if [ -n "$identity" ]; then
    codesign --force --options runtime --timestamp --sign "$identity" "$app"
  else
    echo "package-macos: no MACOS_SIGN_IDENTITY: $name.app gets an ad-hoc signature (not for distribution)" >&2
    codesign --force --sign - "$app"
  fi
  codesign --verify --strict --verbose=1 "$app"

  staging=$work/dmg-$program
  mkdir -p "$staging"
  ditto "$app" "$staging/$name.app"
  ln -s /Applications "$staging/Applications"
  dmg=$dist/$program-$VERSION-macos.dmg
  hdiutil create -volname "$name" -srcfolder "$staging" -ov -format UDZO "$dmg" >/dev/null
  if [ -n "$identity" ]; then
    codesign --force --timestamp --sign "$identity" "$dmg"
  fi
  if [ -n "$notarize" ]; then
    if [ -n "${NOTARY_PROFILE:-}" ]; then
      xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
    else
      : "${APPLE_TEAM_ID:?APPLE_TEAM_ID is needed with APPLE_ID}" "${APPLE_APP_PASSWORD:?APPLE_APP_PASSWORD is needed with APPLE_ID}"
      xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" --wait
    fi
    xcrun stapler staple "$dmg"
  else
    echo "package-macos: no NOTARY_PROFILE or APPLE_ID: $(basename "$dmg") is not notarized" >&2
  fi
  echo "package-macos: $(basename "$dmg"): $(du -k "$dmg" | cut -f1) KiB"
done
write_sums "$dist"
echo "package-macos: done in $(($(date +%s) - start)) s"
cat "$dist/SHA256SUMS"
