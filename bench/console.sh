#!/usr/bin/env bash
# The console under load: its list pages, an entity profile and search, each driven by `wrk`
# with 50 concurrent keep-alive clients over a generated register (default 1,000,000 entities
# with their sites, findings, cases, listings, evaluations, commitments and filings: the data
# of bench/credit.sh), on EACH engine: SQLite (the data directory's wangjian.db) and
# PostgreSQL (a fresh database on 127.0.0.1:5432 holding the same rows). Logged in as a
# supervisor (city-wide reads) through the login form, the session cookie passed to wrk.
#
# Each page is asked once before wrk drives it (that first request's time is printed apart: the
# first visit after a start counts the dashboard's figures and meets cold caches).
# Prints every run (engine, page, p50, p99, requests/s, non-2xx), the medians per page and
# engine, and as its LAST line `ratio p99-goal: <x>`, x = 50 ms ÷ the worst median p99 of any
# page on any engine (the "peer" is the goal: x >= 1 means every page met p99 <= 50 ms).
#
#   bench/console.sh [--quick] [--entities N] [--runs N] [--duration SECS] [--connections C]
#                    [--engines sqlite,postgres] [--keep DIR] [--reuse DIR]
#   WANGJIAN_BIN=path/to/wangjian bench/console.sh   # skip the build, bench that binary
#   WANGJIAN_PG=postgres://postgres@127.0.0.1:5432   # the PostgreSQL server (trust auth)
#
# --quick: 20,000 entities, one run, 5 s per page. --keep DIR: keep both data directories
# (and the PostgreSQL database) for --reuse DIR, which skips generation, copy and indexing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ENTITIES=1000000 RUNS=3 DURATION=15 CONNECTIONS=50 ENGINES="sqlite,postgres" KEEP_DIR="" REUSE_DIR=""
AS_OF=2026-12-01
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) ENTITIES=20000; RUNS=1; DURATION=5 ;;
        --entities) ENTITIES="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --connections) CONNECTIONS="$2"; shift ;;
        --engines) ENGINES="$2"; shift ;;
        --keep) KEEP_DIR="$2"; shift ;;
        --reuse) REUSE_DIR="$2"; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
PG_SERVER="${WANGJIAN_PG:-postgres://postgres@127.0.0.1:5432}"
log() { echo "console.sh: $*" >&2; }
die() { echo "console.sh: FAILED: $*" >&2; exit 1; }
unset WANGJIAN_DATABASE WANGJIAN_DATA
[ "$ENTITIES" -ge 1000 ] || die "--entities must be at least 1000"

# --- what the bench needs ---------------------------------------------------------------
need_pkg() { # need_pkg COMMAND PACKAGE
    command -v "$1" >/dev/null && return 0
    log "installing $2"
    apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
    command -v "$1" >/dev/null || die "$1 (Debian package $2) could not be installed"
}
need_pkg wrk wrk
need_pkg sqlite3 sqlite3
need_pkg curl curl
need_pkg python3 python3
case ",$ENGINES," in *,postgres,*) need_pkg psql postgresql-client ;; esac
if [ -n "${WANGJIAN_BIN:-}" ]; then
    WJ="$WANGJIAN_BIN"
else
    log "building wangjian (cargo build --release)"
    (cd "$ROOT" && cargo build --release -q --bin wangjian)
    WJ="${CARGO_TARGET_DIR:-$ROOT/target}/release/wangjian"
fi
[ -x "$WJ" ] || die "no wangjian binary at $WJ"

TMP="$(mktemp -d /tmp/wj-console-bench.XXXXXX)"
SERVE_PID=""
stop_console() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
        SERVE_PID=""
    fi
}
cleanup() { stop_console; rm -rf "$TMP"; }
trap cleanup EXIT

if [ -n "$REUSE_DIR" ]; then
    WORK="$REUSE_DIR"
elif [ -n "$KEEP_DIR" ]; then
    WORK="$KEEP_DIR"; rm -rf "$WORK/sqlite" "$WORK/postgres"; mkdir -p "$WORK"
else
    WORK="$TMP"
fi
SQ_DATA="$WORK/sqlite" PG_DATA="$WORK/postgres"
# --reuse: the register's size is the SQLite data's (the profile's ids are drawn from it).
if [ -n "$REUSE_DIR" ]; then
    ENTITIES="$(sqlite3 "$SQ_DATA/wangjian.db" 'SELECT count(*) FROM entities')" || die "no SQLite data in $SQ_DATA"
fi
# One PostgreSQL database per register size, so that a --quick run does not replace the
# database a --keep of another size left for --reuse.
PG_DB="wj_console_bench_$ENTITIES"
PG_URL="$PG_SERVER/$PG_DB"
psql_server() { psql -X -q -v ON_ERROR_STOP=1 "$PG_SERVER/postgres" "$@"; }
psql_bench() { psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" "$@"; }

# --- the data (untimed) -----------------------------------------------------------------
if [ -z "$REUSE_DIR" ]; then
    # SQLite: the binary makes and migrates the schema, bench/credit/gen.sql fills it.
    "$WJ" --data "$SQ_DATA" sites >/dev/null 2>"$TMP/base-err" || { cat "$TMP/base-err" >&2; die "wangjian could not create a data directory"; }
    DB="$SQ_DATA/wangjian.db"
    DISTRICTS="$(awk -F'\t' '!/^#/ && $1 != "" && $1 != "450100" && $4 == "" {
        printf "%s(%d, '\''%s'\'', '\''%s'\'')", (n ? ", " : ""), n, $1, $2; n++ }' \
        "$ROOT/crates/domain/data/nanning-districts.tsv")"
    sed -e "s/{{N}}/$ENTITIES/g" -e "s/{{AS_OF}}/$AS_OF/g" -e "s/{{DISTRICTS}}/$DISTRICTS/" \
        "$HERE/credit/gen.sql" >"$TMP/gen.sql"
    log "generating $ENTITIES entities and their records (bench/credit/gen.sql)"
    T0="$(date +%s)"
    sqlite3 -bail "$DB" <"$TMP/gen.sql" >"$TMP/gen-out" 2>&1 || { cat "$TMP/gen-out" >&2; die "the generator failed"; }
    sqlite3 "$DB" 'ANALYZE;' || die "ANALYZE failed"
    log "generated in $(( $(date +%s) - T0 )) s: $(sqlite3 -separator ' ' "$DB" "SELECT (SELECT count(*) FROM entities) || ' entities, ' || (SELECT count(*) FROM sites) || ' sites, ' || (SELECT count(*) FROM findings) || ' findings, ' || (SELECT count(*) FROM cases) || ' cases'")"

    if [ -n "$(echo ",$ENGINES," | grep ',postgres,')" ]; then
        # PostgreSQL: a fresh database, migrated by the binary, then every non-empty table of
        # the SQLite database copied over (sqlite3 -csv | psql \copy) inside one transaction
        # with foreign keys and triggers off (session_replication_role), identity sequences
        # moved past the copied ids, and ANALYZE.
        psql_server -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" \
            || die "cannot (re)create database $PG_DB on $PG_SERVER"
        "$WJ" --data "$PG_DATA" --database "$PG_URL" sites >/dev/null 2>"$TMP/pg-err" \
            || { cat "$TMP/pg-err" >&2; die "wangjian could not migrate $PG_URL"; }
        log "copying the SQLite rows into PostgreSQL"
        T0="$(date +%s)"
        TABLES="$(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type = 'table'
            AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name")"
        # NULL travels as a marker no generated value contains; the tables are emptied first
        # (a TRUNCATE … CASCADE after a copy would empty the tables copied before it).
        NULLMARK='@NULL@'
        FILLED=""
        for t in $TABLES; do
            [ "$(sqlite3 "$DB" "SELECT EXISTS (SELECT 1 FROM \"$t\")")" = 1 ] && FILLED="$FILLED $t"
        done
        {
            echo "BEGIN;"
            echo "SET session_replication_role = replica;"
            echo "TRUNCATE $(for t in $FILLED; do printf '"%s",' "$t"; done | sed 's/,$//') CASCADE;"
            for t in $FILLED; do
                COLS="$(sqlite3 "$DB" "SELECT group_concat('\"' || name || '\"', ',') FROM pragma_table_info('$t')")"
                echo "\\copy \"$t\" ($COLS) FROM '$TMP/copy-$t.csv' WITH (FORMAT csv, NULL '$NULLMARK')"
                sqlite3 -csv -cmd ".nullvalue $NULLMARK" "$DB" "SELECT $COLS FROM \"$t\"" >"$TMP/copy-$t.csv"
            done
            echo "COMMIT;"
        } >"$TMP/copy.sql"
        psql_bench -f "$TMP/copy.sql" >"$TMP/copy-out" 2>&1 || { tail -20 "$TMP/copy-out" >&2; die "copying into PostgreSQL failed"; }
        rm -f "$TMP"/copy-*.csv
        # Identity columns continue after the copied ids.
        psql_bench -At -c "SELECT format('SELECT setval(%L, (SELECT coalesce(max(%I), 0) + 1 FROM %I.%I), false);',
                pg_get_serial_sequence(quote_ident(table_name), column_name), column_name, table_schema, table_name)
            FROM information_schema.columns
            WHERE table_schema = 'public' AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL" \
            >"$TMP/seq.sql"
        psql_bench -f "$TMP/seq.sql" >/dev/null
        psql_bench -c "ANALYZE" >/dev/null
        N_PG="$(psql_bench -At -c 'SELECT count(*) FROM entities')"
        [ "$N_PG" = "$ENTITIES" ] || die "PostgreSQL holds $N_PG entities, expected $ENTITIES"
        log "copied in $(( $(date +%s) - T0 )) s"
    fi
fi

# --reuse: the two engines must hold the same register, or the PostgreSQL figures would be of
# another size (a --reuse of a 1,000,000-entity directory once ran against the 20,000 entities
# a --quick run had left in a database of the same name).
if [ -n "$REUSE_DIR" ]; then
    N_SQ="$ENTITIES"
    log "reusing $N_SQ entities"
    if [ -n "$(echo ",$ENGINES," | grep ',postgres,')" ]; then
        N_PG="$(psql_bench -At -c 'SELECT count(*) FROM entities' 2>/dev/null)" || N_PG="no database"
        [ "$N_PG" = "$N_SQ" ] || die "PostgreSQL's $PG_DB holds $N_PG entities, $SQ_DATA $N_SQ: run without --reuse (or with --engines sqlite)"
    fi
fi

# --- one engine at a time ---------------------------------------------------------------
# start_console ENGINE: serves that engine's data directory on a free port; sets PORT, COOKIE.
start_console() {
    local data="$SQ_DATA" db=()
    if [ "$1" = postgres ]; then data="$PG_DATA"; db=(--database "$PG_URL"); fi
    if ! "$WJ" --data "$data" "${db[@]}" user list 2>/dev/null | awk '$2 == "bench" { found = 1 } END { exit !found }'; then
        echo "bench-password-console" | "$WJ" --data "$data" "${db[@]}" user add bench --role supervisor --password-stdin >/dev/null \
            || die "wangjian user add failed ($1)"
    fi
    # The index first (the console would build it in the background and search would wait).
    "$WJ" --data "$data" "${db[@]}" search sync >"$TMP/sync-$1.out" 2>&1 || { cat "$TMP/sync-$1.out" >&2; die "search sync failed ($1)"; }
    "$WJ" --data "$data" "${db[@]}" serve --addr 127.0.0.1:0 >"$TMP/serve-$1.out" 2>&1 &
    SERVE_PID=$!
    PORT=""
    for _ in $(seq 1 600); do
        PORT="$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve-$1.out" 2>/dev/null | head -1 | sed 's/.*://')" || true
        [ -n "$PORT" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || { cat "$TMP/serve-$1.out" >&2; die "wangjian serve exited ($1)"; }
        sleep 0.1
    done
    [ -n "$PORT" ] || die "wangjian serve printed no address ($1)"
    # Log in through the form (same-origin POST), keep the session cookie.
    COOKIE="$(curl -s -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" \
        --data-urlencode username=bench --data-urlencode password=bench-password-console \
        "http://127.0.0.1:$PORT/login" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(wj_session=[^;]*\).*/\1/p' | head -1)"
    [ -n "$COOKIE" ] || die "logging in as bench failed ($1)"
    local status
    for _ in $(seq 1 600); do
        status="$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/search?q=%E7%BD%91%E5%BA%97")"
        [ "$status" = 200 ] && break
        sleep 0.5
    done
    [ "$status" = 200 ] || die "GET /search never answered 200 ($1, last $status)"
}

# The pages: every list of the console's navigation, a profile (ids uniform over the
# register) and search (names and parts of names of the register, cycled).
PAGES="entities sites findings clues complaints cases inspections credit captures dashboard profile search"
page_path() {
    case "$1" in
        entities) echo /entities ;; sites) echo /sites ;; findings) echo /findings ;;
        clues) echo /clues ;; complaints) echo /complaints ;; cases) echo /cases ;;
        inspections) echo /inspections ;; credit) echo /credit/lists ;; captures) echo /captures ;;
        dashboard) echo / ;; profile) echo /entities/1 ;; search) echo /search ;;
    esac
}
# wrk Lua scripts for the varying pages.
cat >"$TMP/profile.lua" <<EOF
math.randomseed(7)
request = function()
    return wrk.format("GET", "/entities/" .. math.random(1, $ENTITIES))
end
EOF
python3 - "$ENTITIES" >"$TMP/search.lua" <<'PYEOF'
import sys, urllib.parse
n = int(sys.argv[1])
# Names as gen.sql makes them (district + number), parts of names (broad), a USCC-free mix.
districts = ["青秀区", "兴宁区", "江南区", "西乡塘区", "良庆区", "邕宁区", "武鸣区"]
qs = []
for k in range(200):
    i = 1 + (k * 7919) % n
    d = districts[k % len(districts)]
    qs += [f"{d}{i:07d}号网店", f"广西{d}网络科技{i:07d}有限公司", f"{i:07d}"]
qs += ["网店", "网络科技", "有限公司", "科技", "广西", "青秀区", "店"]
print("local qs = {" + ",".join('"%s"' % urllib.parse.quote(q) for q in qs) + "}")
print("local k = 0")
print("request = function()\n    k = k + 1\n    return wrk.format(\"GET\", \"/search?q=\" .. qs[(k % #qs) + 1])\nend")
PYEOF

# run_page ENGINE PAGE RUN: one wrk run; appends "engine page run p50_ms p99_ms rps non2xx".
run_page() {
    local script=() path
    path="$(page_path "$2")"
    case "$2" in profile) script=(-s "$TMP/profile.lua") ;; search) script=(-s "$TMP/search.lua") ;; esac
    # One request first, timed and shown apart: a page's first visit after the console starts
    # (the dashboard counts its figures then, the database's caches are cold) is not the
    # steady state that wrk measures.
    local first
    first="$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT$path" \
        | awk '{printf "%.1f", $1 * 1000}')"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency --timeout 10s -H "Cookie: $COOKIE" \
        "${script[@]}" "http://127.0.0.1:$PORT$path" >"$TMP/wrk-$1-$2-$3.txt" 2>&1 \
        || { cat "$TMP/wrk-$1-$2-$3.txt" >&2; die "wrk failed on $2 ($1)"; }
    python3 - "$TMP/wrk-$1-$2-$3.txt" "$1" "$2" "$3" >>"$TMP/runs.txt" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    x, u = float(m.group(1)), m.group(2)
    return x / 1000 if u == "us" else x if u == "ms" else x * 1000 if u == "s" else x * 60000
p = {k: ms(v) for k, v in re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M)}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
err = re.search(r"Socket errors:.*", text)
if rps == 0 or "50" not in p:
    # Nothing answered within wrk's timeout: no latency to report, and never a pass.
    p, err = {"50": float("inf"), "99": float("inf")}, True
print(sys.argv[2], sys.argv[3], sys.argv[4], f"{p['50']:.2f}", f"{p['99']:.2f}", f"{rps:.0f}",
      bad.group(1) if bad else 0, "errors" if err else "ok")
PYEOF
    echo "run $3 $1 $(tail -1 "$TMP/runs.txt" | awk '{printf "%-12s p50 %8s ms  p99 %8s ms  %6s req/s  non-2xx %s  %s", $2, $4, $5, $6, $7, $8}')  first request $first ms  (load $(cut -d' ' -f1-3 /proc/loadavg))"
}

: >"$TMP/runs.txt"
IFS=, read -r -a ENGINE_LIST <<<"$ENGINES"
for r in $(seq 1 "$RUNS"); do
    # The engines alternate: the first run starts with the first, the next with the other.
    order=("${ENGINE_LIST[@]}")
    if [ $((r % 2)) -eq 0 ] && [ "${#ENGINE_LIST[@]}" -eq 2 ]; then order=("${ENGINE_LIST[1]}" "${ENGINE_LIST[0]}"); fi
    for e in "${order[@]}"; do
        log "run $r on $e: starting the console"
        start_console "$e"
        for p in $PAGES; do run_page "$e" "$p" "$r"; done
        echo "run $r $e: console peak RSS $(awk '/^VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$SERVE_PID/status")"
        stop_console
    done
done

python3 - "$TMP/runs.txt" "$ENTITIES" "$CONNECTIONS" "$DURATION" <<'PYEOF'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
print(f"console under load: {sys.argv[2]} entities, {sys.argv[3]} concurrent clients (wrk, keep-alive), {sys.argv[4]} s per page and run; medians of the runs")
worst = (0.0, "")
for engine in dict.fromkeys(r[0] for r in rows):
    for page in dict.fromkeys(r[1] for r in rows):
        rs = [r for r in rows if r[0] == engine and r[1] == page]
        if not rs:
            continue
        p50 = st.median(float(r[3]) for r in rs)
        p99 = st.median(float(r[4]) for r in rs)
        rps = st.median(float(r[5]) for r in rs)
        bad = sum(int(r[6]) for r in rs) + sum(r[7] != "ok" for r in rs)
        flag = "" if p99 <= 50 else "  OVER 50 ms"
        print(f"{engine:9s} {page:12s} p50 {p50:8.2f} ms  p99 {p99:8.2f} ms  {rps:7.0f} req/s  "
              f"(p99 runs: {', '.join(r[4] for r in rs)}){'  NON-2XX OR ERRORS: ' + str(bad) if bad else ''}{flag}")
        if p99 > worst[0]:
            worst = (p99, f"{engine} {page}")
print(f"worst p99: {worst[0]:.2f} ms ({worst[1]}); goal p99 <= 50 ms for every page")
print(f"ratio p99-goal: {50 / worst[0]:.2f}")
PYEOF
