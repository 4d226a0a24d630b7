#!/usr/bin/env bash
# check-app.sh APP...: checks the layout of each macOS .app bundle and its Info.plist: the plist parses (plistutil,
# or plutil on a Mac) and has the keys a Finder, Launch Services and Gatekeeper need, the executable and the
# icon it names are there, and Tandem Customer (only it) claims the tandem:// scheme.
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
[ $# -ge 1 ] || die "usage: check-app.sh APP..."
need xmllint libxml2-utils
command -v plutil >/dev/null || need plistutil libplist-utils
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for app in "$@"; do
  fail() { die "$(basename "$app"): $*"; }
  plist=$app/Contents/Info.plist
  [ -f "$plist" ] || fail "no Contents/Info.plist"
  # Parse it the way macOS tools do (to binary and back), then read the keys from the result.
  if command -v plutil >/dev/null; then
    plutil -lint "$plist" >/dev/null || fail "Info.plist does not parse"
    plutil -convert xml1 -o "$tmp/Info.xml" "$plist"
  else
    plistutil -i "$plist" -o "$tmp/Info.bin" -f bin || fail "Info.plist does not parse"
    plistutil -i "$tmp/Info.bin" -o "$tmp/Info.xml" -f xml || fail "Info.plist does not convert back"
  fi
  ! grep -q '@[A-Z_]*@' "$plist" || fail "Info.plist still has a template placeholder"
  # key NAME: the value that follows <key>NAME</key> in the top dictionary (for <true/>, "true").
  key() {
    xmllint --nonet --xpath "/plist/dict/key[.='$1']/following-sibling::*[1]" "$tmp/Info.xml" 2>/dev/null |
      sed -e 's/^<true\/>$/true/' -e 's/^<false\/>$/false/' -e 's/^<[a-z]*>\(.*\)<\/[a-z]*>$/\1/'
  }
  for k in CFBundleName CFBundleDisplayName CFBundleExecutable CFBundleIdentifier CFBundleIconFile \
    CFBundleShortVersionString CFBundleVersion LSMinimumSystemVersion; do
    [ -n "$(key "$k")" ] || fail "Info.plist has no $k"
  done
  [ "$(key CFBundlePackageType)" = APPL ] || fail "CFBundlePackageType is not APPL"
  [ "$(key CFBundleInfoDictionaryVersion)" = 6.0 ] || fail "CFBundleInfoDictionaryVersion is not 6.0"
  [ "$(key NSHighResolutionCapable)" = true ] || fail "NSHighResolutionCapable is not true"
  for k in CFBundleShortVersionString CFBundleVersion LSMinimumSystemVersion; do
    key "$k" | grep -Eqx '[0-9]+(\.[0-9]+){1,2}' || fail "$k is not a version number: $(key "$k")"
  done
  id=$(key CFBundleIdentifier)
  [[ $id =~ ^org\.tandem-remote\.[a-z]+$ ]] || fail "CFBundleIdentifier $id is not org.tandem-remote.NAME"

  exe=$app/Contents/MacOS/$(key CFBundleExecutable)
  if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then fail "the executable Contents/MacOS/$(key CFBundleExecutable) is missing"; fi
  icon=$(key CFBundleIconFile)
  icon=$app/Contents/Resources/${icon%.icns}.icns
  [ -f "$icon" ] || fail "the icon $icon is missing"
  [ "$(head -c 4 "$icon")" = icns ] || fail "$icon is not an .icns file"
  [ "$(head -c 8 "$icon" | tail -c 4 | od -An -tu1 | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')" = \
    "$(wc -c <"$icon" | tr -d ' ')" ] || fail "$icon: its length field does not match the file"
  [ "$(cat "$app/Contents/PkgInfo" 2>/dev/null)" = 'APPL????' ] || fail "Contents/PkgInfo is not APPL????"

  schemes=$(xmllint --nonet --xpath "/plist/dict/key[.='CFBundleURLTypes']/following-sibling::*[1]/dict/key[.='CFBundleURLSchemes']/following-sibling::*[1]/string/text()" "$tmp/Info.xml" 2>/dev/null || true)
  if [ "$id" = org.tandem-remote.customer ]; then
    grep -qx tandem <<<"$schemes" || fail "Tandem Customer does not claim the tandem:// scheme (CFBundleURLTypes)"
  else
    [ -z "$schemes" ] || fail "$id claims URL schemes ($schemes): only Tandem Customer handles tandem:// links"
  fi
  echo "check-app: $(basename "$app"): $id $(key CFBundleShortVersionString), layout and Info.plist ok${schemes:+, scheme $schemes}"
done
