#!/usr/bin/env bash
# Sweep throughput with many workers: the same simweb swept by one `wangjian sweep` process
# and by 1, 2 and 4 `wangjian worker` processes (`sweep --for-workers`), each on a fresh
# PostgreSQL database and data directory, in one run (modes alternate their order between
# runs); and by 2 workers with `--objects` (each file uploaded to a local s3s-fs at the flush
# that ends it, the log sequenced by `wangjian sequencer`), for what the object store costs. Prints per mode: pages, wall seconds, pages/s, CPU seconds of every process (user +
# sys), pages per CPU second, and the speed-up over the single process; this machine has
# few cores, so the line that matters is the efficiency per core used (speed-up ÷ the cores
# the workers could use), not absolute scale. Last line: `ratio single-process: <x>`, the best
# worker mode's pages/s ÷ the single process's.
#
#   bench/workers.sh [--quick] [--runs N] [--sites N] [--seed S] [--max-pages M]
#   WANGJIAN_BIN=path/to/wangjian bench/workers.sh   # skip the build, bench that binary
#   WANGJIAN_BENCH_PG=postgres://127.0.0.1/postgres   # the server (trust auth); default shown
#
# Installs /usr/bin/time (apt `time`) when missing; s3s-fs is the one the tests build
# (~/.cache/wangjian-tools/s3s-fs, or WANGJIAN_S3S_FS). Nothing leaves loopback.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SITES=200 SEED=11 MAX_PAGES=30 MAX_DEPTH=5 RUNS=3 CONC=16 HOSTS=16
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) SITES=60; MAX_PAGES=15; RUNS=1 ;;
        --runs) RUNS="$2"; shift ;;
        --sites) SITES="$2"; shift ;;
        --seed) SEED="$2"; shift ;;
        --max-pages) MAX_PAGES="$2"; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
PG="${WANGJIAN_BENCH_PG:-postgres://127.0.0.1/postgres}"
PG_BASE="${PG%/*}"
CORES="$(nproc)"

log() { echo "workers.sh: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
fi
command -v psql >/dev/null || { log "psql is needed (apt postgresql-client)"; exit 1; }
if [ -n "${WANGJIAN_BIN:-}" ]; then
    WJ="$WANGJIAN_BIN"
else
    log "building wangjian (cargo build --release)"
    (cd "$ROOT" && cargo build --release -q --bin wangjian)
    WJ="$ROOT/target/release/wangjian"
fi

S3S="${WANGJIAN_S3S_FS:-$HOME/.cache/wangjian-tools/s3s-fs/bin/s3s-fs}"
if [ ! -x "$S3S" ]; then
    log "building s3s-fs into ~/.cache/wangjian-tools/s3s-fs"
    cargo install --locked --quiet s3s-fs --version 0.14.1 --features binary \
        --root "$HOME/.cache/wangjian-tools/s3s-fs"
fi

TMP="$(mktemp -d /tmp/wj-workers-bench.XXXXXX)"
SIMWEB_PID="" S3_PID=""
DBS=()
cleanup() {
    for pid in "$SIMWEB_PID" "$S3_PID"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for db in "${DBS[@]}"; do psql -q "$PG" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

"$WJ" --data "$TMP/simweb" simweb --sites "$SITES" --seed "$SEED" --port 0 \
    --register "$TMP/register.csv" >"$TMP/simweb.out" 2>&1 &
SIMWEB_PID=$!
for _ in $(seq 1 600); do
    grep -q 'http://127.0.0.1:' "$TMP/simweb.out" 2>/dev/null && break
    kill -0 "$SIMWEB_PID" 2>/dev/null || { cat "$TMP/simweb.out" >&2; exit 1; }
    sleep 0.1
done
PORT="$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/simweb.out" | head -1 | sed 's/.*://')"
[ -n "$PORT" ] || { log "simweb did not start"; exit 1; }
# The object store: s3s-fs over a directory, bucket `evidence`, a prefix per run.
mkdir -p "$TMP/s3/evidence"
S3_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$S3S" --host 127.0.0.1 --port "$S3_PORT" --access-key bench --secret-key bench-secret \
    "$TMP/s3" >"$TMP/s3.out" 2>&1 &
S3_PID=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && break
    sleep 0.1
done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret
# objects_table DIR PREFIX: DIR's wangjian.toml names the store, under PREFIX
objects_table() {
    mkdir -p "$1"
    printf '\n[objects]\nendpoint = "http://127.0.0.1:%s"\nbucket = "evidence"\nprefix = "%s"\nupload_every_secs = 0\n' \
        "$S3_PORT" "$2" >>"$1/wangjian.toml"
}
CRAWL=(--resolve "*:80:127.0.0.1:$PORT" --concurrency "$CONC" --delay-ms 0 --max-pages "$MAX_PAGES"
       --max-depth "$MAX_DEPTH" --no-render)

tv() { grep -F "$2" "$1" | head -1 | awk -F': ' '{print $2}'; }
cpu_of() { echo "$(tv "$1" 'User time') + $(tv "$1" 'System time')" | bc; }

# fresh NAME: a new database and data directory with the register imported; sets DB_URL, DATA
fresh() {
    local db; db="wj_bench_$(echo "$1" | tr -c "a-z0-9\n" "_")_$$"
    DBS+=("$db")
    psql -q "$PG" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
    psql -q "$PG" -c "CREATE DATABASE $db" >/dev/null
    DB_URL="$PG_BASE/$db"
    DATA="$TMP/data-$1"
    rm -rf "$DATA"
    "$WJ" --data "$DATA" --database "$DB_URL" import entities "$TMP/register.csv" >/dev/null
}

# pg_stats DB_URL: "commits rows_written" of the database so far (the statistics collector's
# view, flushed first so that it is current)
pg_stats() {
    psql -qtA "$1" -c "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true
    psql -qtA -F' ' "$1" -c "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted \
        FROM pg_stat_database WHERE datname = current_database()"
}

# pages DB_URL: pages of the newest sweep
pages_of() { psql -qtA "$1" -c "SELECT pages FROM sweeps ORDER BY id DESC LIMIT 1"; }

# run MODE RUN: MODE is `single`, a number of workers, or `2s` (2 workers writing to the object
# store); appends "pages secs cpu" to $TMP/MODE.txt
run() {
    local mode="$1" name="$1-$2"
    fresh "$name"
    local stats0; stats0="$(pg_stats "$DB_URL")"
    local start end cpu=0
    if [ "$mode" = 2s ]; then
        objects_table "$DATA" "$name"
        "$WJ" --data "$DATA" --database "$DB_URL" sweep --for-workers >/dev/null
        start="$(date +%s.%N)"
        /usr/bin/time -v -o "$TMP/time-$name-seq" "$WJ" --data "$DATA" --database "$DB_URL" \
            sequencer --until-idle >"$TMP/out-$name-seq" 2>"$TMP/err-$name-seq" &
        local pids=("$!")
        for w in 1 2; do
            objects_table "$DATA-w$w" "$name"
            /usr/bin/time -v -o "$TMP/time-$name-$w" "$WJ" --data "$DATA-w$w" --database "$DB_URL" \
                worker --objects --name "w$w" --hosts "$HOSTS" --until-idle "${CRAWL[@]}" \
                >"$TMP/out-$name-$w" 2>"$TMP/err-$name-$w" &
            pids+=("$!")
        done
        for p in "${pids[@]}"; do wait "$p" || { cat "$TMP"/err-"$name"-* >&2; exit 1; }; done
        end="$(date +%s.%N)"
        for w in 1 2 seq; do cpu="$(echo "$cpu + $(cpu_of "$TMP/time-$name-$w")" | bc)"; done
        find "$TMP/s3/evidence/$name" -type f | wc -l >>"$TMP/objects.txt"
    elif [ "$mode" = single ]; then
        start="$(date +%s.%N)"
        /usr/bin/time -v -o "$TMP/time-$name" "$WJ" --data "$DATA" --database "$DB_URL" sweep \
            "${CRAWL[@]}" >"$TMP/out-$name" 2>"$TMP/err-$name" || { cat "$TMP/err-$name" >&2; exit 1; }
        end="$(date +%s.%N)"
        cpu="$(cpu_of "$TMP/time-$name")"
    else
        "$WJ" --data "$DATA" --database "$DB_URL" sweep --for-workers >/dev/null
        start="$(date +%s.%N)"
        local pids=()
        for w in $(seq 1 "$mode"); do
            /usr/bin/time -v -o "$TMP/time-$name-$w" "$WJ" --data "$DATA" --database "$DB_URL" \
                worker --name "w$w" --hosts "$HOSTS" --until-idle "${CRAWL[@]}" \
                >"$TMP/out-$name-$w" 2>"$TMP/err-$name-$w" &
            pids+=("$!")
        done
        for p in "${pids[@]}"; do wait "$p" || { cat "$TMP"/err-"$name"-* >&2; exit 1; }; done
        end="$(date +%s.%N)"
        for w in $(seq 1 "$mode"); do cpu="$(echo "$cpu + $(cpu_of "$TMP/time-$name-$w")" | bc)"; done
    fi
    local pages; pages="$(pages_of "$DB_URL")"
    local secs; secs="$(echo "$end - $start" | bc)"
    echo "$pages $secs $cpu" >>"$TMP/$mode.txt"
    # What a page costs to keep: WARC bytes, database bytes (fresh database less the empty
    # one's), log leaves (records), for SCALING.md's model.
    local warc dbb leaves
    if [ "$mode" = 2s ]; then
        warc="$(du -sb "$TMP/s3/evidence/$name" | cut -f1)"
    else
        warc="$(du -sb "$DATA/warc" | cut -f1)"
    fi
    dbb="$(psql -qtA "$DB_URL" -c "SELECT pg_database_size(current_database())")"
    leaves="$(( $(stat -c %s "$DATA/log/leaves" 2>/dev/null || echo 0) / 32 ))"
    # The server's counters (this database only): commits and rows written during the sweep.
    local stats1; stats1="$(pg_stats "$DB_URL")"
    echo "$pages $warc $dbb $leaves $stats0 $stats1" >>"$TMP/storage-$mode.txt"
    log "$mode run $2: $pages pages in $secs s, $cpu CPU s"
}

# An empty database's size (migrations only), taken off the per-page figures.
fresh empty
psql -qtA "$DB_URL" -c "SELECT pg_database_size(current_database())" >"$TMP/empty-db"

MODES=(single 1 2 4 2s)
log "$SITES sites (seed $SEED), $MAX_PAGES pages/site, concurrency $CONC per process, $HOSTS hosts per lease, $RUNS run(s), $CORES cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) -eq 1 ]; then order=("${MODES[@]}"); else order=(2s 4 2 1 single); fi
    for m in "${order[@]}"; do run "$m" "$r"; done
done

python3 - "$TMP" "$CORES" "$SITES" "$SEED" "$MAX_PAGES" "$RUNS" <<'PYEOF'
import statistics as st, sys
tmp, cores, sites, seed, max_pages, runs = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def med(mode):
    rows = [l.split() for l in open(f"{tmp}/{mode}.txt") if l.strip()]
    pages = st.median(int(r[0]) for r in rows)
    secs = st.median(float(r[1]) for r in rows)
    cpu = st.median(float(r[2]) for r in rows)
    pps = st.median(int(r[0]) / float(r[1]) for r in rows)
    return pages, secs, cpu, pps
print(f"workers bench: {sites} simweb sites (seed {seed}), {max_pages} pages/site, median of {runs} run(s), {cores} cores")
single = med("single")
best = 0.0
for mode in ["single", "1", "2", "4", "2s"]:
    pages, secs, cpu, pps = med(mode)
    speedup = pps / single[3]
    used = 1 if mode == "single" else min(int(mode.rstrip("s")), cores)
    per_cpu = pages / cpu if cpu else float("nan")
    label = {"single": "single process", "2s": "2 w. objects"}.get(mode, f"{mode} worker(s)")
    print(f"{label:<15} {pages:7.0f} pages {secs:8.2f} s {pps:8.1f} pages/s {cpu:8.2f} CPU s "
          f"{per_cpu:7.1f} pages/CPU s  speed-up {speedup:5.2f}  per core used {speedup / used:5.2f}")
    if mode not in ("single", "2s"):
        best = max(best, pps)
rows = [l.split() for l in open(f"{tmp}/storage-1.txt") if l.strip()]
p, warc, dbb, leaves, c0, w0, c1, w1 = (st.median(float(r[i]) for r in rows) for i in range(8))
empty = float(open(f"{tmp}/empty-db").read())
print(f"kept per page (1 worker): {warc / p / 1024:.1f} KB of WARC, "
      f"{(dbb - empty) / p / 1024:.1f} KB of database (over the register alone, {empty / 2**20:.1f} MB), "
      f"{leaves / p:.2f} log leaves, {(c1 - c0) / p:.2f} database commits and "
      f"{(w1 - w0) / p:.1f} rows written")
objs = st.median(int(l) for l in open(f"{tmp}/objects.txt") if l.strip())
pages2s = med("2s")[0]
print(f"object store (2 workers, --objects): {objs:.0f} objects, {pages2s / objs:.1f} pages per object, "
      f"pages/s {med('2s')[3] / med('2')[3]:.2f}× the same 2 workers on one disk "
      f"(the 2s line's CPU s include the sequencer's)")
print(f"ratio single-process: {best / single[3]:.2f}")
PYEOF
