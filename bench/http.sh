#!/usr/bin/env bash
# HTTP load test of partnerhub against a baseline that serves the same bytes
# from memory (bench/static). Loopback only. See bench/README.md.
#
#   bash bench/http.sh
#
# Environment (all optional):
#   PH_PORT=18080 STATIC_PORT=18081   ports on 127.0.0.1 (must be free)
#   THREADS=2 CONNS=32 DURATION=10s WARMUP=2s   wrk settings
#   COLD_RUNS=5                       cold starts measured (median reported)
#   EXTRA_PATHS="/en/partners ..."    more paths to compare, after /api/v1/partners
#                                     (default: /en/activities /ja/map)
#   MIXED_PATHS="/en/partners"        paths read again while API writes land
#                                     (the mixed case; "" for none)
#   WRITE_RATE=10                     API writes a second in the mixed case
#
# Exit status: 0 when every bar is met, 1 when one is not, 2 on a setup error.
set -euo pipefail

PH_PORT=${PH_PORT:-18080}
STATIC_PORT=${STATIC_PORT:-18081}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
COLD_RUNS=${COLD_RUNS:-5}
WRITE_RATE=${WRITE_RATE:-10}

# The bars.
BAR_RATIO=0.5   # partnerhub req/s ÷ static req/s, at least
BAR_P99_MS=20   # partnerhub p99 latency, below
BAR_RSS_MB=60   # partnerhub peak RSS, below
BAR_COLD_MS=300 # start to first 200 of /api/v1/partners, below

# Above this share of the CPU used by other processes during a run, its row
# is marked noisy: its p99 says more about the machine than the server.
NOISY_PCT=5

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/partnerhub-bench.XXXXXX")
PH_ADDR=127.0.0.1:$PH_PORT
PH_URL=http://$PH_ADDR
DB=$TMP/partnerhub.db
PH_PID=""
STATIC_PID=""

NAME=http.sh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

cleanup() {
	local rc=$?
	stop "$STATIC_PID"
	stop "$PH_PID"
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_partnerhub: starts partnerhub serve on $DB at $PH_ADDR; sets PH_PID.
# Its log (JSON lines) goes to $TMP/partnerhub.log. Second factors are
# required of administrators only, so that the mixed case's coordinator
# signs in with a password alone (the readers are anonymous either way).
start_partnerhub() {
	"$TMP/partnerhub" serve -addr "$PH_ADDR" -db "sqlite:$DB" -mfa-required admins 2>>"$TMP/partnerhub.log" >/dev/null &
	PH_PID=$!
}

stop_partnerhub() {
	stop "$PH_PID"
	PH_PID=""
}

# --- setup -------------------------------------------------------------------

command -v curl >/dev/null || die "curl is required"
ensure wrk wrk

log "building into $TMP"
(cd "$ROOT" && go build -o "$TMP/partnerhub" ./cmd/partnerhub && go build -o "$TMP/static" ./bench/static &&
	go build -o "$TMP/writer" ./bench/writer) ||
	die "build failed"

for p in "$PH_PORT" "$STATIC_PORT"; do
	port_free "$p" || die "127.0.0.1:$p is in use (set PH_PORT / STATIC_PORT)"
done

log "starting partnerhub on a fresh database ($DB)"
start_partnerhub
wait_ok "$PH_URL/readyz" "$PH_PID" 60 || {
	cat "$TMP/partnerhub.log" >&2
	die "partnerhub did not become ready"
}
grep -q '"msg":"listening".*"addr":"'"$PH_URL"'"' "$TMP/partnerhub.log" ||
	log "warning: no \"listening\" log line with addr $PH_URL"

# --- load --------------------------------------------------------------------

# Other work on the machine shows in the tail latencies: the summary prints
# the load average from before the load, to tell a noisy reading.
LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# cpu_ticks SERVER_PID: prints "busy irq total server wrk" in clock ticks:
# the machine's busy and interrupt time and all its time (/proc/stat), the
# server's CPU time, and that of this shell's finished children (wrk).
cpu_ticks() {
	local sys server children
	sys=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
	server=$(awk '{print $14 + $15}' "/proc/$1/stat")
	children=$(awk '{print $16 + $17}' "/proc/$$/stat")
	echo "$sys $server $children"
}

# wrk_run URL NAME SERVER_PID: warm-up, then the measured run; prints wrk's
# output and sets REQS (req/s), P99_MS, ERRS (non-2xx/3xx and socket
# errors) and OTHER: the share of the machine's CPU that processes other than
# wrk and the server used during the run (other people's builds and tests),
# which is what makes tail latencies noisy.
wrk_run() {
	local url=$1 out=$TMP/wrk-$2.txt pid=$3 before after
	wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$url" >/dev/null
	before=$(cpu_ticks "$pid")
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" >"$out"
	after=$(cpu_ticks "$pid")
	OTHER=$(echo "$before $after" | awk '{
		busy = $6 - $1; irq = $7 - $2; total = $8 - $3; server = $9 - $4; wrk = $10 - $5
		o = (busy - irq - server - wrk) / total * 100
		printf "%.0f", o < 0 ? 0 : o
	}')
	sed 's/^/    /' "$out" >&2
	log "other processes used ${OTHER}% of the CPU during the run"
	REQS=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	P99_MS=$(awk '$1 == "99%" {
		v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) }
		else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60000 }
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		printf "%.2f", v
	}' "$out")
	ERRS=$(awk '/^ *Non-2xx or 3xx responses:/ {n += $NF}
		/^ *Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
		END {print n + 0}' "$out")
	[[ -n $REQS && -n $P99_MS ]] || die "could not parse wrk output of $url"
}

ROWS=() # one formatted line per compared path
# What compare measured of each path, for the mixed case to compare with.
declare -A PH_REQS_OF ST_REQS_OF ST_P99_OF

# compare PATH: loads PATH on partnerhub, then on a static server holding
# the bytes partnerhub answered for PATH (same Content-Type), and records a
# row of the summary.
compare() {
	local path=$1 slugname file ctype code
	slugname=$(printf '%s' "$path" | tr -c 'A-Za-z0-9' '_')
	file=$TMP/body$slugname
	read -r code ctype < <(curl -s -o "$file" -w '%{http_code} %{content_type}\n' --max-time 10 "$PH_URL$path")
	[[ $code == 200 ]] || die "GET $path on partnerhub: status $code"

	log "partnerhub $path ($(wc -c <"$file") bytes, $ctype)"
	wrk_run "$PH_URL$path" "ph$slugname" "$PH_PID"
	local ph_reqs=$REQS ph_p99=$P99_MS ph_errs=$ERRS ph_other=$OTHER

	"$TMP/static" -addr "127.0.0.1:$STATIC_PORT" -file "$file" -type "$ctype" 2>>"$TMP/static.log" &
	STATIC_PID=$!
	wait_ok "http://127.0.0.1:$STATIC_PORT$path" "$STATIC_PID" 10 || {
		cat "$TMP/static.log" >&2
		die "static server did not start"
	}
	log "static $path"
	wrk_run "http://127.0.0.1:$STATIC_PORT$path" "static$slugname" "$STATIC_PID"
	local st_reqs=$REQS st_p99=$P99_MS st_other=$OTHER
	stop "$STATIC_PID"
	STATIC_PID=""
	PH_REQS_OF[$path]=$ph_reqs ST_REQS_OF[$path]=$st_reqs ST_P99_OF[$path]=$st_p99

	local ratio v_ratio v_p99 note=""
	ratio=$(awk -v a="$ph_reqs" -v b="$st_reqs" 'BEGIN {printf "%.2f", a / b}')
	verdict "$ratio >= $BAR_RATIO"
	v_ratio=$VERDICT
	verdict "$ph_p99 < $BAR_P99_MS"
	v_p99=$VERDICT
	if ((ph_errs > 0)); then
		note="FAIL: $ph_errs non-2xx/3xx or socket errors"
		FAILED=1
	elif ((ph_other > NOISY_PCT || st_other > NOISY_PCT)); then
		note="noisy: machine busy"
	fi
	ROWS+=("$(printf '%-28s %10.0f %8.2f %10.0f %8.2f %6s %-5s %-5s %5s %5s  %s' \
		"$path" "$ph_reqs" "$ph_p99" "$st_reqs" "$st_p99" "$ratio" "$v_ratio" "$v_p99" \
		"$ph_other%" "$st_other%" "$note")")
}

# The paths compared. Add the portal's pages here as they land, e.g.
# EXTRA_PATHS="/a /b" compares more paths without editing this file.
compare /api/v1/partners
compare /en/partners
compare /ja/partners/ntu
# By default also the paged activity list and the map, the portal's
# heaviest pages; EXTRA_PATHS="" compares none of them.
for path in ${EXTRA_PATHS-/en/activities /ja/map}; do
	compare "$path"
done

# --- mixed: reads while writes land ---------------------------------------

# A coordinator of every unit, signed in with a password, makes an API token
# with the write scope through the account page, as a person would.
make_token() {
	local units pw jar=$TMP/cookies page
	units=$(curl -s --max-time 10 "$PH_URL/api/v1/units" | grep -o '"code":"[^"]*"' | cut -d'"' -f4 | paste -sd, -)
	[[ -n $units ]] || die "no units to give the writer"
	pw="bench-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
	printf '%s\n' "$pw" | "$TMP/partnerhub" user add -db "sqlite:$DB" -email bench-writer@example.org \
		-name "Bench Writer" -role coordinator -units "$units" -password-stdin >&2 || die "user add failed"
	curl -s -o /dev/null -c "$jar" -b "$jar" --max-time 10 --data-urlencode email=bench-writer@example.org \
		--data-urlencode "password=$pw" "$PH_URL/en/signin" || die "sign-in failed"
	page=$(curl -s -c "$jar" -b "$jar" --max-time 10 --data-urlencode name=bench --data-urlencode scope=write \
		"$PH_URL/en/account/tokens")
	TOKEN=$(printf '%s' "$page" | grep -o '<code class="token">[^<]*' | cut -d'>' -f2)
	[[ -n $TOKEN ]] || die "no API token in the account page"
}

MIXED_ROWS=()

# mixed PATH: loads PATH on partnerhub while bench/writer makes WRITE_RATE
# API writes a second (over the warm-up and the measured run), and records a
# row beside what compare measured of PATH: partnerhub alone and the static
# server. The writes' own figures go in the row's note.
mixed() {
	local path=$1 slugname out
	slugname=$(printf '%s' "$path" | tr -c 'A-Za-z0-9' '_')
	[[ -n ${ST_REQS_OF[$path]:-} ]] || compare "$path"
	out=$TMP/writer$slugname.txt
	log "partnerhub $path with $WRITE_RATE writes/s"
	# Long enough for warm-up and run: the writer stops by itself.
	"$TMP/writer" -url "$PH_URL" -token "$TOKEN" -rate "$WRITE_RATE" \
		-duration "$(($(secs "$WARMUP") + $(secs "$DURATION") + 1))s" >"$out" 2>"$TMP/writer.log" &
	local writer_pid=$!
	wrk_run "$PH_URL$path" "mixed$slugname" "$PH_PID"
	local ph_reqs=$REQS ph_p99=$P99_MS ph_errs=$ERRS ph_other=$OTHER
	local writer_rc=0
	wait "$writer_pid" || writer_rc=$?
	cat "$TMP/writer.log" >&2
	log "writer: $(cat "$out")"
	local st_reqs=${ST_REQS_OF[$path]} st_p99=${ST_P99_OF[$path]} alone=${PH_REQS_OF[$path]}
	local ratio v_ratio v_p99 note writes
	ratio=$(awk -v a="$ph_reqs" -v b="$st_reqs" 'BEGIN {printf "%.2f", a / b}')
	verdict "$ratio >= $BAR_RATIO"
	v_ratio=$VERDICT
	verdict "$ph_p99 < $BAR_P99_MS"
	v_p99=$VERDICT
	# "writes 123 failed 0 conflicts 0 rate 10.0/s p50 3.10 ms p99 9.80 ms"
	writes=$(awk '{printf "%s writes (%s), p99 %s ms", $2, $8, $13}' "$out")
	note=$writes
	if ((writer_rc != 0 || ph_errs > 0)); then
		note="FAIL: writer status $writer_rc, $ph_errs read errors; $writes"
		FAILED=1
	elif ((ph_other > NOISY_PCT)); then
		note="noisy: machine busy; $writes"
	fi
	MIXED_ROWS+=("$(printf '%-28s %10.0f %10.0f %8.2f %10.0f %8.2f %6s %-5s %-5s %5s  %s' \
		"$path" "$alone" "$ph_reqs" "$ph_p99" "$st_reqs" "$st_p99" "$ratio" "$v_ratio" "$v_p99" \
		"$ph_other%" "$note")")
}

# secs D: whole seconds of a wrk duration ("10s", "2m", "1h"; at least 1).
secs() {
	awk -v d="$1" 'BEGIN {
		n = d + 0; u = substr(d, length(d))
		if (u == "m") n *= 60; else if (u == "h") n *= 3600
		printf "%d", n < 1 ? 1 : n
	}'
}

if [[ -n ${MIXED_PATHS-/en/partners} ]]; then
	make_token
	for path in ${MIXED_PATHS-/en/partners}; do
		mixed "$path"
	done
fi

# Peak resident memory of the partnerhub process over its whole life.
RSS_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$PH_PID/status")
RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN {printf "%.1f", k / 1024}')

# --- cold start --------------------------------------------------------------

# From process start to the first 200 of /api/v1/partners, on the existing
# database (migrations already applied, data loaded).
stop_partnerhub
log "cold start x$COLD_RUNS"
COLD=()
for ((run = 1; run <= COLD_RUNS; run++)); do
	port_free "$PH_PORT" || die "127.0.0.1:$PH_PORT still in use after stop"
	t0=$(now_ns)
	start_partnerhub
	until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 "$PH_URL/api/v1/partners" || true) == 200 ]]; do
		if ! kill -0 "$PH_PID" 2>/dev/null; then
			tail -n 20 "$TMP/partnerhub.log" >&2
			die "partnerhub exited during cold start"
		fi
		(($(now_ns) - t0 < 30000000000)) || die "no 200 within 30 s of start"
		sleep 0.005
	done
	t1=$(now_ns)
	COLD+=($(((t1 - t0) / 1000000)))
	stop_partnerhub
done
COLD_MEDIAN=$(printf '%s\n' "${COLD[@]}" | median)

# --- summary -----------------------------------------------------------------

verdict "$RSS_MB < $BAR_RSS_MB"
V_RSS=$VERDICT
verdict "$COLD_MEDIAN < $BAR_COLD_MS"
V_COLD=$VERDICT
{
	echo
	echo "partnerhub vs static bytes — wrk -t$THREADS -c$CONNS -d$DURATION (after ${WARMUP} warm-up), $(nproc) CPUs shared by wrk and the server"
	echo "load average before the load: $LOADAVG_BEFORE; other: CPU share of other processes during each run (> $NOISY_PCT% = noisy)"
	printf '%-28s %10s %8s %10s %8s %6s %-5s %-5s %5s %5s\n' "path" "ph req/s" "ph p99" "st req/s" "st p99" "ratio" "ratio" "p99" "other" "other"
	printf '%-28s %10s %8s %10s %8s %6s %-5s %-5s %5s %5s\n' "" "" "ms" "" "ms" "ph/st" ">=$BAR_RATIO" "<${BAR_P99_MS}ms" "ph" "st"
	printf '%s\n' "${ROWS[@]}"
	if ((${#MIXED_ROWS[@]})); then
		echo
		echo "mixed: the same reads while bench/writer makes $WRITE_RATE API writes a second (PATCH of teams' leads and activities' venues)"
		printf '%-28s %10s %10s %8s %10s %8s %6s %-5s %-5s %5s\n' "path" "ph alone" "ph req/s" "ph p99" "st req/s" "st p99" "ratio" "ratio" "p99" "other"
		printf '%-28s %10s %10s %8s %10s %8s %6s %-5s %-5s %5s\n' "" "req/s" "writes" "ms" "" "ms" "ph/st" ">=$BAR_RATIO" "<${BAR_P99_MS}ms" "ph"
		printf '%s\n' "${MIXED_ROWS[@]}"
	fi
	echo
	printf '%-34s %8s MB   %s (< %s MB)\n' "partnerhub peak RSS (VmHWM)" "$RSS_MB" "$V_RSS" "$BAR_RSS_MB"
	printf '%-34s %8s ms   %s (< %s ms)   runs: %s ms\n' "cold start to first 200, median" "$COLD_MEDIAN" \
		"$V_COLD" "$BAR_COLD_MS" "${COLD[*]}"
}

if ((FAILED)); then
	echo "RESULT: FAIL"
	exit 1
fi
echo "RESULT: PASS"
