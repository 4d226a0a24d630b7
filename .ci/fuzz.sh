#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time each (argument: -fuzztime, default 5s).
set -euo pipefail
fuzztime=${1:-5s}
go=${GO:-go}
n=0
for pkg in $($go list ./...); do
  for target in $($go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($fuzztime)"
    out=$(mktemp)
    if ! $go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$out" 2>&1; then
      tail -n 40 "$out" >&2 # the failing input and what it broke (saved under the package's testdata/fuzz)
      rm -f "$out"
      exit 1
    fi
    rm -f "$out"
    n=$((n + 1))
  done
done
[ "$n" -gt 0 ] || { echo "fuzz: no fuzz targets found" >&2; exit 1; }
echo "fuzz: $n targets passed"
