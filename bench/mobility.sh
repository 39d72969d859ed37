#!/usr/bin/env bash
# Mobility figures at scale: the import of a large CSV on SQLite next to the
# sqlite3 tool's .import, and the statistics endpoint over HTTP with millions
# of figures on SQLite and PostgreSQL, next to the same aggregate run as raw
# SQL through each engine's own CLI. Loopback only. See bench/README.md.
#
#   bash bench/mobility.sh
#   ROWS=50000 IMPORT_ROWS=20000 ACTIVITIES=50 bash bench/mobility.sh   # a quick smoke test
#
# Environment (all optional):
#   ROWS=5000000          figures in the statistics databases, spread over the homes
#   IMPORT_ROWS=1000000   rows of the CSV imported
#   HOMES=200             home institutions (each 100 partners and 100 units)
#   ACTIVITIES=2500       activities per home
#   IMPORT_RUNS=3         imports timed (partnerhub and sqlite3 alternately; medians reported; 0: no import)
#   REQUESTS=50 WARMUP_REQUESTS=5   requests timed per query shape, after the warm-up ones
#   RAW_RUNS=5            runs of each raw SQL query (median reported)
#   ENGINES="sqlite postgres"   engines of the statistics (none: the import only)
#   PH_PORT=18090         partnerhub serve on 127.0.0.1 (must be free)
#   PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres PG_DB=partnerhub_bench
#                         PostgreSQL: PG_DB is created (dropped first if it
#                         exists) and dropped at the end
#   KEEP=1                keep the temporary folder and PG_DB for a look afterwards
#
# Exit status: 0 when every bar is met, 1 when one is not, 2 on a setup error.
set -euo pipefail

ROWS=${ROWS:-5000000}
IMPORT_ROWS=${IMPORT_ROWS:-1000000}
HOMES=${HOMES:-200}
ACTIVITIES=${ACTIVITIES:-2500}
IMPORT_RUNS=${IMPORT_RUNS:-3}
REQUESTS=${REQUESTS:-50}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-5}
RAW_RUNS=${RAW_RUNS:-5}
ENGINES=${ENGINES:-sqlite postgres}
[[ $ENGINES != none ]] || ENGINES=""
PH_PORT=${PH_PORT:-18090}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
PG_DB=${PG_DB:-partnerhub_bench}
KEEP=${KEEP:-0}

# The bars.
BAR_IMPORT_RPS=200000 # partnerhub import mobility, rows/s, at least
BAR_RSS_MB=200        # peak RSS of that import process, below
BAR_STATS_MS=100      # median time of a statistics request, below

# The home institution served, and whose file is imported.
HOME_SLUG=home-001

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/partnerhub-mobility.XXXXXX")
PH_ADDR=127.0.0.1:$PH_PORT
PH_URL=http://$PH_ADDR
PH_PID=""
PG_CREATED=0
PG_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable"
PG_ARGS=(-h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")

NAME=mobility.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cleanup() {
	local rc=$?
	stop "$PH_PID"
	if ((PG_CREATED)) && [[ $KEEP != 1 ]]; then
		dropdb "${PG_ARGS[@]}" --if-exists --force "$PG_DB" >&2 || true
	fi
	if [[ $KEEP == 1 ]]; then
		log "kept $TMP$( ((PG_CREATED)) && echo " and the database $PG_DB")"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Other work on the machine shows in every figure: for each import run the
# summary gives the share of the machine's CPU that processes other than
# the one measured used meanwhile (from /proc/stat). Above NOISY_PCT the run
# is marked noisy.
NOISY_PCT=5
CLK_TCK=$(getconf CLK_TCK)
# cpu_stat: the machine's busy and total time, in clock ticks.
cpu_stat() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# other_pct BEFORE AFTER CPU_SECONDS: the share of the machine other
# processes used between two cpu_stat readings, given the CPU seconds of
# the process measured.
other_pct() {
	echo "$1 $2 $3" | awk -v hz="$CLK_TCK" '{
		o = (($3 - $1) - $5 * hz) / ($4 - $2) * 100
		printf "%.0f", o < 0 ? 0 : o
	}'
}

# --- setup -------------------------------------------------------------------

command -v curl >/dev/null || die "curl is required"
ensure sqlite3 sqlite3
ensure time /usr/bin/time
want_pg=0
[[ " $ENGINES " == *" postgres "* ]] && want_pg=1
if ((want_pg)); then
	for c in psql createdb dropdb pg_isready; do
		command -v "$c" >/dev/null || die "$c is required for PostgreSQL (or set ENGINES=sqlite)"
	done
	pg_isready "${PG_ARGS[@]}" -q || die "PostgreSQL does not answer on $PG_HOST:$PG_PORT (or set ENGINES=sqlite)"
fi
port_free "$PH_PORT" || die "127.0.0.1:$PH_PORT is in use (set PH_PORT)"

log "building into $TMP"
(cd "$ROOT" && go build -o "$TMP/partnerhub" ./cmd/partnerhub && go build -o "$TMP/gen" ./bench/gen) || die "build failed"

LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
GEN_SIZES=(-homes "$HOMES" -activities "$ACTIVITIES")

# --- import ------------------------------------------------------------------

PH_MS=()    # per run: milliseconds, CPU seconds, others' share of the machine (%)
PH_CPU=()
PH_OTHER=()
SQ_MS=()
SQ_CPU=()
SQ_OTHER=()
RSS_KB=()
# import_bench: the import runs; sets the figures of the summary.
import_bench() {
	# The catalog of the home whose file is imported, in a database of its own
	# (copied afresh for every run), and the file.
	log "import: catalog of $HOME_SLUG, and a CSV of $IMPORT_ROWS rows"
	"$TMP/gen" -db "sqlite:$TMP/import-template.db" -homes 1 -activities "$ACTIVITIES" -rows 0 || die "gen failed"
	"$TMP/gen" -out "$TMP/csv" -home "$HOME_SLUG" -activities "$ACTIVITIES" -rows "$IMPORT_ROWS" || die "gen failed"
	CSV=$TMP/csv/mobility-$HOME_SLUG.csv
	[[ ! -e $TMP/import-template.db-wal ]] || die "the template database was not checkpointed"
	log "$(wc -c <"$CSV") bytes: $(head -c 200 "$CSV" | head -n 2 | tr '\n' ' ')"

	# The same file into an equivalent table with the sqlite3 tool: the file's
	# columns, the same NOT NULL and CHECK constraints, a unique index on the
	# figure's key, WAL with synchronous=NORMAL as partnerhub opens SQLite.
	# .import runs in one transaction, as partnerhub's import does.
	cat >"$TMP/sqlite3-import.sql" <<-SQL
	PRAGMA journal_mode = WAL;
	PRAGMA synchronous = NORMAL;
	CREATE TABLE mobility (
	    partner     TEXT NOT NULL,
	    institution TEXT,
	    unit        TEXT,
	    year        INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 2200),
	    direction   TEXT NOT NULL CHECK (direction = 'outbound' OR direction = 'inbound'),
	    category    TEXT NOT NULL CHECK (category = 'undergraduate' OR category = 'graduate' OR category = 'faculty'
	                                     OR category = 'staff' OR category = 'researcher'),
	    programme   TEXT NOT NULL CHECK (programme = 'exchange' OR programme = 'short_programme' OR programme = 'joint_degree'
	                                     OR programme = 'visit' OR programme = 'internship' OR programme = 'other'),
	    count       INTEGER NOT NULL CHECK (count BETWEEN 0 AND 1000000)
	);
	CREATE UNIQUE INDEX mobility_key ON mobility (partner, institution, unit, year, direction, category, programme);
	.import --csv --skip 1 '$CSV' mobility
	SQL

	for ((run = 1; run <= IMPORT_RUNS; run++)); do
		rm -f "$TMP"/import.db* "$TMP"/sqlite3.db*
		cp "$TMP/import-template.db" "$TMP/import.db"
		sync
		before=$(cpu_stat)
		t0=$(now_ns)
		if ! /usr/bin/time -v -o "$TMP/time.txt" "$TMP/partnerhub" import mobility -q -db "sqlite:$TMP/import.db" "$CSV" \
			>"$TMP/import.out" 2>"$TMP/import.err"; then
			tail -n 20 "$TMP/import.err" >&2
			die "partnerhub import mobility failed"
		fi
		PH_MS+=("$(ms_since "$t0")")
		after=$(cpu_stat)
		RSS_KB+=("$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$TMP/time.txt")")
		cpu=$(awk -F: '/(User|System) time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$TMP/time.txt")
		PH_CPU+=("$cpu")
		PH_OTHER+=("$(other_pct "$before" "$after" "$cpu")")
		n=$(sqlite3 "$TMP/import.db" 'SELECT count(*) FROM mobility')
		[[ $n == "$IMPORT_ROWS" ]] || die "partnerhub imported $n figures, not $IMPORT_ROWS"
		log "run $run: partnerhub import mobility: ${PH_MS[-1]} ms, CPU ${PH_CPU[-1]} s, others ${PH_OTHER[-1]}% of the machine," \
			"peak RSS $((RSS_KB[-1] / 1024)) MB ($(cat "$TMP/import.out"))"

		sync
		before=$(cpu_stat)
		t0=$(now_ns)
		/usr/bin/time -f '%U %S' -o "$TMP/time.txt" sqlite3 "$TMP/sqlite3.db" <"$TMP/sqlite3-import.sql" >/dev/null ||
			die "sqlite3 .import failed"
		SQ_MS+=("$(ms_since "$t0")")
		after=$(cpu_stat)
		cpu=$(awk '{printf "%.2f", $1 + $2}' "$TMP/time.txt")
		SQ_CPU+=("$cpu")
		SQ_OTHER+=("$(other_pct "$before" "$after" "$cpu")")
		n=$(sqlite3 "$TMP/sqlite3.db" 'SELECT count(*) FROM mobility')
		[[ $n == "$IMPORT_ROWS" ]] || die "sqlite3 imported $n rows, not $IMPORT_ROWS"
		log "run $run: sqlite3 .import: ${SQ_MS[-1]} ms, CPU ${SQ_CPU[-1]} s, others ${SQ_OTHER[-1]}% of the machine"
	done
	rm -f "$TMP"/import.db* "$TMP"/sqlite3.db*
	PH_IMPORT_MS=$(printf '%s\n' "${PH_MS[@]}" | median)
	SQ_IMPORT_MS=$(printf '%s\n' "${SQ_MS[@]}" | median)
	RSS_MAX_KB=$(printf '%s\n' "${RSS_KB[@]}" | sort -n | tail -n 1)
	PH_RPS=$(awk -v n="$IMPORT_ROWS" -v ms="$PH_IMPORT_MS" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
	SQ_RPS=$(awk -v n="$IMPORT_ROWS" -v ms="$SQ_IMPORT_MS" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
	IMPORT_RATIO=$(awk -v a="$PH_RPS" -v b="$SQ_RPS" 'BEGIN {printf "%.2f", a / b}')
	RSS_MB=$(awk -v k="$RSS_MAX_KB" 'BEGIN {printf "%.1f", k / 1024}')
	PH_IMPORT_CPU=$(printf '%s\n' "${PH_CPU[@]}" | median)
	SQ_IMPORT_CPU=$(printf '%s\n' "${SQ_CPU[@]}" | median)
	IMPORT_NOISY=""
	for o in "${PH_OTHER[@]}" "${SQ_OTHER[@]}"; do
		((o <= NOISY_PCT)) || IMPORT_NOISY="noisy: other processes used up to $(printf '%s\n' "${PH_OTHER[@]}" "${SQ_OTHER[@]}" | sort -n | tail -n 1)% of the machine"
	done
}
if ((IMPORT_RUNS > 0)); then
	import_bench
fi

# --- statistics --------------------------------------------------------------

# The two query shapes: one home by year × partner × direction (the served
# home, from the rollup by partner), and every home together by year ×
# direction (the network-wide view, from the rollup by home). Each raw SQL
# query computes the same groups from the figures themselves; it returns
# the number of groups and the sum of their totals (one line, so that the
# CLI's printing does not count), which must match the endpoint's answer.
SHAPES=(home all)
declare -A SHAPE_PATH SHAPE_NAME SHAPE_SQL
SHAPE_PATH[home]="/api/v1/stats/mobility?group_by=year,partner,direction"
SHAPE_NAME[home]="$HOME_SLUG, year x partner x direction"
SHAPE_SQL[home]="SELECT count(*), sum(total) FROM (SELECT year, partner_id, direction, sum(count) AS total FROM mobility
	WHERE home_id = (SELECT id FROM home_institutions WHERE slug = '$HOME_SLUG') AND deleted_at IS NULL
	GROUP BY year, partner_id, direction) g;"
SHAPE_PATH[all]="/api/v1/stats/mobility?group_by=year,direction&home=all"
SHAPE_NAME[all]="all homes, year x direction"
SHAPE_SQL[all]="SELECT count(*), sum(total) FROM (SELECT year, direction, sum(count) AS total FROM mobility
	WHERE deleted_at IS NULL GROUP BY year, direction) g;"

GEN_ROWS=()   # one line per engine: how long generating took
STATS_ROWS=() # one line per engine and shape
# per shape, of the engine being measured: median and p95 (ms), groups and
# sum of totals in the endpoint's answer
declare -A HTTP_MED HTTP_P95 HTTP_GROUPS HTTP_SUM

# raw_sql ENGINE SHAPE: runs the shape's SQL RAW_RUNS times through the
# engine's CLI with its timer on; sets RAW_MS (median) and RAW_RESULT
# ("groups|sum" of the last run).
raw_sql() {
	local engine=$1 shape=$2 out=$TMP/raw-$1-$2.txt i
	{
		if [[ $engine == sqlite ]]; then
			echo ".timer on"
		else
			printf '%s\n' '\timing on'
		fi
		for ((i = 0; i < RAW_RUNS; i++)); do
			echo "${SHAPE_SQL[$shape]}"
		done
	} >"$TMP/raw.sql"
	if [[ $engine == sqlite ]]; then
		sqlite3 "$TMP/stats.db" <"$TMP/raw.sql" >"$out" || die "sqlite3 failed on the raw query"
		# Run Time: real 0.123 user 0.1 sys 0.02
		RAW_MS=$(awk '/^Run Time:/ {print $4 * 1000}' "$out" | median)
	else
		psql -X -q -A -t "${PG_ARGS[@]}" -d "$PG_DB" -v ON_ERROR_STOP=1 <"$TMP/raw.sql" >"$out" ||
			die "psql failed on the raw query"
		# Time: 123.456 ms (00:00.123)
		RAW_MS=$(awk '/^Time:/ {print $2}' "$out" | median)
	fi
	RAW_RESULT=$(grep -E '^[0-9]+\|[0-9]+$' "$out" | tail -n 1)
	sed 's/^/    /' "$out" >&2
}

# measure ENGINE: serves the engine's database, times the requests of each
# shape, runs the raw SQL, and records a row of the summary per shape.
measure() {
	local engine=$1 url=$2 shape path body code t groups sum i
	port_free "$PH_PORT" || die "127.0.0.1:$PH_PORT is in use"
	"$TMP/partnerhub" serve -addr "$PH_ADDR" -db "$url" -home "$HOME_SLUG" 2>>"$TMP/serve-$engine.log" >/dev/null &
	PH_PID=$!
	wait_ok "$PH_URL/readyz" "$PH_PID" 120 || {
		tail -n 20 "$TMP/serve-$engine.log" >&2
		die "partnerhub serve did not become ready on $engine"
	}
	for shape in "${SHAPES[@]}"; do
		path=${SHAPE_PATH[$shape]}
		body=$TMP/body-$engine-$shape.json
		code=$(curl -s -o "$body" -w '%{http_code}' --max-time 60 "$PH_URL$path")
		[[ $code == 200 ]] || die "GET $path on $engine: status $code: $(head -c 300 "$body")"
		groups=$(grep -o '"keys":' "$body" | wc -l)
		sum=$(grep -o '"total":[0-9]*' "$body" | awk -F: '{s += $2} END {printf "%.0f", s}')
		log "$engine $path: $groups groups, total $sum, $(wc -c <"$body") bytes"
		for ((i = 0; i < WARMUP_REQUESTS; i++)); do
			curl -s -o /dev/null --max-time 60 "$PH_URL$path"
		done
		: >"$TMP/times-$engine-$shape.txt"
		for ((i = 0; i < REQUESTS; i++)); do
			read -r code t < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 60 "$PH_URL$path")
			[[ $code == 200 ]] || die "GET $path on $engine: status $code"
			awk -v t="$t" 'BEGIN {printf "%.2f\n", t * 1000}' >>"$TMP/times-$engine-$shape.txt"
		done
		HTTP_MED[$shape]=$(median <"$TMP/times-$engine-$shape.txt")
		HTTP_P95[$shape]=$(p95 <"$TMP/times-$engine-$shape.txt")
		HTTP_GROUPS[$shape]=$groups
		HTTP_SUM[$shape]=$sum
		log "$engine $path: median ${HTTP_MED[$shape]} ms, p95 ${HTTP_P95[$shape]} ms over $REQUESTS requests"
	done
	stop "$PH_PID"
	PH_PID=""
	for shape in "${SHAPES[@]}"; do
		log "$engine raw SQL ($shape) x$RAW_RUNS"
		raw_sql "$engine" "$shape"
		local check=ok
		if [[ $RAW_RESULT != "${HTTP_GROUPS[$shape]}|${HTTP_SUM[$shape]}" ]]; then
			check="MISMATCH: raw SQL $RAW_RESULT, endpoint ${HTTP_GROUPS[$shape]}|${HTTP_SUM[$shape]}"
			FAILED=1
		fi
		verdict "${HTTP_MED[$shape]} < $BAR_STATS_MS"
		STATS_ROWS+=("$(printf '%-9s %-36s %8.1f %8.1f  %-5s %10.1f %8s  %s' "$engine" "${SHAPE_NAME[$shape]}" \
			"${HTTP_MED[$shape]}" "${HTTP_P95[$shape]}" "$VERDICT" "$RAW_MS" "${HTTP_GROUPS[$shape]}" "$check")")
	done
}

for engine in $ENGINES; do
	case $engine in
	sqlite)
		DB_URL=sqlite:$TMP/stats.db
		;;
	postgres)
		log "creating the PostgreSQL database $PG_DB"
		dropdb "${PG_ARGS[@]}" --if-exists --force "$PG_DB" >&2
		createdb "${PG_ARGS[@]}" "$PG_DB" >&2 || die "createdb $PG_DB failed"
		PG_CREATED=1
		DB_URL=$PG_URL
		;;
	*) die "unknown engine $engine" ;;
	esac
	log "$engine: generating $HOMES homes and $ROWS figures"
	t0=$(now_ns)
	"$TMP/gen" -db "$DB_URL" "${GEN_SIZES[@]}" -rows "$ROWS" || die "gen failed on $engine"
	gen_ms=$(ms_since "$t0")
	extra=""
	if [[ $engine == postgres ]]; then
		# What autovacuum would do soon after the load anyway, done now so
		# that it does not run during the measurements.
		t0=$(now_ns)
		psql -X -q "${PG_ARGS[@]}" -d "$PG_DB" -c 'VACUUM (ANALYZE)' >&2
		extra=" + VACUUM (ANALYZE) $(awk -v ms="$(ms_since "$t0")" 'BEGIN {printf "%.1f", ms / 1000}') s"
	else
		extra=" ($(du -m "$TMP/stats.db" | cut -f1) MB)"
	fi
	GEN_ROWS+=("$(printf '%-9s %8.1f s%s' "$engine" "$(awk -v ms="$gen_ms" 'BEGIN {print ms / 1000}')" "$extra")")
	measure "$engine" "$DB_URL"
	if [[ $engine == sqlite && $KEEP != 1 ]]; then
		rm -f "$TMP"/stats.db*
	fi
done

# --- summary -----------------------------------------------------------------

if ((IMPORT_RUNS > 0)); then
	verdict "$PH_RPS >= $BAR_IMPORT_RPS"
	V_IMPORT=$VERDICT
	verdict "$RSS_MB < $BAR_RSS_MB"
	V_RSS=$VERDICT
fi
{
	echo
	echo "partnerhub mobility at scale — $HOMES homes, $((HOMES * 100)) partners, $((HOMES * ACTIVITIES)) activities, $ROWS figures; $(nproc) CPUs"
	echo "load average at the start: $LOADAVG_START"
	echo
	if ((${#GEN_ROWS[@]})); then
		echo "generation (bench/gen -db: catalogs through ImportCatalog, figures through ImportMobility)"
		printf '%s\n' "${GEN_ROWS[@]}"
		echo
	fi
	if ((IMPORT_RUNS > 0)); then
		echo "import of a $IMPORT_ROWS-row CSV into SQLite, process start to exit, median of $IMPORT_RUNS runs"
		printf '%-40s %9s %10s %8s  %s\n' "" "seconds" "rows/s" "CPU s" "bar"
		printf '%-40s %9.2f %10s %8s  %s (>= %s rows/s)\n' "partnerhub import mobility -q" \
			"$(awk -v ms="$PH_IMPORT_MS" 'BEGIN {print ms / 1000}')" "$PH_RPS" "$PH_IMPORT_CPU" "$V_IMPORT" "$BAR_IMPORT_RPS"
		printf '%-40s %9.2f %10s %8s\n' "sqlite3 .import, equivalent table" \
			"$(awk -v ms="$SQ_IMPORT_MS" 'BEGIN {print ms / 1000}')" "$SQ_RPS" "$SQ_IMPORT_CPU"
		printf '%-40s %9s %10s\n' "ratio partnerhub ÷ sqlite3 (rows/s)" "" "$IMPORT_RATIO"
		printf '%-40s %6s MB %10s %8s  %s (< %s MB)\n' "peak RSS of partnerhub import (max)" "$RSS_MB" "" "" "$V_RSS" "$BAR_RSS_MB"
		echo "runs: partnerhub ${PH_MS[*]} ms (others ${PH_OTHER[*]} %); sqlite3 ${SQ_MS[*]} ms (others ${SQ_OTHER[*]} %);"
		echo "      peak RSS ${RSS_KB[*]} kB${IMPORT_NOISY:+; $IMPORT_NOISY}"
	fi
	if ((${#STATS_ROWS[@]})); then
		echo
		echo "statistics endpoint over HTTP: $REQUESTS requests (after $WARMUP_REQUESTS) per shape, curl time_total;"
		echo "raw SQL: the same groups from the mobility table through the engine's CLI, median of $RAW_RUNS"
		printf '%-9s %-36s %8s %8s  %-5s %10s %8s  %s\n' "engine" "query" "median" "p95" "bar" "raw SQL" "groups" "check"
		printf '%-9s %-36s %8s %8s  %-5s %10s %8s  %s\n' "" "" "ms" "ms" "<${BAR_STATS_MS}ms" "ms" "" "(= raw SQL)"
		printf '%s\n' "${STATS_ROWS[@]}"
	fi
}

if ((FAILED)); then
	echo "RESULT: FAIL"
	exit 1
fi
echo "RESULT: PASS"
