#!/usr/bin/env bash
# runtime.sh OUT: writes the AppImage type-2 runtime to OUT, and the licences of what it contains to OUT.licenses. With APPIMAGE_RUNTIME=/path/to/runtime it copies
# that one (an official build, say) after checking its magic bytes; otherwise it builds the runtime from the
# sources in ../shared/third_party/appimage-runtime, where they lie (they are not part of this repository): a
# static gcc build against Debian's libsquashfuse-dev and libfuse3-dev, about a second, then strip and write the
# magic bytes "AI\x02" at offset 8. no-lzo.c stands in for the GPL LZO library (see there).
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
out=${1:?usage: runtime.sh OUT}

# has_magic FILE: true when FILE is an ELF file with the AppImage type-2 magic "AI\x02" at offset 8.
has_magic() {
  [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] &&
    [ "$(head -c 11 "$1" | tail -c 3 | od -An -tx1 | tr -d ' \n')" = 414902 ]
}

if [ -n "${APPIMAGE_RUNTIME:-}" ]; then
  [ -f "$APPIMAGE_RUNTIME" ] || die "APPIMAGE_RUNTIME=$APPIMAGE_RUNTIME: no such file"
  has_magic "$APPIMAGE_RUNTIME" || die "APPIMAGE_RUNTIME=$APPIMAGE_RUNTIME is not an AppImage type-2 runtime (no AI\\x02 at offset 8)"
  cp "$APPIMAGE_RUNTIME" "$out"
  chmod 755 "$out"
  echo "The AppImage runtime in this package is $(basename "$APPIMAGE_RUNTIME"), supplied at build time; see its own licence." >"$out.licenses"
  exit 0
fi

src=$shared/third_party/appimage-runtime
[ -f "$src/runtime.c" ] ||
  die "no AppImage runtime sources in $src: put ../shared beside the repository, or set APPIMAGE_RUNTIME=/path/to/runtime"
need gcc gcc
for h in squashfuse/squashfuse.h:libsquashfuse-dev fuse3/fuse.h:libfuse3-dev zstd.h:libzstd-dev lzma.h:liblzma-dev \
  lz4.h:liblz4-dev zlib.h:zlib1g-dev; do
  [ -f "/usr/include/${h%%:*}" ] || die "/usr/include/${h%%:*} is missing: install the Debian package ${h#*:} ('make deps' does)"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The commit is the upstream one the sources come from (../shared/third_party/README.md).
if ! gcc -std=gnu99 -Os -D_FILE_OFFSET_BITS=64 -DGIT_COMMIT='"caf24f9"' \
  -I"$src/include" -I/usr/include/squashfuse -I/usr/include/fuse3 \
  -T "$src/data_sections.ld" -ffunction-sections -fdata-sections -Wl,--gc-sections -static \
  "$src/runtime.c" "$root/packaging/linux/no-lzo.c" -o "$tmp/runtime" \
  -lsquashfuse_ll -lsquashfuse -lfuse3 -lzstd -llzma -llz4 -lz -lpthread -ldl >"$tmp/log" 2>&1; then
  cat "$tmp/log" >&2
  die "building the AppImage runtime from $src failed"
fi
strip --strip-debug --strip-unneeded "$tmp/runtime"
printf 'AI\002' | dd of="$tmp/runtime" bs=1 seek=8 conv=notrunc status=none
has_magic "$tmp/runtime" || die "the runtime built from $src has no AppImage magic"
mv "$tmp/runtime" "$out"

# The licences: the sources' own, then Debian's copyright file of each library linked in.
{
  echo "Licences of the AppImage runtime at the start of this file (see also NOTICE)."
  for f in "$src"/LICENSE.*; do printf '\n==== %s ====\n\n' "$(basename "$f")" && cat "$f"; done
  for p in libfuse3-dev libsquashfuse-dev libc6-dev libzstd-dev liblz4-dev liblzma-dev zlib1g-dev; do
    printf '\n==== Debian package %s %s ====\n\n' "$p" "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)"
    cat "/usr/share/doc/$p/copyright" 2>/dev/null || echo "(see the copyright file of Debian's $p)"
  done
} >"$out.licenses"
