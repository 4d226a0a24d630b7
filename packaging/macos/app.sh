#!/usr/bin/env bash
# app.sh PROGRAM BINARY VERSION ICNS OUTDIR [DOC...]: assembles OUTDIR/NAME.app for PROGRAM (tandem-customer or
# tandem-expert) from the macOS BINARY (universal, from build-dmg.sh; any file when checking the layout on
# Linux), the icon ICNS and the Info.plist template packaging/macos/PROGRAM.Info.plist with VERSION's
# MAJOR.MINOR.PATCH, and copies the DOC files (notices, licences) into Contents/Resources. Prints the .app's path.
# Runs with macOS's bash 3.2 and on Linux alike.
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
[ $# -ge 5 ] || die "usage: app.sh PROGRAM BINARY VERSION ICNS OUTDIR [DOC...]"
program=$1 binary=$2 version=$3 icns=$4 outdir=$5
shift 5
template=$root/packaging/macos/$program.Info.plist
[ -f "$template" ] || die "no Info.plist template for $program ($template)"
n=$(numeric_version "$version")
name=$(sed -n '/<key>CFBundleName<\/key>/{n;s/.*<string>\(.*\)<\/string>.*/\1/p;}' "$template")
[ -n "$name" ] || die "$template: no CFBundleName"

app=$outdir/$name.app
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
sed "s/@VERSION@/$n/g" "$template" >"$app/Contents/Info.plist"
printf 'APPL????' >"$app/Contents/PkgInfo"
cp "$binary" "$app/Contents/MacOS/$program"
chmod 755 "$app/Contents/MacOS/$program"
cp "$icns" "$app/Contents/Resources/tandem.icns"
for doc in "$@"; do cp "$doc" "$app/Contents/Resources/"; done
echo "$app"
