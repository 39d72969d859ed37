# Shell helpers the benchmark scripts share: sourced, never run. The script
# sets NAME (its name in messages) before sourcing this.

log() { printf '== %s\n' "$*" >&2; }
die() {
	printf '%s: %s\n' "$NAME" "$*" >&2
	exit 2
}

# stop PID: SIGTERM, wait for it to exit (SIGKILL after 10 s).
stop() {
	local pid=$1 i
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# port_free PORT: nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

now_ns() { date +%s%N; }
# ms_since T0: milliseconds from T0 (ns) to now.
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }

# wait_ok URL PID [SECONDS]: polls URL until it answers 200; fails when PID
# exits or the time is up (30 s unless given).
wait_ok() {
	local url=$1 pid=$2 secs=${3:-30} deadline
	deadline=$(($(now_ns) + secs * 1000000000))
	until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true) == 200 ]]; do
		kill -0 "$pid" 2>/dev/null || return 1
		(($(now_ns) < deadline)) || return 1
		sleep 0.05
	done
}

# ensure PACKAGE COMMAND: apt-get install PACKAGE when COMMAND is missing.
ensure() {
	[[ -x $2 ]] || command -v "$2" >/dev/null && return 0
	log "installing $1"
	local sudo=""
	[[ $(id -u) == 0 ]] || sudo=sudo
	if ! $sudo apt-get install -y "$1" >&2; then
		$sudo apt-get update >&2
		$sudo apt-get install -y "$1" >&2
	fi
}

# holds COND: the awk condition COND is true.
holds() { awk "BEGIN {exit !($1)}"; }

FAILED=0
VERDICT=""
# verdict COND: PASS or FAIL into VERDICT, remembering a failure in FAILED
# (call it directly, not in $(...), so that FAILED is kept).
verdict() {
	if holds "$1"; then
		VERDICT=PASS
	else
		VERDICT=FAIL
		FAILED=1
	fi
}

# median / p95 of the numbers on stdin (nearest rank).
median() { sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
p95() { sort -g | awk '{v[NR] = $1} END {if (NR) {i = int(NR * 0.95); if (i < NR * 0.95) i++; print v[i]}}'; }
