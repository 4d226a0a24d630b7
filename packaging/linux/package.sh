#!/usr/bin/env bash
# package.sh: `make package-linux`. Builds both programs (cgo, stripped, -trimpath), wraps each as an AppImage in
# dist/ (tandem-customer-VERSION-x86_64.AppImage, tandem-expert-VERSION-x86_64.AppImage) and rewrites
# dist/SHA256SUMS. Environment: VERSION and LDFLAGS (from the Makefile), GO, DIST (default dist),
# APPIMAGE_RUNTIME (an official runtime instead of the one built from ../shared/third_party).
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
: "${VERSION:?VERSION is not set (make package-linux sets it)}"
go=${GO:-go}
dist=${DIST:-$root/dist}
work=$root/bin/package/linux
arch=$(uname -m)
[ "$arch" = x86_64 ] || die "package-linux builds x86_64 AppImages and this machine is $arch"
need "$go" "Go 1.26 (the version in go.mod)"
cd "$root"
mkdir -p "$work" "$dist"
rm -f "$dist"/*.AppImage

start=$(date +%s)
bash packaging/linux/runtime.sh "$work/runtime"
mv "$work/runtime.licenses" "$work/RUNTIME-LICENSES.txt"
bash packaging/licenses.sh "$work/THIRD-PARTY-LICENSES.txt" ./customer ./expert
for program in tandem-customer tandem-expert; do
  t=$(date +%s)
  CGO_ENABLED=1 $go build -trimpath -ldflags "${LDFLAGS:-} -s -w" -o "$work/$program" "./${program#tandem-}"
  out=$dist/$program-$VERSION-$arch.AppImage
  bash packaging/linux/appimage.sh "$work/runtime" "$work/$program" "packaging/linux/$program.desktop" "$out" \
    NOTICE "$work/THIRD-PARTY-LICENSES.txt" "$work/RUNTIME-LICENSES.txt"
  echo "package-linux: $(basename "$out"): $(du -k "$out" | cut -f1) KiB, $(($(date +%s) - t)) s"
done
write_sums "$dist"
echo "package-linux: done in $(($(date +%s) - start)) s; $dist/SHA256SUMS:"
cat "$dist/SHA256SUMS"
