#!/usr/bin/env bash
# Several nodes on one PostgreSQL, under load and faults: two partnerhub
# serve nodes behind HAProxy on a PostgreSQL cluster of the script's own,
# mixed reads and writes through the load balancer (and through one node
# on SQLite), a node killed with SIGKILL, PostgreSQL restarted, imports
# killed at random moments, and the delay before a write on one node is
# served by the other. Loopback only. See bench/README.md.
#
#   bash bench/cluster.sh
#   DURATION=15 KILLS=3 VIS_WRITES=20 IMPORT_ROWS=50000 bash bench/cluster.sh   # a smoke test
#
# Environment (all optional):
#   DURATION=60          seconds of each load; the fault comes half way
#   CONNS=64             connections of the load
#   WRITES=0.10          share of operations that are API writes
#   USERS=4              users writing (coordinators of UNITS, each with an API token)
#   PARTNER=ntu UNITS=agr  the activities written are PARTNER's; UNITS must be in its team
#   KILLS=10             imports killed with SIGKILL, on each engine
#   IMPORT_ROWS=200000   rows of the file whose import is killed (after BASE_ROWS imported whole)
#   BASE_ROWS=20000
#   VIS_WRITES=100       writes of the visibility measurement
#   SCENARIOS="sqlite load kill dbrestart visibility import"   which to run, in this order
#   SEED=1               seed of the kill moments
#   PORT=18400           the load balancer; the nodes on PORT+1, PORT+2 (PostgreSQL), PORT+3 (SQLite)
#   PG_PORT=55433        the script's own PostgreSQL (initdb in the temporary folder; never another one)
#   KEEP=1               keep the temporary folder, and leave nothing running
#
# Exit status: 0 when every bar is met, 1 when one is not, 2 on a setup error.
set -euo pipefail

DURATION=${DURATION:-60}
CONNS=${CONNS:-64}
WRITES=${WRITES:-0.10}
USERS=${USERS:-4}
PARTNER=${PARTNER:-ntu}
UNITS=${UNITS:-agr}
KILLS=${KILLS:-10}
IMPORT_ROWS=${IMPORT_ROWS:-200000}
BASE_ROWS=${BASE_ROWS:-20000}
VIS_WRITES=${VIS_WRITES:-100}
SCENARIOS=${SCENARIOS:-sqlite load kill dbrestart visibility import}
SEED=${SEED:-1}
PORT=${PORT:-18400}
PG_PORT=${PG_PORT:-55433}
KEEP=${KEEP:-0}
# After a fault the load goes on for at least this many seconds (the
# recovery bar is 5 s).
AFTER=8

PASSWORD=cluster-bench-password-1
LB=http://127.0.0.1:$PORT
declare -A NODE_PORT=([a]=$((PORT + 1)) [b]=$((PORT + 2)) [s]=$((PORT + 3)))
declare -A NODE_PID=()
HAPROXY_PID=""
PG_STARTED=0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/partnerhub-cluster.XXXXXX")
chmod 755 "$TMP" # the PostgreSQL server runs as postgres and keeps its files here

NAME=cluster.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# as_pg: runs a PostgreSQL server program as postgres when the script is root.
as_pg() {
	if [[ $(id -u) == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cleanup() {
	local rc=$? n
	for n in "${!NODE_PID[@]}"; do
		stop "${NODE_PID[$n]}"
	done
	stop "$HAPROXY_PID"
	if ((PG_STARTED)); then
		as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [[ $KEEP == 1 ]]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- setup -------------------------------------------------------------------

command -v curl >/dev/null || die "curl is required"
ensure haproxy haproxy
ensure sqlite3 sqlite3
ensure postgresql-client psql
PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
if [[ -z $PG_BIN ]]; then
	ensure postgresql /usr/lib/postgresql/bin-not-there
	PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
fi
[[ -x $PG_BIN/initdb ]] || die "no PostgreSQL server programs (initdb) under /usr/lib/postgresql"
for p in "$PORT" "${NODE_PORT[@]}" "$PG_PORT"; do
	port_free "$p" || die "127.0.0.1:$p is in use (set PORT or PG_PORT)"
done

log "building into $TMP"
(cd "$ROOT" && go build -o "$TMP/partnerhub" ./cmd/partnerhub && go build -o "$TMP/cluster" ./bench/cluster &&
	go build -o "$TMP/gen" ./bench/gen) || die "build failed"

log "PostgreSQL $(basename "$(dirname "$PG_BIN")") on 127.0.0.1:$PG_PORT in $TMP/pg"
mkdir -p "$TMP/pg"
[[ $(id -u) != 0 ]] || chown postgres "$TMP/pg"
as_pg "$PG_BIN/initdb" -D "$TMP/pg/data" -U postgres -A trust >"$TMP/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$TMP/initdb.log")"
as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w \
	-o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$TMP/pg -c max_connections=300" start >/dev/null ||
	die "PostgreSQL did not start: $(tail -n 5 "$TMP/pg/server.log")"
PG_STARTED=1
PSQL=(psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)
pg_url() { echo "postgres://postgres@127.0.0.1:$PG_PORT/$1?sslmode=disable"; }
PG_URL=$(pg_url cluster_load)
SQLITE_URL=sqlite:$TMP/load.db
"${PSQL[@]}" -d postgres -c "CREATE DATABASE cluster_load" || die "createdb failed"

LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=() # one line per figure of the summary

# users DB: the built-in data and USERS coordinators of UNITS, whose emails
# go into $TMP/emails.
users() {
	local i
	: >"$TMP/emails"
	"$TMP/partnerhub" migrate -db "$1" >>"$TMP/users.log" 2>&1 || die "migrate failed: $(tail -n 3 "$TMP/users.log")"
	for ((i = 1; i <= USERS; i++)); do
		echo "$PASSWORD" | "$TMP/partnerhub" user add -db "$1" -email "user$i@example.org" -name "User $i" \
			-role coordinator -units "$UNITS" -password-stdin >>"$TMP/users.log" 2>&1 || die "user add failed: $(tail -n 3 "$TMP/users.log")"
		echo "user$i@example.org" >>"$TMP/emails"
	done
}

# start_node NAME DB: partnerhub serve on 127.0.0.1:NODE_PORT[NAME], ready.
start_node() {
	local n=$1 db=$2
	"$TMP/partnerhub" serve -db "$db" -addr "127.0.0.1:${NODE_PORT[$n]}" -mfa-required admins \
		-trusted-proxies 127.0.0.1 >>"$TMP/node-$n.log" 2>&1 &
	NODE_PID[$n]=$!
	wait_ok "http://127.0.0.1:${NODE_PORT[$n]}/readyz" "${NODE_PID[$n]}" 120 ||
		die "node $n did not become ready: $(tail -n 5 "$TMP/node-$n.log")"
}

# tokens NAME: a read-write API token per user, made on node NAME, into $TMP/tokens-NAME.
tokens() {
	# shellcheck disable=SC2046
	"$TMP/cluster" tokens -url "http://127.0.0.1:${NODE_PORT[$1]}" -password "$PASSWORD" $(cat "$TMP/emails") \
		>"$TMP/tokens-$1" || die "could not make API tokens"
}

# The load balancer: round robin over the two nodes, /readyz checked every
# 500 ms (down after 2 failures, up after 2 successes; a check may take 2 s,
# so that a node slow under load is not taken for a dead one, which
# refuses at once); its log has the checks that changed a node's state and
# the requests that failed, with their node and why. A request whose
# connection to a node fails is sent to the other (redispatch, 3 retries).
# A read is also retried when a node closed its connection without an
# answer (a kept-alive connection to a node just killed); a write only
# when it could not be sent: one a node may have received is never sent
# twice.
start_haproxy() {
	cat >"$TMP/haproxy.cfg" <<-CFG
	global
	    maxconn 4096
	    log stderr format iso local0
	defaults
	    mode http
	    log global
	    option httplog
	    option dontlog-normal
	    option log-health-checks
	    timeout connect 1s
	    timeout check 2s
	    timeout client 60s
	    timeout server 60s
	    option redispatch
	    retries 3
	    retry-on conn-failure empty-response
	    option forwardfor
	frontend lb
	    bind 127.0.0.1:$PORT
	    default_backend nodes
	backend nodes
	    balance roundrobin
	    http-request disable-l7-retry unless METH_GET || METH_HEAD
	    option httpchk GET /readyz
	    http-check expect status 200
	    default-server inter 500ms fastinter 250ms downinter 500ms rise 2 fall 2
	    server a 127.0.0.1:${NODE_PORT[a]} check
	    server b 127.0.0.1:${NODE_PORT[b]} check
	CFG
	haproxy -c -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 || die "haproxy config: $(tail -n 5 "$TMP/haproxy.log")"
	haproxy -db -f "$TMP/haproxy.cfg" >>"$TMP/haproxy.log" 2>&1 &
	HAPROXY_PID=$!
	wait_ok "$LB/readyz" "$HAPROXY_PID" 30 || die "haproxy did not start: $(tail -n 5 "$TMP/haproxy.log")"
}

now_ms() { date +%s%3N; }

# run_load NAME SCENARIO TARGETS TOKENS VERIFY_URL [FAULT]: the load for
# DURATION seconds, FAULT (a function, given the events file) half way,
# then the check of every acknowledged write. Records PASS/FAIL lines.
run_load() {
	local name=$1 scenario=$2 targets=$3 tokfile=$4 verify_url=$5 fault=${6:-} pid rc=0
	local events=$TMP/events-$name after=0 lb_lines=0
	[[ ! -f $TMP/haproxy.log ]] || lb_lines=$(wc -l <"$TMP/haproxy.log")
	[[ -z $fault ]] || after=$AFTER
	: >"$events"
	log "load $name: $CONNS connections for $DURATION s to $targets${fault:+, $fault half way}"
	"$TMP/cluster" load -targets "$targets" -tokens "$tokfile" -duration "${DURATION}s" -conns "$CONNS" -writes "$WRITES" \
		-partner "$PARTNER" -run "$name" -scenario "$scenario" -events "$events" -after "${after}s" -out "$TMP/load-$name.json" \
		>"$TMP/load-$name.txt" 2>&1 &
	pid=$!
	if [[ -n $fault ]]; then
		# Half way through the load itself, which starts after its setup.
		until grep -q '^load-start ' "$events"; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		sleep "$(awk -v d="$DURATION" 'BEGIN {print d / 2}')"
		"$fault" "$events"
		echo "fault-done $(now_ms)" >>"$events"
	fi
	wait "$pid" || rc=$?
	cat "$TMP/load-$name.txt"
	if [[ $targets == "$LB" ]]; then
		# What the load balancer saw of the nodes meanwhile.
		tail -n +$((lb_lines + 1)) "$TMP/haproxy.log" | grep -E '^[0-9].* is (DOWN|UP)' | head -n 20 | sed 's/^/  haproxy: /' || true
	fi
	((rc != 2)) || die "the load $name could not run"
	((rc == 0)) || FAILED=1
	RESULTS+=("$(printf '%-10s %s' "$name" "$(grep -E '^load ' "$TMP/load-$name.txt")")")
	while read -r line; do
		RESULTS+=("$(printf '%-10s %s' "" "$line")")
	done < <(grep -E '^  (PASS|FAIL|latency|acknowledged|in flight|503|from the|database down)' "$TMP/load-$name.txt" | sed 's/^ *//')
	if [[ $targets == "$LB" ]]; then
		RESULTS+=("$(printf '%-10s haproxy: %d nodes marked down, %d up during the load' "" \
			"$(tail -n +$((lb_lines + 1)) "$TMP/haproxy.log" | grep -cE '^[0-9].* is DOWN' || true)" \
			"$(tail -n +$((lb_lines + 1)) "$TMP/haproxy.log" | grep -cE '^[0-9].* is UP' || true)")")
	fi
	rc=0
	"$TMP/cluster" verify -url "$verify_url" -token "$(head -n 1 "$tokfile")" -in "$TMP/load-$name.json" >"$TMP/verify-$name.txt" 2>&1 || rc=$?
	cat "$TMP/verify-$name.txt"
	((rc != 2)) || die "the check of $name's writes could not run"
	local v=PASS
	((rc == 0)) || {
		v=FAIL
		FAILED=1
	}
	RESULTS+=("$(printf '%-10s %s %s' "" "$v" "$(head -n 1 "$TMP/verify-$name.txt")")")
}

# Faults, each given the events file.
kill_node_a() {
	echo "kill $(now_ms)" >>"$1"
	kill -KILL "${NODE_PID[a]}"
	wait "${NODE_PID[a]}" 2>/dev/null || true
	echo "killed $(now_ms)" >>"$1"
	log "node a killed"
}
restart_db() {
	echo "db-stop $(now_ms)" >>"$1"
	as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m fast -w restart \
		-o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$TMP/pg -c max_connections=300" \
		>>"$TMP/pg/restart.log" 2>&1 || die "pg_ctl restart failed: $(tail -n 5 "$TMP/pg/restart.log")"
	until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do sleep 0.01; done
	echo "db-up $(now_ms)" >>"$1"
	log "PostgreSQL restarted"
}

# --- mixed load --------------------------------------------------------------

want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

if want sqlite; then
	users "$SQLITE_URL"
	start_node s "$SQLITE_URL"
	tokens s
	run_load sqlite plain "http://127.0.0.1:${NODE_PORT[s]}" "$TMP/tokens-s" "http://127.0.0.1:${NODE_PORT[s]}"
	stop "${NODE_PID[s]}"
	unset 'NODE_PID[s]'
fi

if want load || want kill || want dbrestart || want visibility; then
	users "$PG_URL"
	start_node a "$PG_URL"
	start_node b "$PG_URL"
	tokens a
	start_haproxy
fi
want load && run_load load plain "$LB" "$TMP/tokens-a" "$LB"
if want kill; then
	run_load kill kill "$LB" "$TMP/tokens-a" "$LB" kill_node_a
	start_node a "$PG_URL"
fi
want dbrestart && run_load dbrestart dbrestart "$LB" "$TMP/tokens-a" "$LB" restart_db

if want visibility; then
	log "visibility: $VIS_WRITES writes on node a, node b polled"
	rc=0
	"$TMP/cluster" visibility -a "http://127.0.0.1:${NODE_PORT[a]}" -b "http://127.0.0.1:${NODE_PORT[b]}" \
		-token "$(head -n 1 "$TMP/tokens-a")" -partner "$PARTNER" -n "$VIS_WRITES" >"$TMP/visibility.txt" 2>&1 || rc=$?
	cat "$TMP/visibility.txt"
	((rc != 2)) || die "the visibility measurement could not run"
	((rc == 0)) || FAILED=1
	while read -r line; do
		RESULTS+=("$(printf '%-10s %s' "visibility" "$line")")
	done <"$TMP/visibility.txt"
fi

# --- imports killed ----------------------------------------------------------

# The rollups against the figures, as store/mobility_rollup.go computes
# them: rows of each rollup that differ from the sums of the live figures,
# both ways (a total of 0 and no row are the same). One number; 0 is right.
rollup_sql() {
	local parts=() t cols q
	while IFS='|' read -r t cols q; do
		parts+=("(SELECT count(*) FROM (SELECT $cols FROM $t WHERE total <> 0 EXCEPT $q) d)")
		parts+=("(SELECT count(*) FROM ($q EXCEPT SELECT $cols FROM $t WHERE total <> 0) d)")
	done <<-ROLLUPS
	mobility_by_partner|home_id, year, partner_id, direction, category, total|SELECT home_id, year, partner_id, direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL GROUP BY home_id, year, partner_id, direction, category HAVING sum(count) <> 0
	mobility_by_unit|home_id, year, unit_id, direction, category, total|SELECT home_id, year, COALESCE(unit_id, 0), direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL GROUP BY home_id, year, COALESCE(unit_id, 0), direction, category HAVING sum(count) <> 0
	mobility_by_programme|home_id, year, programme, direction, category, total|SELECT home_id, year, programme, direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL GROUP BY home_id, year, programme, direction, category HAVING sum(count) <> 0
	mobility_by_home|home_id, year, direction, category, total|SELECT home_id, year, direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL GROUP BY home_id, year, direction, category HAVING sum(count) <> 0
	ROLLUPS
	local IFS=+
	echo "SELECT ${parts[*]};"
}

# sql ENGINE DB QUERY: one line of result, from psql or sqlite3.
sql() {
	if [[ $1 == postgres ]]; then
		"${PSQL[@]}" -F '|' -d "$2" -c "$3"
	else
		sqlite3 "$2" "$3"
	fi
}

# figures ENGINE DB: "count|sum" of the live figures.
figures() { sql "$1" "$2" "SELECT count(*), COALESCE(sum(count), 0) FROM mobility WHERE deleted_at IS NULL"; }

# copy_db ENGINE FROM TO: a copy of a database (PostgreSQL: from a template).
copy_db() {
	if [[ $1 == postgres ]]; then
		"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $3 WITH (FORCE)" -c "CREATE DATABASE $3 TEMPLATE $2"
	else
		rm -f "$3" "$3-wal" "$3-shm"
		sqlite3 "$2" ".backup '$3'"
	fi
}

# import_kills ENGINE: the file imported whole once (timed, on a copy), then
# KILLS imports of it killed at random moments of that time, each followed
# by the checks.
import_kills() {
	local engine=$1 db url tpl scratch base t0 full_ms i at rc state left rollup bad=0 committed=0
	if [[ $engine == postgres ]]; then
		db=cluster_import tpl=cluster_import_tpl scratch=cluster_import_full
		"${PSQL[@]}" -d postgres -c "CREATE DATABASE $db"
		url=$(pg_url $db)
	else
		db=$TMP/import.db tpl=$TMP/import-tpl.db scratch=$TMP/import-full.db
		url=sqlite:$db
	fi
	log "import ($engine): a catalog, $BASE_ROWS figures imported whole, then a file of $IMPORT_ROWS more"
	"$TMP/gen" -db "$url" -homes 1 -activities 50 -rows 0 2>>"$TMP/gen.log" || die "gen failed"
	"$TMP/partnerhub" import mobility -q -db "$url" "$TMP/csv/base.csv" >>"$TMP/import.log" 2>&1 || die "the base import failed: $(tail -n 3 "$TMP/import.log")"
	base=$(figures "$engine" "$db")
	copy_db "$engine" "$db" "$tpl"
	copy_db "$engine" "$tpl" "$scratch"
	local surl=sqlite:$scratch
	[[ $engine != postgres ]] || surl=$(pg_url $scratch)
	t0=$(now_ns)
	"$TMP/partnerhub" import mobility -q -db "$surl" "$TMP/csv/kill.csv" >>"$TMP/import.log" 2>&1 || die "the whole import failed: $(tail -n 3 "$TMP/import.log")"
	full_ms=$(ms_since "$t0")
	local whole
	whole=$(figures "$engine" "$scratch")
	log "import ($engine): the whole file in $full_ms ms; figures before $base, after $whole"
	for ((i = 1; i <= KILLS; i++)); do
		at=$(awk -v s="$SEED" -v i="$i" -v t="$full_ms" 'BEGIN {srand(s * 1000 + i); printf "%d", (0.02 + 0.96 * rand()) * t}')
		"$TMP/partnerhub" import mobility -q -db "$url" "$TMP/csv/kill.csv" >>"$TMP/import.log" 2>&1 &
		local pid=$!
		sleep "$(awk -v ms="$at" 'BEGIN {print ms / 1000}')"
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" 2>/dev/null || rc=$?
		state=$(figures "$engine" "$db")
		rollup=$(sql "$engine" "$db" "$(rollup_sql)")
		# None of the file, or (the kill came after the commit) all of it.
		case $state in
		"$base") left="figures $state: none of the file" ;;
		"$whole")
			committed=$((committed + 1))
			left="figures $state: the whole file, committed before the kill (exit status $rc)"
			copy_db "$engine" "$tpl" "$db" # start again from before it
			;;
		*)
			left="figures $state: PART of the file (none: $base, all: $whole)"
			bad=$((bad + 1))
			;;
		esac
		((rollup == 0)) || bad=$((bad + 1))
		log "import ($engine): kill $i/$KILLS at $at ms ($((at * 100 / full_ms))% of a whole import): $left; rollups differing from the sums: $rollup"
	done
	verdict "$bad == 0"
	RESULTS+=("$(printf '%-10s %-4s %d kills of an import of %d rows (whole: %.1f s) at random moments: %d wrong (part of the file stored, or rollups not the sums), %d committed before the kill' \
		"import" "$VERDICT" "$KILLS" "$IMPORT_ROWS" "$(awk -v ms="$full_ms" 'BEGIN {print ms / 1000}')" "$bad" "$committed") [$engine]")
}

if want import; then
	"$TMP/gen" -out "$TMP/csv" -home home-001 -activities 50 -rows $((BASE_ROWS + IMPORT_ROWS)) 2>>"$TMP/gen.log" || die "gen failed"
	# Two files of distinct figures: the first BASE_ROWS rows, and the rest.
	head -n $((BASE_ROWS + 1)) "$TMP/csv/mobility-home-001.csv" >"$TMP/csv/base.csv"
	{
		head -n 1 "$TMP/csv/mobility-home-001.csv"
		tail -n +$((BASE_ROWS + 2)) "$TMP/csv/mobility-home-001.csv"
	} >"$TMP/csv/kill.csv"
	import_kills sqlite
	import_kills postgres
fi

# --- summary -----------------------------------------------------------------

{
	echo
	echo "partnerhub cluster — $(nproc) CPUs; load average at the start $LOADAVG_START, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "load: $CONNS connections, $DURATION s, $WRITES writes by $USERS users; sqlite: one node; load, kill, dbrestart: HAProxy over two nodes on PostgreSQL"
	printf '%s\n' "${RESULTS[@]}"
}
if ((FAILED)); then
	echo "RESULT: FAIL"
	exit 1
fi
echo "RESULT: PASS"
