#!/usr/bin/env bash
# licenses.sh OUT PACKAGE...: writes to OUT the licence texts of every Go module that the PACKAGEs link in (for the
# GOOS and CGO_ENABLED of the environment), taken from the module cache, for shipping beside the binaries.
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || die "usage: licenses.sh OUT PACKAGE..."
out=$1
shift
go=${GO:-go}
main=$(cd "$root" && $go list -m)
{
  echo "Third-party Go code in these programs, with its licences (the programs themselves: see NOTICE)."
  printf '\n==== Go standard library and runtime %s ====\n\n' "$($go env GOVERSION)"
  cat "$($go env GOROOT)/LICENSE"
  (cd "$root" && $go list -deps -f '{{with .Module}}{{.Path}} {{.Version}} {{.Dir}}{{end}}' "$@") | LC_ALL=C sort -u |
    while read -r path version dir; do
      [ "$path" = "$main" ] && continue
      printf '\n==== %s %s ====\n' "$path" "$version"
      found=0
      for f in "$dir"/LICENSE* "$dir"/LICENCE* "$dir"/COPYING* "$dir"/NOTICE* "$dir"/PATENTS*; do
        [ -f "$f" ] || continue
        printf '\n-- %s --\n' "$(basename "$f")"
        cat "$f"
        found=1
      done
      [ $found = 1 ] || echo "(no licence file at the module's root; see its source)"
    done
} >"$out"
