# shellcheck shell=bash
# Helpers that the packaging scripts source: where things are, tool checks with the Debian package to install,
# the numeric version, icons rendered from assets/tandem.svg, checksums, and the Windows resource, MSI and exe
# steps that both package-windows and check-packaging run. Sourcing sets root and shared, and runs nothing else.

# The repository root, and ../shared beside it (material handed to the project: the AppImage runtime sources).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
shared=${TANDEM_SHARED:-$(cd "$root/.." && pwd)/shared}

# die MESSAGE...: prints "package: MESSAGE" on stderr and exits 1.
die() {
  echo "package: $*" >&2
  exit 1
}

# need TOOL PACKAGE: fails with a clear message when TOOL is not on PATH. PACKAGE is a Debian package's name, or
# (with a space in it) a sentence that says where the tool comes from.
need() {
  command -v "$1" >/dev/null 2>&1 && return
  case $2 in
    *' '*) die "'$1' is missing: install $2" ;;
    *) die "'$1' is missing: install the Debian package $2 ('make deps' installs what the packaging needs)" ;;
  esac
}

# numeric_version VERSION: the leading MAJOR.MINOR.PATCH of VERSION (0.1.0-dev+abc123 -> 0.1.0), which is what
# MSI ProductVersion, Windows version resources and CFBundleVersion accept. Fails on anything else.
numeric_version() {
  local v=${1#v}
  [[ $v =~ ^([0-9]+)\.([0-9]+)\.([0-9]+) ]] || die "version '$1' does not start with MAJOR.MINOR.PATCH"
  echo "${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
}

# render_png SIZE OUT: assets/tandem.svg as a SIZE×SIZE PNG.
render_png() {
  need rsvg-convert librsvg2-bin
  rsvg-convert -w "$1" -h "$1" -o "$2" "$root/assets/tandem.svg"
}

# render_ico OUT: a Windows icon with 16 to 256 pixel images (the 256 one stored as PNG, as Windows expects).
render_ico() {
  need icotool icoutils
  local dir s pngs=()
  dir=$(mktemp -d)
  for s in 16 24 32 48 64; do
    render_png "$s" "$dir/$s.png"
    pngs+=("$dir/$s.png")
  done
  render_png 256 "$dir/256.png"
  icotool -c -o "$1" "${pngs[@]}" -r "$dir/256.png"
  rm -rf "$dir"
}

# render_icns OUT: a macOS icon (.icns) made of PNG images from 16 to 1024 pixels. Plain bash (3.2 too, for
# macOS), so that a Mac needs no iconutil step and Linux can check the .app layout with the real file.
render_icns() {
  local dir entry type size entries="" total=8
  dir=$(mktemp -d)
  for entry in icp4:16 icp5:32 ic11:32 ic12:64 ic07:128 ic13:256 ic08:256 ic14:512 ic09:512 ic10:1024; do
    type=${entry%%:*} size=${entry#*:}
    [ -f "$dir/$size.png" ] || render_png "$size" "$dir/$size.png"
    entries="$entries $type:$size"
    total=$((total + 8 + $(wc -c <"$dir/$size.png")))
  done
  {
    printf icns
    be32 "$total"
    for entry in $entries; do
      type=${entry%%:*} size=${entry#*:}
      printf '%s' "$type"
      be32 $((8 + $(wc -c <"$dir/$size.png")))
      cat "$dir/$size.png"
    done
  } >"$1"
  rm -rf "$dir"
}

# be32 N: N as four bytes, big-endian.
be32() {
  # shellcheck disable=SC2059 # the format is the bytes
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"
}

# write_sums DIST: DIST/SHA256SUMS for every artifact in DIST (AppImages, MSIs, DMGs), sorted by name.
write_sums() {
  (
    cd "$1" || exit
    shopt -s nullglob
    local files=(*.AppImage *.msi *.dmg)
    [ ${#files[@]} -gt 0 ] || die "no artifacts in $1 to checksum"
    if command -v sha256sum >/dev/null; then sha256sum -- "${files[@]}"; else shasum -a 256 -- "${files[@]}"; fi |
      LC_ALL=C sort -k2 >SHA256SUMS
  )
}

# windows_resource PROGRAM VERSION ICO OUT: OUT is a COFF object (.syso) with PROGRAM's Windows resources: the
# version (packaging/windows/PROGRAM.versioninfo.json, numbers from VERSION), the icon ICO and the manifest.
# goversioninfo runs from the Go module proxy at a pinned version; it is not a dependency in go.mod.
windows_resource() {
  local program=$1 version=$2 ico=$3 out=$4 n major minor patch
  n=$(numeric_version "$version")
  IFS=. read -r major minor patch <<<"$n"
  ${GO:-go} run github.com/josephspurrier/goversioninfo/cmd/goversioninfo@v1.7.0 -64 \
    -icon "$ico" -manifest "$root/packaging/windows/tandem.manifest" -o "$out" \
    -ver-major "$major" -ver-minor "$minor" -ver-patch "$patch" -ver-build 0 \
    -product-ver-major "$major" -product-ver-minor "$minor" -product-ver-patch "$patch" -product-ver-build 0 \
    -file-version "$version" -product-version "$version" "$root/packaging/windows/$program.versioninfo.json"
}

# windows_msi PROGRAM VERSION EXE ICO NOTICE LICENSES OUT: builds PROGRAM's MSI from packaging/windows/PROGRAM.wxs
# with wixl (x64). wixl wants the source files by relative names, so it runs in a folder of links to them.
windows_msi() {
  local program=$1 version=$2 exe=$3 ico=$4 notice=$5 licenses=$6 out=$7 dir
  need wixl wixl
  dir=$(mktemp -d)
  ln -s "$(realpath "$exe")" "$dir/program.exe"
  ln -s "$(realpath "$ico")" "$dir/tandem.ico"
  ln -s "$(realpath "$notice")" "$dir/NOTICE.txt"
  ln -s "$(realpath "$licenses")" "$dir/THIRD-PARTY-LICENSES.txt"
  (cd "$dir" && wixl -a x64 -D Version="$(numeric_version "$version")" -D Exe=program.exe -D Icon=tandem.ico \
    -D Notice=NOTICE.txt -D Licenses=THIRD-PARTY-LICENSES.txt -o program.msi "$root/packaging/windows/$program.wxs")
  mv "$dir/program.msi" "$out"
  rm -rf "$dir"
}

# check_exe_resources EXE: fails unless the Windows program EXE carries an icon, a version and a manifest.
check_exe_resources() {
  need wrestool icoutils
  local list t
  list=$(wrestool -l "$1") || die "$1: not a Windows program with resources"
  for t in group_icon version 24; do
    grep -Eq -- "--type=$t |\[type=$t " <<<"$list" || die "$1: no $t resource (icon, version, manifest) in it"
  done
}
