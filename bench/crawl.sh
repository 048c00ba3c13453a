#!/usr/bin/env bash
# Crawl throughput: wangjian (a real sweep: robots.txt, link following, WARC capture, detection,
# licence OCR, SQLite records) against Scrapy (a minimal spider that keeps nothing), both
# crawling the SAME simweb server in one run. Prints pages/s, CPU seconds (user+sys) and peak
# RSS of each crawler process (median of --runs runs, alternating), then `ratio scrapy: <x>`
# where x is wangjian pages/s ÷ Scrapy pages/s with the rendered probes off (Scrapy renders
# nothing); the sweep as configured by default, rendered probes on, is run and printed too
# (`ratio scrapy (rendered probes on)`).
#
#   bench/crawl.sh [--quick] [--runs N] [--sites N] [--seed S] [--concurrency C] [--max-pages M]
#   bench/crawl.sh --rss-10k      # wangjian alone on a 10,000-site simweb: peak RSS, pages/s
#   bench/crawl.sh --rss-100k     # the same on a 100,000-site simweb (a province)
#                                 # (both with the rendered probes off: see the rss mode below)
#   bench/crawl.sh --render-cost  # wangjian alone, rendered probes on vs --no-render (alternating)
#   WANGJIAN_BIN=path/to/wangjian bench/crawl.sh   # skip the build, bench that binary
#
# Installs what it needs: /usr/bin/time (apt `time`), a venv bench/.venv with Scrapy. Nothing
# leaves loopback: wangjian maps every host to simweb with --resolve, Scrapy uses simweb as its
# HTTP proxy (simweb answers absolute-form requests by Host header).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
MODE=compare
SITES=400 SEED=11 CONC=32 MAX_PAGES=50 MAX_DEPTH=5 RUNS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) MODE=quick; SITES=80; MAX_PAGES=20; RUNS=1 ;;
        --rss-10k) MODE=rss; SITES=10000 ;;
        --rss-100k) MODE=rss; SITES=100000 ;;
        --render-cost) MODE=render ;;
        --runs) RUNS="$2"; shift ;;
        --sites) SITES="$2"; shift ;;
        --seed) SEED="$2"; shift ;;
        --concurrency) CONC="$2"; shift ;;
        --max-pages) MAX_PAGES="$2"; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

log() { echo "crawl.sh: $*" >&2; }

# --- what the bench needs ---------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
fi
PY="$HERE/.venv/bin/python"
if [ "$MODE" = compare ] || [ "$MODE" = quick ]; then NEED_SCRAPY=1; else NEED_SCRAPY=0; fi
if [ "$NEED_SCRAPY" = 1 ] && ! "$PY" -c 'import scrapy' 2>/dev/null; then
    log "creating $HERE/.venv with Scrapy"
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q 'scrapy>=2.13' warcio
fi
if [ -n "${WANGJIAN_BIN:-}" ]; then
    WJ="$WANGJIAN_BIN"   # a prebuilt binary (e.g. to bench a fixed commit while the tree moves)
else
    log "building wangjian (cargo build --release)"
    (cd "$ROOT" && cargo build --release -q --bin wangjian)
    WJ="$ROOT/target/release/wangjian"
fi

TMP="$(mktemp -d /tmp/wj-crawl-bench.XXXXXX)"
SIMWEB_PID=""
cleanup() {
    if [ -n "$SIMWEB_PID" ]; then
        kill "$SIMWEB_PID" 2>/dev/null || true
        wait "$SIMWEB_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# --- one simweb for everything ----------------------------------------------------------
"$WJ" --data "$TMP/simweb" simweb --sites "$SITES" --seed "$SEED" --port 0 \
    --register "$TMP/register.csv" >"$TMP/simweb.out" 2>&1 &
SIMWEB_PID=$!
for _ in $(seq 1 600); do
    grep -q 'http://127.0.0.1:' "$TMP/simweb.out" 2>/dev/null && break
    kill -0 "$SIMWEB_PID" 2>/dev/null || { cat "$TMP/simweb.out" >&2; exit 1; }
    sleep 0.1
done
PORT="$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/simweb.out" | head -1 | sed 's/.*://')"
[ -n "$PORT" ] || { log "simweb did not start"; cat "$TMP/simweb.out" >&2; exit 1; }
log "$(head -1 "$TMP/simweb.out")"

# A fresh data directory with the register imported (not timed).
prepare_data() {
    "$WJ" --data "$1" import entities "$TMP/register.csv" >/dev/null
}

# `time -v` field of a file, e.g. tv FILE 'Maximum resident set size (kbytes)'.
tv() { grep -F "$2" "$1" | head -1 | awk -F': ' '{print $2}'; }

# "m:ss.ss" or "h:mm:ss" -> seconds
wall_secs() { echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }

# run_wangjian N [OUT [SWEEP_ARGS...]]: one sweep; appends "pages secs cpu rss_kb wall own_kb"
# to $TMP/wj.txt (or $TMP/OUT). rss_kb is GNU time's figure: the largest resident set of the
# process and every descendant it waited for (Chromium's processes, tesseract), so it can be a
# browser's; own_kb is the sweep process's own peak (VmHWM), polled from /proc while it runs.
run_wangjian() {
    local d="$TMP/wj-data-$1" out="$TMP/${2:-wj.txt}"
    shift; shift || true
    rm -rf "$d"
    prepare_data "$d"
    local n; n="$(basename "$d" | sed 's/wj-data-//')"
    /usr/bin/time -v -o "$TMP/wj-time-$n" "$WJ" --data "$d" sweep \
        --resolve "*:80:127.0.0.1:$PORT" --concurrency "$CONC" --delay-ms 0 \
        --max-pages "$MAX_PAGES" --max-depth "$MAX_DEPTH" "$@" >"$TMP/wj-out-$n" 2>"$TMP/wj-err-$n" &
    local tpid=$! wpid="" own=0 hwm
    while kill -0 "$tpid" 2>/dev/null; do
        [ -n "$wpid" ] || wpid="$(pgrep -P "$tpid" | head -1 || true)"
        if [ -n "$wpid" ]; then
            hwm="$(awk '/^VmHWM/ {print $2}' "/proc/$wpid/status" 2>/dev/null || true)"
            [ -n "$hwm" ] && [ "$hwm" -gt "$own" ] && own="$hwm"
        fi
        sleep 0.5
    done
    wait "$tpid" || { cat "$TMP/wj-err-$n" "$TMP/wj-out-$n" >&2; exit 1; }
    set -- "$n"
    local line pages secs
    line="$(grep '^sweep:' "$TMP/wj-out-$1" | tail -1)"
    # sweep: <S> sites, <P> pages, <F> findings, <T> s
    pages="$(echo "$line" | sed -E 's/.* ([0-9]+) pages.*/\1/')"
    local t="$TMP/wj-time-$1"
    # The sweep prints its time to 0.1 s; take the whole process's wall time instead (start-up,
    # database and rule loading included: a little against wangjian, more precise).
    secs="$(wall_secs "$(tv "$t" 'Elapsed (wall clock)')")"
    echo "$pages $secs $(echo "$(tv "$t" 'User time') + $(tv "$t" 'System time')" | bc) \
$(tv "$t" 'Maximum resident set size') $(tv "$t" 'Elapsed (wall clock)') $own" >>"$out"
    log "wangjian run $1: $line ($(grep '^probes:' "$TMP/wj-err-$1" | tail -1))"
    rm -rf "$d"
}

# run_scrapy N: one crawl; appends "pages secs cpu rss_kb wall" to $TMP/scrapy.txt
run_scrapy() {
    /usr/bin/time -v -o "$TMP/sc-time-$1" "$PY" "$HERE/scrapy_sweep.py" "$TMP/sites.jsonl" \
        "$PORT" "$CONC" "$MAX_PAGES" "$MAX_DEPTH" "$TMP/sc-stats-$1" 2>"$TMP/sc-err-$1" \
        || { cat "$TMP/sc-err-$1" >&2; exit 1; }
    local t="$TMP/sc-time-$1"
    "$PY" - "$TMP/sc-stats-$1" >"$TMP/sc-line" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["pages"], "%.3f" % s["elapsed_s"])
EOF
    echo "$(cat "$TMP/sc-line") $(echo "$(tv "$t" 'User time') + $(tv "$t" 'System time')" | bc) \
$(tv "$t" 'Maximum resident set size') $(tv "$t" 'Elapsed (wall clock)')" >>"$TMP/scrapy.txt"
    log "scrapy run $1: $(cat "$TMP/sc-line" | awk '{print $1 " pages, " $2 " s"}')"
}

# summary NAME FILE: prints the medians; sets the global MEDIAN_PPS
summary() {
    MEDIAN_PPS="$(python3 - "$1" "$2" <<'EOF'
import statistics as st, sys
name, path = sys.argv[1], sys.argv[2]
rows = [l.split() for l in open(path) if l.strip()]
pages = [int(r[0]) for r in rows]
secs = [float(r[1]) for r in rows]
pps = [p / s for p, s in zip(pages, secs)]
cpu = [float(r[2]) for r in rows]
rss = [int(r[3]) / 1024 for r in rows]
own = [int(r[5]) / 1024 for r in rows if len(r) > 5]
own_s = " (sweep process %.1f MB)" % st.median(own) if own else ""
print("%-9s %7d pages %8.2f s %9.1f pages/s %7.2f CPU s %7.1f MB peak RSS%s  (runs: %s pages/s)"
      % (name, st.median(pages), st.median(secs), st.median(pps), st.median(cpu),
         st.median(rss), own_s, ", ".join("%.0f" % x for x in pps)), file=sys.stderr)
sys.stderr.flush()
print("%.3f" % st.median(pps))
EOF
)"
}

if [ "$MODE" = rss ]; then
    # Rendered probes off: rendering is bounded (at most two browsers at once, whatever the
    # number of sites) and costs some 4.5 s of wall time per rendered homepage, which would
    # make the 100,000-site sweep take some four hours; its cost is --render-cost's to show.
    log "$SITES-site sweep with wangjian alone (concurrency $CONC, budget $MAX_PAGES pages/site, rendered probes off)"
    run_wangjian 1 wj.txt --no-render
    read -r pages secs cpu rss wall own <"$TMP/wj.txt"
    summary wangjian "$TMP/wj.txt"
    echo "sites: $SITES, pages: $pages, sweep time: $secs s, CPU: $cpu s, wall (process): $wall"
    echo "pages/s: $MEDIAN_PPS"
    echo "largest process of the sweep's tree (GNU time; may be a Chromium process): $((rss / 1024)) MB"
    echo "peak RSS wangjian: $((own / 1024)) MB (the sweep process's VmHWM; goal <= 300 MB)"
    exit 0
fi

if [ "$MODE" = render ]; then
    log "rendered probes on vs off: $SITES sites, concurrency $CONC, $MAX_PAGES pages/site, $RUNS run(s) each, alternating"
    : >"$TMP/on.txt"
    : >"$TMP/off.txt"
    for r in $(seq 1 "$RUNS"); do
        if [ $((r % 2)) -eq 1 ]; then
            run_wangjian "on$r" on.txt; run_wangjian "off$r" off.txt --no-render
        else
            run_wangjian "off$r" off.txt --no-render; run_wangjian "on$r" on.txt
        fi
    done
    echo "render cost: $SITES simweb sites (seed $SEED), concurrency $CONC, $MAX_PAGES pages/site, depth $MAX_DEPTH, median of $RUNS run(s)"
    summary render-on "$TMP/on.txt" 2>&1; ON_PPS="$MEDIAN_PPS"
    summary render-off "$TMP/off.txt" 2>&1; OFF_PPS="$MEDIAN_PPS"
    echo "render-on pages/s: $ON_PPS"
    echo "render-off pages/s: $OFF_PPS"
    echo "ratio render-off: $(python3 -c "print('%.2f' % ($ON_PPS / $OFF_PPS))")"
    exit 0
fi

prepare_data "$TMP/sites-data"
"$WJ" --data "$TMP/sites-data" sites --format json >"$TMP/sites.jsonl"
log "$(wc -l <"$TMP/sites.jsonl") registered sites; concurrency $CONC, budget $MAX_PAGES pages/site, depth $MAX_DEPTH, $RUNS run(s) each"

: >"$TMP/wj.txt"
: >"$TMP/wj-render.txt"
: >"$TMP/scrapy.txt"
for r in $(seq 1 "$RUNS"); do
    # Alternate the order so neither side always runs on a warmer machine.
    if [ $((r % 2)) -eq 1 ]; then
        run_wangjian "$r" wj.txt --no-render; run_scrapy "$r"; run_wangjian "render$r" wj-render.txt
    else
        run_wangjian "render$r" wj-render.txt; run_scrapy "$r"; run_wangjian "$r" wj.txt --no-render
    fi
done

echo "crawl bench: $SITES simweb sites (seed $SEED), concurrency $CONC, $MAX_PAGES pages/site, depth $MAX_DEPTH, median of $RUNS run(s)"
echo "  wangjian: sweep process wall time (start-up included); Scrapy: crawl time inside the process (Python start-up excluded)"
echo "  wangjian: capture, detection, licence OCR, WARC and database on; rendered probes off (Scrapy renders nothing);"
echo "  wangjian+render: the same with the default rendered probes (headless Chromium, four visitors per suspect homepage)"
summary wangjian "$TMP/wj.txt" 2>&1; WJ_PPS="$MEDIAN_PPS"
summary wj+render "$TMP/wj-render.txt" 2>&1; WJR_PPS="$MEDIAN_PPS"
summary scrapy "$TMP/scrapy.txt" 2>&1; SC_PPS="$MEDIAN_PPS"
echo "wangjian pages/s: $WJ_PPS"
echo "wangjian+render pages/s: $WJR_PPS"
echo "scrapy pages/s: $SC_PPS"
echo "ratio scrapy (rendered probes on): $(python3 -c "print('%.2f' % ($WJR_PPS / $SC_PPS))")"
echo "ratio scrapy: $(python3 -c "print('%.2f' % ($WJ_PPS / $SC_PPS))")"
