#!/usr/bin/env bash
# Register scale: `wangjian import entities` of a generated Nanning register (default 1,000,000
# entities) against sqlite3's own `.import` of the SAME CSV file (the storage floor: the CSV
# parsed by the sqlite3 shell and inserted into one table with the UNIQUE uscc index, nothing
# validated), then search latency and profile-page latency of `wangjian serve` on the imported
# register under an open-loop constant-rate load. Prints each run and the medians (seconds,
# records/s, peak RSS; the two sides alternating), p50/p99 of both HTTP loads, and as its LAST
# line `ratio sqlite-import: <x>`, x = median wangjian seconds ÷ median sqlite3 seconds (lower
# is better; goal <= 3 with wangjian's validation on, which it always is). On PostgreSQL too
# (the server at PGHOST:PGPORT, default 127.0.0.1:5432, user PGUSER, default postgres): the same
# import into a fresh database against psql's `\copy` (COPY FROM STDIN) of the same file into
# one comparable table, printed as `ratio pg-copy: <x>` just before the last line.
#
#   bench/register.sh [--quick] [--entities N] [--runs N] [--rate R] [--duration SECS] [--seed S]
#                     [--import-only] [--engine sqlite|both] [--keep DIR] [--reuse DIR]
#   WANGJIAN_BIN=path/to/wangjian bench/register.sh   # skip the build, bench that binary
#   SEARCH_WAIT=SECS   how long to wait for GET /api/search to answer 200 (default 600)
#
# --quick: 50,000 entities, one run per side, 5 s of load per endpoint. --import-only: skip the
# search and profile loads (the ratio line still comes last). --engine sqlite: no PostgreSQL
# comparison (default both; the SQLite one always runs, the search part uses its data).
# --keep DIR: keep the register, its queries and the last imported data directory in DIR.
# --reuse DIR: skip generation and import, and measure search and profile pages on DIR's data
# (from an earlier --keep DIR run; the last line then says the import was not measured).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ENTITIES=1000000 RUNS=3 RATE=200 DURATION=20 SEED=1 QUICK=0 QUERIES=10000 IMPORT_ONLY=0 PG=1
KEEP_DIR="" REUSE_DIR=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1; ENTITIES=50000; RUNS=1; DURATION=5 ;;
        --entities) ENTITIES="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --rate) RATE="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --seed) SEED="$2"; shift ;;
        --import-only) IMPORT_ONLY=1 ;;
        --engine)
            case "$2" in sqlite) PG=0 ;; both) PG=1 ;; *) echo "unknown engine choice: $2" >&2; exit 2 ;; esac
            shift ;;
        --keep) KEEP_DIR="$2"; shift ;;
        --reuse) REUSE_DIR="$2"; shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
SEARCH_WAIT="${SEARCH_WAIT:-600}"
log() { echo "register.sh: $*" >&2; }
die() { echo "register.sh: FAILED: $*" >&2; exit 1; }

# --- what the bench needs ---------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
fi
if ! command -v sqlite3 >/dev/null; then
    log "installing sqlite3"
    apt-get install -y -qq sqlite3 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq sqlite3; }
fi
command -v curl >/dev/null || die "curl is needed to poll the console"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
if [ "$PG" = 1 ]; then
    if ! command -v psql >/dev/null || ! command -v createdb >/dev/null; then
        log "installing postgresql-client"
        apt-get install -y -qq postgresql-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql-client; }
    fi
    psql -d postgres -tAc 'SELECT 1' >/dev/null 2>&1 \
        || die "no PostgreSQL server answers at $PGHOST:$PGPORT as $PGUSER (--engine sqlite skips it)"
fi
if [ -n "${WANGJIAN_BIN:-}" ]; then
    WJ="$WANGJIAN_BIN"   # a prebuilt binary (e.g. to bench a fixed commit while the tree moves)
else
    log "building wangjian (cargo build --release)"
    (cd "$ROOT" && cargo build --release -q --bin wangjian)
    WJ="${CARGO_TARGET_DIR:-$ROOT/target}/release/wangjian"
fi
log "building bench/registerbench (cargo build --release)"
(cd "$HERE/registerbench" && cargo build --release -q)
RB="${CARGO_TARGET_DIR:-$HERE/registerbench/target}/release/registerbench"

TMP="$(mktemp -d /tmp/wj-register-bench.XXXXXX)"
SERVE_PID=""
PG_DBS=""
cleanup() {
    for db in $PG_DBS; do dropdb --if-exists "$db" 2>/dev/null || true; done
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# `time -v` field of a file, e.g. tv FILE 'Maximum resident set size (kbytes)'.
tv() { grep -F "$2" "$1" | head -1 | awk -F': ' '{print $2}'; }
# "m:ss.ss" or "h:mm:ss" -> seconds
wall_secs() { echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }
cpu_secs() { echo "$(tv "$1" 'User time') + $(tv "$1" 'System time')" | bc; }

# --- the register -----------------------------------------------------------------------
if [ -z "$REUSE_DIR" ]; then
log "generating $ENTITIES entities (seed $SEED) and $QUERIES name queries"
"$RB" gen --entities "$ENTITIES" --seed "$SEED" -o "$TMP/register.csv" \
    --queries "$TMP/queries.txt" --query-count "$QUERIES" >&2
CSV_MB="$(du -m "$TMP/register.csv" | cut -f1)"


# The floor: the sqlite3 shell's CSV import into one table shaped like the file, with the
# UNIQUE uscc index wangjian also maintains (an upsert by USCC needs it), in WAL mode with
# synchronous=NORMAL like wangjian's database. `.import` runs as one transaction.
cat >"$TMP/floor.sql" <<EOF
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE entities (uscc TEXT NOT NULL UNIQUE, name TEXT, kind TEXT, district TEXT,
    address TEXT, domains TEXT, icp TEXT, food_permit TEXT, legal_rep TEXT, phone TEXT);
.import --csv --skip 1 $TMP/register.csv entities
EOF

: >"$TMP/wj.txt"
: >"$TMP/sq.txt"
# run_sqlite N: appends "secs cpu rss_kb" to $TMP/sq.txt
run_sqlite() {
    local db="$TMP/floor-$1.db" t="$TMP/sq-time-$1"
    rm -f "$db" "$db-wal" "$db-shm"
    /usr/bin/time -v -o "$t" sqlite3 -bail "$db" <"$TMP/floor.sql" >"$TMP/sq-out-$1" 2>&1 \
        || { cat "$TMP/sq-out-$1" >&2; die "sqlite3 .import failed"; }
    local n
    n="$(sqlite3 "$db" 'SELECT count(*) FROM entities')"
    [ "$n" = "$ENTITIES" ] || die "sqlite3 imported $n rows, expected $ENTITIES"
    local secs
    secs="$(wall_secs "$(tv "$t" 'Elapsed (wall clock)')")"
    echo "$secs $(cpu_secs "$t") $(tv "$t" 'Maximum resident set size')" >>"$TMP/sq.txt"
    log "sqlite3  run $1: $n rows in $secs s, $(cpu_secs "$t") CPU s, $(( $(tv "$t" 'Maximum resident set size') / 1024 )) MB peak RSS"
    rm -f "$db" "$db-wal" "$db-shm"
}
# run_wangjian N: a fresh data directory; appends "secs cpu rss_kb" to $TMP/wj.txt. The last
# run's data directory stays for the search part.
run_wangjian() {
    local d="$TMP/wj-data-$1" t="$TMP/wj-time-$1"
    rm -rf "$d"
    /usr/bin/time -v -o "$t" "$WJ" --data "$d" import entities "$TMP/register.csv" \
        >"$TMP/wj-out-$1" 2>"$TMP/wj-err-$1" \
        || { cat "$TMP/wj-err-$1" "$TMP/wj-out-$1" >&2; die "wangjian import failed"; }
    local line
    line="$(tail -1 "$TMP/wj-out-$1")"
    # "<c> created, <u> updated, <n> unchanged, <r> rejected"
    echo "$line" | grep -q "^$ENTITIES created, 0 updated, 0 unchanged, 0 rejected" \
        || { cat "$TMP/wj-err-$1" >&2; die "wangjian import: '$line', expected $ENTITIES created and nothing rejected"; }
    local secs
    secs="$(wall_secs "$(tv "$t" 'Elapsed (wall clock)')")"
    echo "$secs $(cpu_secs "$t") $(tv "$t" 'Maximum resident set size')" >>"$TMP/wj.txt"
    log "wangjian run $1: $line in $secs s, $(cpu_secs "$t") CPU s, $(( $(tv "$t" 'Maximum resident set size') / 1024 )) MB peak RSS"
    if [ -n "$LAST_DATA" ]; then rm -rf "$LAST_DATA"; fi
    LAST_DATA="$d"
    rm -f "$TMP/register.csv.rejects.csv"
}

LAST_DATA=""
for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) -eq 1 ]; then run_wangjian "$r"; run_sqlite "$r"; else run_sqlite "$r"; run_wangjian "$r"; fi
done

# PostgreSQL: each run into a fresh database, dropped after it. The peer: psql's `\copy`
# (COPY FROM STDIN, the CSV parsed by the server) into one table of the file's ten columns with
# the UNIQUE uscc index, in the "C" collation as wangjian's text columns; nothing validated.
PG_PREFIX="wj_register_bench_$$"
cat >"$TMP/pg-floor.sql" <<SQL
CREATE TABLE entities (uscc TEXT COLLATE "C" NOT NULL UNIQUE, name TEXT, kind TEXT,
    district TEXT, address TEXT, domains TEXT, icp TEXT, food_permit TEXT, legal_rep TEXT,
    phone TEXT);
\\copy entities FROM '$TMP/register.csv' WITH (FORMAT csv, HEADER true)
SQL
: >"$TMP/pgwj.txt"
: >"$TMP/pgcp.txt"
fresh_db() {
    dropdb --if-exists "$1" 2>/dev/null || true
    createdb "$1" || die "createdb $1 failed"
    PG_DBS="$PG_DBS $1"
}
# run_pg_copy N: appends "secs cpu rss_kb" to $TMP/pgcp.txt
run_pg_copy() {
    local db="${PG_PREFIX}_copy_$1" t="$TMP/pgcp-time-$1"
    fresh_db "$db"
    /usr/bin/time -v -o "$t" psql -q -v ON_ERROR_STOP=1 -d "$db" -f "$TMP/pg-floor.sql" \
        >"$TMP/pgcp-out-$1" 2>&1 || { cat "$TMP/pgcp-out-$1" >&2; die "psql \\copy failed"; }
    local n
    n="$(psql -d "$db" -tAc 'SELECT count(*) FROM entities')"
    [ "$n" = "$ENTITIES" ] || die "psql \\copy imported $n rows, expected $ENTITIES"
    local secs
    secs="$(wall_secs "$(tv "$t" 'Elapsed (wall clock)')")"
    echo "$secs $(cpu_secs "$t") $(tv "$t" 'Maximum resident set size')" >>"$TMP/pgcp.txt"
    log "psql \\copy run $1: $n rows in $secs s"
    dropdb "$db"
}
# run_pg_wangjian N: appends "secs cpu rss_kb" to $TMP/pgwj.txt
run_pg_wangjian() {
    local db="${PG_PREFIX}_wj_$1" d="$TMP/pgwj-data-$1" t="$TMP/pgwj-time-$1"
    fresh_db "$db"
    rm -rf "$d"
    /usr/bin/time -v -o "$t" "$WJ" --data "$d" --database "postgres://$PGUSER@$PGHOST:$PGPORT/$db" \
        import entities "$TMP/register.csv" >"$TMP/pgwj-out-$1" 2>"$TMP/pgwj-err-$1" \
        || { cat "$TMP/pgwj-err-$1" "$TMP/pgwj-out-$1" >&2; die "wangjian import (PostgreSQL) failed"; }
    local line
    line="$(tail -1 "$TMP/pgwj-out-$1")"
    echo "$line" | grep -q "^$ENTITIES created, 0 updated, 0 unchanged, 0 rejected" \
        || { cat "$TMP/pgwj-err-$1" >&2; die "wangjian import (PostgreSQL): '$line', expected $ENTITIES created and nothing rejected"; }
    local secs
    secs="$(wall_secs "$(tv "$t" 'Elapsed (wall clock)')")"
    echo "$secs $(cpu_secs "$t") $(tv "$t" 'Maximum resident set size')" >>"$TMP/pgwj.txt"
    log "wangjian (PostgreSQL) run $1: $line in $secs s, $(cpu_secs "$t") CPU s (client), $(( $(tv "$t" 'Maximum resident set size') / 1024 )) MB peak RSS"
    rm -rf "$d" "$TMP/register.csv.rejects.csv"
    dropdb "$db"
}
if [ "$PG" = 1 ]; then
    for r in $(seq 1 "$RUNS"); do
        if [ $((r % 2)) -eq 1 ]; then run_pg_wangjian "$r"; run_pg_copy "$r"; else run_pg_copy "$r"; run_pg_wangjian "$r"; fi
    done
fi

python3 - "$TMP" "$ENTITIES" "$RUNS" "$CSV_MB" "$PG" >"$TMP/import-summary.txt" <<'EOF'
import statistics as st, sys
tmp, n, runs, mb, pg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] == "1"
def rows(name):
    return [[float(x) for x in l.split()] for l in open(f"{tmp}/{name}") if l.strip()]
wj, sq = rows("wj.txt"), rows("sq.txt")
med = lambda rs, i: st.median(r[i] for r in rs)
print(f"register import: {n} entities, {mb} MB CSV, median of {runs} run(s), wall time of the whole process")
for name, rs, what in (("wangjian", wj, "import entities (parse, validate, load in batches of 2,000)"),
                       ("sqlite3", sq, ".import --csv into one table + UNIQUE(uscc), no validation")):
    print(f"{name:9s} {med(rs,0):8.2f} s  {n / med(rs,0):9.0f} records/s  {med(rs,1):7.2f} CPU s  "
          f"{med(rs,2) / 1024:6.0f} MB peak RSS  {what}  (runs: {', '.join('%.2f s' % r[0] for r in rs)})")
if pg:
    pw, pc = rows("pgwj.txt"), rows("pgcp.txt")
    print("PostgreSQL, the same file into a fresh database (CPU s and RSS of the client; the server's work is in the wall time):")
    for name, rs, what in (("wangjian", pw, "import entities --database postgres://... (parse, validate, load)"),
                           ("psql", pc, "\\copy (COPY FROM STDIN, csv) into one table + UNIQUE(uscc), no validation")):
        print(f"{name:9s} {med(rs,0):8.2f} s  {n / med(rs,0):9.0f} records/s  {med(rs,1):7.2f} CPU s  "
              f"{med(rs,2) / 1024:6.0f} MB peak RSS  {what}  (runs: {', '.join('%.2f s' % r[0] for r in rs)})")
    print(f"PG_RATIO={med(pw,0) / med(pc,0):.2f}")
print(f"WJ_MEDIAN={med(wj,0):.4f} SQ_MEDIAN={med(sq,0):.4f}")
EOF
grep -v '^WJ_MEDIAN\|^PG_RATIO' "$TMP/import-summary.txt"
eval "$(grep '^WJ_MEDIAN' "$TMP/import-summary.txt")"
PG_RATIO="$(grep '^PG_RATIO=' "$TMP/import-summary.txt" | cut -d= -f2)"
echo "load average after the imports: $(uptime | sed 's/.*load average: //')"

# The PostgreSQL ratio (when measured), then the SQLite one as the last line.
ratio_line() {
    if [ -n "$PG_RATIO" ]; then echo "ratio pg-copy: $PG_RATIO"; fi
    printf 'ratio sqlite-import: %.2f\n' "$(echo "$WJ_MEDIAN / $SQ_MEDIAN" | bc -l)"
}
if [ -n "$KEEP_DIR" ]; then
    mkdir -p "$KEEP_DIR"
    rm -rf "$KEEP_DIR/data"
    mv "$LAST_DATA" "$KEEP_DIR/data"
    LAST_DATA="$KEEP_DIR/data"
    cp "$TMP/queries.txt" "$TMP/register.csv" "$KEEP_DIR/"
    log "kept the register, its queries and the imported data directory in $KEEP_DIR"
fi
if [ "$IMPORT_ONLY" = 1 ]; then
    ratio_line
    exit 0
fi
else
    [ -d "$REUSE_DIR/data" ] && [ -s "$REUSE_DIR/queries.txt" ] || die "--reuse $REUSE_DIR: no data/ and queries.txt there (make them with --keep DIR)"
    LAST_DATA="$REUSE_DIR/data"
    cp "$REUSE_DIR/queries.txt" "$TMP/queries.txt"
    ENTITIES="$(sqlite3 "$LAST_DATA/wangjian.db" 'SELECT count(*) FROM entities')"
    log "reusing $LAST_DATA ($ENTITIES entities): no generation, no import"
    ratio_line() { echo "ratio sqlite-import: not measured (--reuse)"; }
fi

# --- search and profile latency ---------------------------------------------------------
D="$LAST_DATA"
# The console wants a login: a supervisor (city-wide reads) with an API token for the loads.
if ! "$WJ" --data "$D" user list 2>/dev/null | awk '$2 == "bench" { found = 1 } END { exit !found }'; then
    echo "bench-password-$$" | "$WJ" --data "$D" user add bench --role supervisor --password-stdin >/dev/null \
        || die "wangjian user add failed"
fi
TOKEN="$("$WJ" --data "$D" user token bench --name register-bench | awk '{print $NF}')"
[ -n "$TOKEN" ] || die "wangjian user token printed no token"
AUTH="Authorization: Bearer $TOKEN"
if "$WJ" search --help 2>/dev/null | grep -qw sync; then
    log "wangjian search sync (building the search index from the database)"
    /usr/bin/time -v -o "$TMP/sync-time" "$WJ" --data "$D" search sync >"$TMP/sync-out" 2>&1 \
        || { cat "$TMP/sync-out" >&2; die "wangjian search sync failed"; }
    echo "search sync: $(wall_secs "$(tv "$TMP/sync-time" 'Elapsed (wall clock)')") s, $(( $(tv "$TMP/sync-time" 'Maximum resident set size') / 1024 )) MB peak RSS ($ENTITIES entities)"
else
    log "this wangjian has no 'search sync': the console syncs its index when it starts"
fi

"$WJ" --data "$D" serve --addr 127.0.0.1:0 >"$TMP/serve.out" 2>&1 &
SERVE_PID=$!
PORT=""
for _ in $(seq 1 600); do
    PORT="$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve.out" 2>/dev/null | head -1 | sed 's/.*://')" || true
    [ -n "$PORT" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$TMP/serve.out" >&2; die "wangjian serve exited"; }
    sleep 0.1
done
[ -n "$PORT" ] || { cat "$TMP/serve.out" >&2; die "wangjian serve printed no address"; }
log "console on 127.0.0.1:$PORT; waiting (up to $SEARCH_WAIT s) for GET /api/search?q=x to answer 200"
T0="$(date +%s.%N)"
STATUS=""
while :; do
    STATUS="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "$AUTH" "http://127.0.0.1:$PORT/api/search?q=x" || true)"
    [ "$STATUS" = 200 ] && break
    if [ "$STATUS" = 404 ] && [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "http://127.0.0.1:$PORT/api/v1/sites?limit=1" || true)" = 200 ]; then
        die "GET /api/search?q=x answers 404 while /api/sites answers 200: this wangjian has no search endpoint; no search latency measured"
    fi
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$TMP/serve.out" >&2; die "wangjian serve exited while waiting for /api/search"; }
    if [ "$(echo "$(date +%s.%N) - $T0 > $SEARCH_WAIT" | bc)" = 1 ]; then
        tail -20 "$TMP/serve.out" >&2
        die "GET /api/search?q=x never answered 200 within $SEARCH_WAIT s (last status: ${STATUS:-none}); no search latency measured"
    fi
    sleep 0.5
done
echo "search ready: GET /api/search answered 200 $(echo "$(date +%s.%N) - $T0" | bc | xargs printf '%.1f') s after the console listened"

# field NAME LINE: the value after NAME in a `key value ...` line
field() { echo "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }
# load_report LABEL LINE: one summary line; fails on errors, non-2xx or unsent requests
load_report() {
    local l="$2"
    echo "$1: p50 $(field p50_ms "$l") ms  p99 $(field p99_ms "$l") ms  (p90 $(field p90_ms "$l"), max $(field max_ms "$l") ms) at $(field rate "$l") req/s for $DURATION s: sent $(field sent "$l"), completed $(field completed "$l"), non-2xx $(field non2xx "$l"), errors $(field errors "$l"), unsent $(field unsent "$l"), achieved $(field achieved_rps "$l") req/s"
    if [ "$(field errors "$l")" != 0 ] || [ "$(field non2xx "$l")" != 0 ] || [ "$(field unsent "$l")" != 0 ]; then
        log "WARNING: $1 had errors, non-2xx answers or unsent requests: its latencies are not a clean measurement"
    fi
}

log "name search: $RATE req/s for $DURATION s, $QUERIES queries (partial and full names) cycled"
SEARCH_LINE="$("$RB" load --url-template "http://127.0.0.1:$PORT/api/search?q={q}" \
    --queries "$TMP/queries.txt" --rate "$RATE" --duration "$DURATION" --header "$AUTH")"
log "$SEARCH_LINE"
log "profile pages: $RATE req/s for $DURATION s, ids uniform in 1..$ENTITIES"
PROFILE_LINE="$("$RB" load --url-template "http://127.0.0.1:$PORT/entities/{id}" \
    --ids "1..$ENTITIES" --rate "$RATE" --duration "$DURATION" --header "$AUTH")"
log "$PROFILE_LINE"
echo "wangjian serve: $(awk '/^VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVE_PID/status") peak RSS after both loads"
load_report "name search /api/search ($ENTITIES entities)" "$SEARCH_LINE"
ST="$(echo "$SEARCH_LINE" | grep '^server_timing' || true)"
[ -z "$ST" ] || echo "  of which in the console (Server-Timing): index p50 $(field index_p50_ms "$ST") ms, p99 $(field index_p99_ms "$ST") ms; database p50 $(field db_p50_ms "$ST") ms, p99 $(field db_p99_ms "$ST") ms"
load_report "profile /entities/{id}" "$PROFILE_LINE"
echo "goal: name search p99 <= 20 ms on 1,000,000 entities"

ratio_line
