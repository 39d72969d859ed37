#!/usr/bin/env bash
# Takes the README's screenshots: home, partners, a partner, the matrix, the
# map, activities, agreements, units, the statistics, the mobility import
# page and an agreement's workflow, in Japanese and English,
# at 390 px and 1280 px wide, into docs/screenshots/. Needs Debian's
# chromium and fonts-noto-cjk (without the font every Japanese character
# renders as an empty box).
set -euo pipefail
cd "$(dirname "$0")/.."

for need in chromium fc-list; do
  command -v "$need" >/dev/null || { echo "screenshots: install chromium and fonts-noto-cjk first (apt-get install chromium fonts-noto-cjk)"; exit 1; }
done
fc-list | grep -i 'Noto Sans CJK' >/dev/null || { echo "screenshots: install fonts-noto-cjk first"; exit 1; }

tmp=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/partnerhub" ./cmd/partnerhub
port=18181
# Synthetic mobility figures (made up here, for the statistics screenshots
# only): every partner, 2014–2024, both directions, three categories.
awk 'BEGIN {
  srand(7); print "partner,year,direction,category,programme,count"
  n = split("pku snu anu cambridge ucb ethz stockholm tsinghua tum chile-mexico ytu vnu ntu uchicago paris princeton", p, " ")
  split("undergraduate graduate faculty", c, " ")
  for (y = 2014; y <= 2024; y++) for (i = 1; i <= n; i++) for (d = 0; d < 2; d++) for (k = 1; k <= 3; k++) {
    base = (i <= 3 ? 14 : 5); if (y == 2020 || y == 2021) base = int(base / 4)
    printf "%s,%d,%s,%s,exchange,%d\n", p[i], y, (d ? "inbound" : "outbound"), c[k], base + int(rand() * base)
  }
}' > "$tmp/figures.csv"
"$tmp/partnerhub" migrate -db "sqlite:$tmp/shots.db" >/dev/null
"$tmp/partnerhub" import mobility -q -db "sqlite:$tmp/shots.db" "$tmp/figures.csv" >/dev/null
"$tmp/partnerhub" serve -addr "127.0.0.1:$port" -db "sqlite:$tmp/shots.db" 2>"$tmp/log" &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

shot() { # name path width height
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$tmp/profile-$1-$3" \
    --window-size="$3,$4" --screenshot="docs/screenshots/$1.png" "http://127.0.0.1:$port$2" 2>/dev/null
  echo "docs/screenshots/$1.png"
}
for lang in en ja; do
  for width in 1280 390; do
    height=$([ "$width" = 390 ] && echo 1500 || echo 1300)
    shot "home-$lang-$width" "/$lang/" "$width" "$height"
    shot "partners-$lang-$width" "/$lang/partners" "$width" "$height"
    shot "partner-$lang-$width" "/$lang/partners/ntu" "$width" "$height"
    shot "matrix-$lang-$width" "/$lang/matrix" "$width" "$height"
    shot "map-$lang-$width" "/$lang/map" "$width" "$height"
    shot "activities-$lang-$width" "/$lang/activities" "$width" "$height"
    shot "agreements-$lang-$width" "/$lang/agreements" "$width" "$height"
    shot "units-$lang-$width" "/$lang/units" "$width" "$height"
    shot "stats-$lang-$width" "/$lang/stats" "$width" "$([ "$width" = 390 ] && echo 2400 || echo 2000)"
    shot "stats-partner-$lang-$width" "/$lang/stats/partners/snu" "$width" "$([ "$width" = 390 ] && echo 2400 || echo 2000)"
  done
done
# The mobility import and documents pages need a signed-in user: the browser tests sign in
# and take their pictures.
PARTNERHUB_SCREENSHOTS="$PWD/docs/screenshots" go test -count=1 -run 'TestBrowserEditing$|TestBrowserMobilityImport$|TestBrowserDocuments$|TestBrowserProposalForm$' ./web/ >/dev/null
ls docs/screenshots/mobility-import-*.png docs/screenshots/documents-*.png
