#!/usr/bin/env bash
# sign.sh DESCRIPTION FILE...: Authenticode-signs each FILE (.exe or .msi) in place with osslsigncode (SHA-256),
# then checks the signature with `osslsigncode verify`.
#   SIGN_PFX, SIGN_PASS   the PKCS#12 file with the code-signing key and certificate, and its password
#   SIGN_CAFILE           the CA bundle that verifies it (default: the system's)
#   SIGN_TIMESTAMP_URL    an RFC 3161 time-stamping server (optional; needs the network)
# Without SIGN_PFX the files are signed with a throwaway, self-signed TEST certificate ("Tandem TEST code signing
# - self-signed, not trusted"), made once in SIGN_TEST_DIR (default bin/package/test-signing) and verified against
# itself: good for checking the steps, never for shipping (Windows says "Unknown publisher").
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
[ $# -ge 2 ] || die "usage: sign.sh DESCRIPTION FILE..."
description=$1
shift
need osslsigncode osslsigncode

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
verify=()
if [ -n "${SIGN_PFX:-}" ]; then
  [ -f "$SIGN_PFX" ] || die "SIGN_PFX=$SIGN_PFX: no such file"
  (umask 077 && printf '%s' "${SIGN_PASS:-}" >"$tmp/pass")
  key=(-pkcs12 "$SIGN_PFX" -readpass "$tmp/pass")
  [ -z "${SIGN_CAFILE:-}" ] || verify=(-CAfile "$SIGN_CAFILE")
else
  need openssl openssl
  dir=${SIGN_TEST_DIR:-$root/bin/package/test-signing}
  cert=$dir/tandem-TEST-codesign-cert.pem
  keyfile=$dir/tandem-TEST-codesign-key.pem
  if [ ! -s "$cert" ] || [ ! -s "$keyfile" ] || ! openssl x509 -checkend 86400 -noout -in "$cert" >/dev/null; then
    mkdir -p "$dir"
    (umask 077 && openssl req -x509 -newkey rsa:3072 -nodes -days 30 -keyout "$keyfile" -out "$cert" \
      -subj "/CN=Tandem TEST code signing - self-signed, not trusted/O=Tandem test certificate" \
      -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
      -addext "basicConstraints=critical,CA:FALSE" >"$tmp/log" 2>&1) || { cat "$tmp/log" >&2; die "openssl could not make the test certificate"; }
  fi
  echo "sign: no SIGN_PFX, signing with the throwaway TEST certificate $cert" >&2
  key=(-certs "$cert" -key "$keyfile")
  verify=(-CAfile "$cert")
fi
timestamp=()
[ -z "${SIGN_TIMESTAMP_URL:-}" ] || timestamp=(-ts "$SIGN_TIMESTAMP_URL")

for f in "$@"; do
  osslsigncode sign "${key[@]}" "${timestamp[@]}" -h sha256 -n "$description" \
    -i https://github.com/tandem-remote/tandem -in "$f" -out "$tmp/signed" >"$tmp/log" 2>&1 ||
    { cat "$tmp/log" >&2; die "osslsigncode could not sign $f"; }
  mv "$tmp/signed" "$f"
  osslsigncode verify "${verify[@]}" -in "$f" >"$tmp/log" 2>&1 ||
    { cat "$tmp/log" >&2; die "the signature of $f does not verify"; }
  echo "sign: $(basename "$f") signed and verified" >&2
done
