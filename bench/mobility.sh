#!/usr/bin/env bash
# Mobility figures at scale: the import of a large CSV on SQLite next to the
# sqlite3 tool's .import and on PostgreSQL next to psql's \copy, and the statistics endpoint over HTTP with millions
# of figures on SQLite and PostgreSQL, next to the same aggregate run as raw
# SQL through each engine's own CLI. Loopback only. See bench/README.md.
#
#   bash bench/mobility.sh
#   ROWS=50000 IMPORT_ROWS=20000 ACTIVITIES=50 bash bench/mobility.sh   # a quick smoke test
#   IMPORT_ROWS=200000 ENGINES=none bash bench/mobility.sh             # the imports only, quickly
#
# Environment (all optional):
#   ROWS=5000000          figures in the statistics databases, spread over the homes
#   IMPORT_ROWS=1000000   rows of the CSV imported
#   HOMES=200             home institutions (each 100 partners and 100 units)
#   ACTIVITIES=2500       activities per home
#   IMPORT_RUNS=3         imports timed per engine (partnerhub and the engine's tool alternately; medians
#                         reported; 0: no import)
#   IMPORT_ENGINES="sqlite postgres"   engines imported into (PostgreSQL: PG_DB_import and
#                         PG_DB_import_template are created, dropped first if they exist, and dropped)
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
IMPORT_ENGINES=${IMPORT_ENGINES:-sqlite postgres}
[[ $IMPORT_ENGINES != none ]] || IMPORT_ENGINES=""
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
PG_IMPORT_CREATED=0
PG_IMPORT_DB=${PG_DB}_import
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
	if ((PG_IMPORT_CREATED)); then # a run cut short leaves them
		dropdb "${PG_ARGS[@]}" --if-exists --force "$PG_IMPORT_DB" >&2 || true
		dropdb "${PG_ARGS[@]}" --if-exists --force "${PG_IMPORT_DB}_template" >&2 || true
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
((IMPORT_RUNS == 0)) || [[ " $IMPORT_ENGINES " != *" postgres "* ]] || want_pg=1
if ((want_pg)); then
	for c in psql createdb dropdb pg_isready; do
		command -v "$c" >/dev/null || die "$c is required for PostgreSQL (or set ENGINES=sqlite IMPORT_ENGINES=sqlite)"
	done
	pg_isready "${PG_ARGS[@]}" -q || die "PostgreSQL does not answer on $PG_HOST:$PG_PORT (or set ENGINES=sqlite IMPORT_ENGINES=sqlite)"
fi
port_free "$PH_PORT" || die "127.0.0.1:$PH_PORT is in use (set PH_PORT)"

log "building into $TMP"
(cd "$ROOT" && go build -o "$TMP/partnerhub" ./cmd/partnerhub && go build -o "$TMP/gen" ./bench/gen) || die "build failed"

LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
GEN_SIZES=(-homes "$HOMES" -activities "$ACTIVITIES")

# --- import ------------------------------------------------------------------

# Per engine of IMPORT_ENGINES, per run: milliseconds, CPU seconds (of the
# partnerhub process; PostgreSQL's own work is the server's, and counts in
# "others"), others' share of the machine (%) and peak RSS (kB), for
# partnerhub (PH_*) and the engine's own tool (CLI_*), space-separated.
declare -A PH_MS PH_CPU PH_OTHER CLI_MS CLI_CPU CLI_OTHER RSS_KB
declare -A PH_RPS CLI_RPS IMPORT_RATIO PH_IMPORT_MS CLI_IMPORT_MS PH_IMPORT_CPU CLI_IMPORT_CPU
IMPORT_NOISY=""
PG_IMPORT_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_IMPORT_DB?sslmode=disable"

# timed CMD...: runs a command under /usr/bin/time -v; sets T_MS, T_CPU,
# T_OTHER and T_RSS (kB).
timed() {
	local before after
	sync
	before=$(cpu_stat)
	t0=$(now_ns)
	/usr/bin/time -v -o "$TMP/time.txt" "$@"
	T_MS=$(ms_since "$t0")
	after=$(cpu_stat)
	T_RSS=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$TMP/time.txt")
	T_CPU=$(awk -F: '/(User|System) time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$TMP/time.txt")
	T_OTHER=$(other_pct "$before" "$after" "$T_CPU")
}

# record ENGINE WHO: appends the figures of the run timed last.
record() {
	if [[ $2 == ph ]]; then
		PH_MS[$1]+="$T_MS " PH_CPU[$1]+="$T_CPU " PH_OTHER[$1]+="$T_OTHER " RSS_KB[$1]+="$T_RSS "
	else
		CLI_MS[$1]+="$T_MS " CLI_CPU[$1]+="$T_CPU " CLI_OTHER[$1]+="$T_OTHER "
	fi
}

ph_import() {
	if ! timed "$TMP/partnerhub" import mobility -q -db "$1" "$CSV" >"$TMP/import.out" 2>"$TMP/import.err"; then
		tail -n 20 "$TMP/import.err" >&2
		die "partnerhub import mobility failed on $1"
	fi
}

# import_bench: the import runs; sets the figures of the summary.
import_bench() {
	# The catalog of the home whose file is imported, in a database of its own
	# (copied afresh for every run), and the file.
	log "import: catalog of $HOME_SLUG, and a CSV of $IMPORT_ROWS rows"
	"$TMP/gen" -out "$TMP/csv" -home "$HOME_SLUG" -activities "$ACTIVITIES" -rows "$IMPORT_ROWS" || die "gen failed"
	CSV=$TMP/csv/mobility-$HOME_SLUG.csv
	log "$(wc -c <"$CSV") bytes: $(head -c 200 "$CSV" | head -n 2 | tr '\n' ' ')"
	local engine run n sums
	for engine in $IMPORT_ENGINES; do
		case $engine in
		sqlite) import_sqlite ;;
		postgres) import_postgres ;;
		*) die "unknown import engine $engine" ;;
		esac
		PH_IMPORT_MS[$engine]=$(printf '%s\n' ${PH_MS[$engine]} | median)
		CLI_IMPORT_MS[$engine]=$(printf '%s\n' ${CLI_MS[$engine]} | median)
		PH_RPS[$engine]=$(awk -v n="$IMPORT_ROWS" -v ms="${PH_IMPORT_MS[$engine]}" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
		CLI_RPS[$engine]=$(awk -v n="$IMPORT_ROWS" -v ms="${CLI_IMPORT_MS[$engine]}" 'BEGIN {printf "%.0f", n / (ms / 1000)}')
		IMPORT_RATIO[$engine]=$(awk -v a="${PH_RPS[$engine]}" -v b="${CLI_RPS[$engine]}" 'BEGIN {printf "%.2f", a / b}')
		PH_IMPORT_CPU[$engine]=$(printf '%s\n' ${PH_CPU[$engine]} | median)
		CLI_IMPORT_CPU[$engine]=$(printf '%s\n' ${CLI_CPU[$engine]} | median)
		for o in ${PH_OTHER[$engine]} ${CLI_OTHER[$engine]}; do
			((o <= NOISY_PCT)) || IMPORT_NOISY="noisy: other processes used up to $(printf '%s\n' ${PH_OTHER[$engine]} ${CLI_OTHER[$engine]} | sort -n | tail -n 1)% of the machine"
		done
	done
	RSS_MAX_KB=$(printf '%s\n' ${RSS_KB[@]} | sort -n | tail -n 1)
	RSS_MB=$(awk -v k="$RSS_MAX_KB" 'BEGIN {printf "%.1f", k / 1024}')
}

# The same file into an equivalent table with each engine's own tool: the
# file's columns, the same NOT NULL and CHECK constraints, a unique index
# on the figure's key, one transaction, as partnerhub's import does.
EQUIVALENT_TABLE="CREATE TABLE mobility (
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
);"

import_sqlite() {
	"$TMP/gen" -db "sqlite:$TMP/import-template.db" -homes 1 -activities "$ACTIVITIES" -rows 0 || die "gen failed"
	[[ ! -e $TMP/import-template.db-wal ]] || die "the template database was not checkpointed"
	# WAL with synchronous=NORMAL as partnerhub opens SQLite; .import runs
	# in one transaction.
	cat >"$TMP/sqlite3-import.sql" <<-SQL
	PRAGMA journal_mode = WAL;
	PRAGMA synchronous = NORMAL;
	$EQUIVALENT_TABLE
	CREATE UNIQUE INDEX mobility_key ON mobility (partner, institution, unit, year, direction, category, programme);
	.import --csv --skip 1 '$CSV' mobility
	SQL
	for ((run = 1; run <= IMPORT_RUNS; run++)); do
		rm -f "$TMP"/import.db* "$TMP"/sqlite3.db*
		cp "$TMP/import-template.db" "$TMP/import.db"
		ph_import "sqlite:$TMP/import.db"
		record sqlite ph
		n=$(sqlite3 "$TMP/import.db" 'SELECT count(*) FROM mobility')
		[[ $n == "$IMPORT_ROWS" ]] || die "partnerhub imported $n figures, not $IMPORT_ROWS"
		log "run $run: partnerhub import mobility (SQLite): $T_MS ms, CPU $T_CPU s, others $T_OTHER% of the machine," \
			"peak RSS $((T_RSS / 1024)) MB ($(cat "$TMP/import.out"))"

		timed sqlite3 "$TMP/sqlite3.db" <"$TMP/sqlite3-import.sql" >/dev/null || die "sqlite3 .import failed"
		record sqlite cli
		n=$(sqlite3 "$TMP/sqlite3.db" 'SELECT count(*) FROM mobility')
		[[ $n == "$IMPORT_ROWS" ]] || die "sqlite3 imported $n rows, not $IMPORT_ROWS"
		log "run $run: sqlite3 .import: $T_MS ms, CPU $T_CPU s, others $T_OTHER% of the machine"
	done
	rm -f "$TMP"/import.db* "$TMP"/sqlite3.db*
}

# import_postgres: the catalog goes into a template database, copied with
# createdb -T for each run (and dropped afterwards); psql's \copy loads the
# file into an equivalent table of a database of its own (NULLS NOT
# DISTINCT: an empty institution or unit is one value, as partnerhub's
# COALESCE makes it).
import_postgres() {
	local tpl=${PG_IMPORT_DB}_template
	PG_IMPORT_CREATED=1
	dropdb "${PG_ARGS[@]}" --if-exists --force "$tpl" >&2
	dropdb "${PG_ARGS[@]}" --if-exists --force "$PG_IMPORT_DB" >&2
	createdb "${PG_ARGS[@]}" "$tpl" >&2 || die "createdb $tpl failed"
	"$TMP/gen" -db "postgres://$PG_USER@$PG_HOST:$PG_PORT/$tpl?sslmode=disable" -homes 1 -activities "$ACTIVITIES" -rows 0 ||
		die "gen failed on PostgreSQL"
	cat >"$TMP/psql-import.sql" <<-SQL
	BEGIN;
	$EQUIVALENT_TABLE
	CREATE UNIQUE INDEX mobility_key ON mobility (partner, institution, unit, year, direction, category, programme) NULLS NOT DISTINCT;
	\\copy mobility FROM '$CSV' WITH (FORMAT csv, HEADER true)
	COMMIT;
	SQL
	for ((run = 1; run <= IMPORT_RUNS; run++)); do
		dropdb "${PG_ARGS[@]}" --if-exists --force "$PG_IMPORT_DB" >&2
		createdb "${PG_ARGS[@]}" -T "$tpl" "$PG_IMPORT_DB" >&2 || die "createdb $PG_IMPORT_DB failed"
		psql -X -q "${PG_ARGS[@]}" -d "$PG_IMPORT_DB" -c CHECKPOINT >&2 # the copy's writes, not the next run's
		ph_import "$PG_IMPORT_URL"
		record postgres ph
		n=$(psql -X -A -t "${PG_ARGS[@]}" -d "$PG_IMPORT_DB" -c 'SELECT count(*) FROM mobility')
		[[ $n == "$IMPORT_ROWS" ]] || die "partnerhub imported $n figures into PostgreSQL, not $IMPORT_ROWS"
		# The rollups hold the figures' sums.
		sums=$(psql -X -A -t "${PG_ARGS[@]}" -d "$PG_IMPORT_DB" -c "SELECT (SELECT sum(count) FROM mobility) = ALL (ARRAY[
			(SELECT sum(total) FROM mobility_by_home), (SELECT sum(total) FROM mobility_by_partner),
			(SELECT sum(total) FROM mobility_by_unit), (SELECT sum(total) FROM mobility_by_programme)])")
		[[ $sums == t ]] || die "the rollups do not hold the sums of the figures imported into PostgreSQL"
		log "run $run: partnerhub import mobility (PostgreSQL): $T_MS ms, CPU $T_CPU s, others $T_OTHER% of the machine," \
			"peak RSS $((T_RSS / 1024)) MB ($(cat "$TMP/import.out"))"

		dropdb "${PG_ARGS[@]}" --if-exists --force "$PG_IMPORT_DB" >&2
		createdb "${PG_ARGS[@]}" "$PG_IMPORT_DB" >&2 || die "createdb $PG_IMPORT_DB failed"
		psql -X -q "${PG_ARGS[@]}" -d "$PG_IMPORT_DB" -c CHECKPOINT >&2
		timed psql -X -q -v ON_ERROR_STOP=1 "${PG_ARGS[@]}" -d "$PG_IMPORT_DB" -f "$TMP/psql-import.sql" >/dev/null ||
			die "psql \\copy failed"
		record postgres cli
		n=$(psql -X -A -t "${PG_ARGS[@]}" -d "$PG_IMPORT_DB" -c 'SELECT count(*) FROM mobility')
		[[ $n == "$IMPORT_ROWS" ]] || die "psql \\copy loaded $n rows, not $IMPORT_ROWS"
		log "run $run: psql \\copy: $T_MS ms, CPU $T_CPU s (the client's), others $T_OTHER% of the machine"
	done
	dropdb "${PG_ARGS[@]}" --if-exists --force "$PG_IMPORT_DB" >&2
	dropdb "${PG_ARGS[@]}" --if-exists --force "$tpl" >&2
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

declare -A V_IMPORT
if ((IMPORT_RUNS > 0)); then
	for engine in $IMPORT_ENGINES; do
		verdict "${PH_RPS[$engine]} >= $BAR_IMPORT_RPS"
		V_IMPORT[$engine]=$VERDICT
	done
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
		echo "import of a $IMPORT_ROWS-row CSV, process start to exit, median of $IMPORT_RUNS runs"
		printf '%-52s %9s %10s %8s  %s\n' "" "seconds" "rows/s" "CPU s" "bar"
		for engine in $IMPORT_ENGINES; do
			if [[ $engine == sqlite ]]; then
				name="SQLite" tool="sqlite3 .import, equivalent table" short=sqlite3
			else
				name="PostgreSQL" tool="psql \\copy, equivalent table" short="psql \\copy"
			fi
			printf '%-52s %9.2f %10s %8s  %s (>= %s rows/s)\n' "$name: partnerhub import mobility -q" \
				"$(awk -v ms="${PH_IMPORT_MS[$engine]}" 'BEGIN {print ms / 1000}')" "${PH_RPS[$engine]}" "${PH_IMPORT_CPU[$engine]}" \
				"${V_IMPORT[$engine]}" "$BAR_IMPORT_RPS"
			printf '%-52s %9.2f %10s %8s\n' "$name: $tool" \
				"$(awk -v ms="${CLI_IMPORT_MS[$engine]}" 'BEGIN {print ms / 1000}')" "${CLI_RPS[$engine]}" "${CLI_IMPORT_CPU[$engine]}"
			printf '%-52s %9s %10s\n' "$name: ratio partnerhub ÷ $short (rows/s)" "" "${IMPORT_RATIO[$engine]}"
		done
		printf '%-52s %6s MB %10s %8s  %s (< %s MB)\n' "peak RSS of partnerhub import (max)" "$RSS_MB" "" "" "$V_RSS" "$BAR_RSS_MB"
		for engine in $IMPORT_ENGINES; do
			echo "runs ($engine): partnerhub ${PH_MS[$engine]}ms (others ${PH_OTHER[$engine]}%); tool ${CLI_MS[$engine]}ms (others ${CLI_OTHER[$engine]}%);"
			echo "      peak RSS ${RSS_KB[$engine]}kB"
		done
		[[ -z $IMPORT_NOISY ]] || echo "$IMPORT_NOISY"
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
