#!/usr/bin/env bash
# package.sh: `make package-windows`. Cross-builds both programs for Windows x64 with cgo and MinGW-w64 (GUI
# subsystem, stripped), with icon, version and manifest resources; signs each exe, builds its MSI with wixl, signs
# the MSI, verifies both signatures, and writes dist/tandem-customer-VERSION-x64.msi,
# dist/tandem-expert-VERSION-x64.msi and dist/SHA256SUMS. Environment: VERSION and LDFLAGS (from the Makefile),
# GO, DIST (default dist), and the SIGN_* variables of sign.sh (without them: a throwaway TEST certificate).
# A cold cross-build takes 7-8 minutes on 2 cores; later ones seconds.
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
: "${VERSION:?VERSION is not set (make package-windows sets it)}"
numeric_version "$VERSION" >/dev/null # MSI, version resources and Info.plist need MAJOR.MINOR.PATCH
go=${GO:-go}
dist=${DIST:-$root/dist}
work=$root/bin/package/windows
need "$go" "Go 1.26 (the version in go.mod)"
need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
need msiinfo msitools
cd "$root"
mkdir -p "$work" "$dist"
rm -f "$dist"/*.msi

start=$(date +%s)
render_ico "$work/tandem.ico"
GOOS=windows GOARCH=amd64 CGO_ENABLED=1 bash packaging/licenses.sh "$work/THIRD-PARTY-LICENSES.txt" ./customer ./expert
for program in tandem-customer tandem-expert; do
  name="Tandem $(tr '[:lower:]' '[:upper:]' <<<"${program:7:1}")${program:8}"
  t=$(date +%s)
  windows_resource "$program" "$VERSION" "$work/tandem.ico" "$work/$program.syso"
  # The resources are linked by MinGW's ld as one more object (-extldflags): a .syso in the package folder would
  # do the same, but the build must not write into customer/ or expert/.
  CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
    $go build -trimpath -ldflags "${LDFLAGS:-} -s -w -H windowsgui -linkmode external -extldflags '$work/$program.syso'" \
    -o "$work/$program.exe" "./${program#tandem-}"
  echo "package-windows: $program.exe built in $(($(date +%s) - t)) s, $(du -k "$work/$program.exe" | cut -f1) KiB"
  check_exe_resources "$work/$program.exe"
  bash packaging/windows/sign.sh "$name" "$work/$program.exe"
  out=$dist/$program-$VERSION-x64.msi
  windows_msi "$program" "$VERSION" "$work/$program.exe" "$work/tandem.ico" NOTICE "$work/THIRD-PARTY-LICENSES.txt" "$out"
  bash packaging/windows/sign.sh "$name" "$out"
  bash packaging/windows/check-msi.sh "$program" "$out"
  echo "package-windows: $(basename "$out"): $(du -k "$out" | cut -f1) KiB"
done
write_sums "$dist"
echo "package-windows: done in $(($(date +%s) - start)) s; $dist/SHA256SUMS:"
cat "$dist/SHA256SUMS"
