#!/usr/bin/env bash
# md2man.sh — turn one of docs/*.md into a man page with go-md2man (Debian
# go-md2man). The markdown stays readable as a document; this script only adds
# the man page's title line, a NAME section when the document has none, and
# drops the targets of links between documents (a man page cannot follow them).
#
#   tools/md2man.sh SRC.md NAME SECTION "one-line description" OUT
set -euo pipefail
src=$1 name=$2 sec=$3 desc=$4 out=$5
version=$(sed -n 's/^#define FLOWMOB_VERSION "\(.*\)"/\1/p' agent/core/version.h)
date=$(git log -1 --format=%cs -- "$src" 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
case $sec in
1) manual="User Commands" ;;
5) manual="File Formats" ;;
8) manual="System Administration" ;;
*) manual="flowmob" ;;
esac
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	printf '# %s %s "%s" "flowmob %s" "%s"\n\n' "$name" "$sec" "$date" "$version" "$manual"
	if ! grep -q '^## NAME' "$src"; then
		printf '## NAME\n\n%s \\- %s\n\n' "$name" "$desc"
	fi
	# drop the document's own first heading; [text](other.md#x) -> text
	# whatis wants "name \- description" in NAME
	sed -e '1{/^# /d}' -e 's/^\([A-Za-z0-9._-]*\) — /\1 \\- /' \
		-e 's/\[\([^]]*\)\]([^)]*\.md\(#[^)]*\)\{0,1\})/\1/g' \
		-e 's/\[\([^]]*\)\](\(examples\/[^)]*\))/\1/g' "$src"
} >"$tmp"
mkdir -p "$(dirname "$out")"
go-md2man -in "$tmp" -out "$out"
