#!/usr/bin/env bash
# check-msi.sh PROGRAM MSI: checks the tables of PROGRAM's MSI with msiinfo (the exe cannot run under Debian's
# Wine): x64 per-machine package, the UpgradeCode of packaging/windows/PROGRAM.wxs with both MajorUpgrade rows,
# the exe in a 64-bit component under Program Files, the Start-menu shortcut to it, and the tandem:// handler
# under HKLM\Software\Classes\tandem for Tandem Customer only, with the InstallDir and ProductCode values that
# its self-removal reads, and the custom action that removes unattended access with the product.
set -euo pipefail
# shellcheck source=packaging/lib.sh
source "$(dirname "$0")/../lib.sh"
[ $# -eq 2 ] || die "usage: check-msi.sh PROGRAM MSI"
program=$1 msi=$2
need msiinfo msitools
fail() { die "$(basename "$msi"): $*"; }
# table NAME: the rows of table NAME, tab-separated, without the three header lines or carriage returns.
table() { msiinfo export "$msi" "$1" | tr -d '\r' | tail -n +4; }
# has_row NAME COLUMNS...: true when table NAME has a row whose columns from the second on are COLUMNS.
has_row() {
  local t=$1
  shift
  local want
  want=$(printf '%s\t' "$@")
  table "$t" | cut -f2- | sed 's/$/\t/' | grep -qxF -- "$want"
}

upgrade=$(sed -n 's/.*UpgradeCode="\([0-9A-F-]*\)".*/\1/p' "$root/packaging/windows/$program.wxs")
[ -n "$upgrade" ] || die "no UpgradeCode in packaging/windows/$program.wxs"
exe_id=$(sed -n 's/.*<File Id="\([A-Za-z]*\)" Name="'"$program"'.exe".*/\1/p' "$root/packaging/windows/$program.wxs")
[ -n "$exe_id" ] || die "no File for $program.exe in packaging/windows/$program.wxs"

msiinfo suminfo "$msi" | tr -d '\r' | grep -qx 'Template: x64;1033' || fail "not an x64 package"
table Property | grep -qxF "$(printf 'ALLUSERS\t1')" || fail "not a per-machine package (ALLUSERS is not 1)"
table Upgrade | grep -q "^{$upgrade}"$'\t.*\tWIX_UPGRADE_DETECTED$' || fail "no upgrade row for UpgradeCode $upgrade"
table Upgrade | grep -q "^{$upgrade}"$'\t.*\tWIX_DOWNGRADE_DETECTED$' || fail "no downgrade row for UpgradeCode $upgrade"
table LaunchCondition | grep -q '^NOT WIX_DOWNGRADE_DETECTED'$'\t' || fail "a downgrade is not refused"
table File | awk -F'\t' -v id="$exe_id" -v name="$program.exe" '$1 == id && $3 == name { ok = 1 } END { exit !ok }' ||
  fail "no $program.exe in the File table"
table Directory | grep -q $'^INSTALLDIR\tProgramFiles64Folder\t' || fail "not installed under Program Files (64-bit)"
table Component | awk -F'\t' '{ if (int($4 / 256) % 2 != 1) bad = 1 } END { exit bad }' || fail "a component is not 64-bit"
table Shortcut | awk -F'\t' -v target="[#$exe_id]" '$2 == "ProgramMenuFolder" && $5 == target { ok = 1 } END { exit !ok }' ||
  fail "no Start-menu shortcut to $program.exe"

classes=$(table Registry | cut -f2- | grep -F 'Software\Classes\tandem' || true)
if [ "$program" = tandem-customer ]; then
  has_row Registry 2 'Software\Classes\tandem' '' 'URL:Tandem join link' LinkHandler || fail "no tandem URL class"
  has_row Registry 2 'Software\Classes\tandem' 'URL Protocol' '' LinkHandler || fail "no 'URL Protocol' value"
  has_row Registry 2 'Software\Classes\tandem\shell\open\command' '' "\"[#$exe_id]\" \"%1\"" LinkHandler ||
    fail "the tandem:// handler does not start $program.exe with the link"
  has_row Registry 2 'Software\Tandem\Tandem Customer' InstallDir '[INSTALLDIR]' InstallRecord ||
    fail "no InstallDir for the program's self-removal"
  has_row Registry 2 'Software\Tandem\Tandem Customer' ProductCode '[ProductCode]' InstallRecord ||
    fail "no ProductCode for the program's self-removal"
  # Uninstalling removes unattended access first: the exe runs "agent uninstall" as the system (deferred, not
  # impersonated: 18 + 1024 + 2048 + 64 for "ignore its exit status"), before the files go, only on a removal.
  table CustomAction | awk -F'\t' -v id="$exe_id" '$1 == "RemoveUnattendedAccess" && $3 == id &&
    $4 == "agent uninstall" && $2 == 3154 { ok = 1 } END { exit !ok }' ||
    fail "no custom action that removes unattended access: $(table CustomAction | tr '\t' ' ')"
  table InstallExecuteSequence | grep -qF "$(printf 'RemoveUnattendedAccess\tREMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE')" ||
    fail "removing unattended access is not scheduled on a removal: $(table InstallExecuteSequence | grep -i unattended)"
else
  [ -z "$classes" ] || fail "only Tandem Customer handles tandem:// links, and this package registers: $classes"
fi
echo "check-msi: $(basename "$msi"): x64 per-machine, UpgradeCode $upgrade, shortcut${classes:+, tandem:// handler} ok"
