#!/usr/bin/env bash
# Multi-pattern matching: wangjian's literal pass (the detector's own Aho-Corasick automaton,
# `Detector::count_literal_hits`: same construction, overlapping iteration, every hit counted)
# against Hyperscan (Python `hyperscan` from PyPI: the same literals compiled as pure literals,
# flags 0 = case-sensitive, no SOM, block mode, a counting callback) over the SAME corpus of
# normalised simweb text (built once: every crawlable page → decode → detect::extract →
# normalize of title, text and hidden text), single thread each, in one run. The peer is
# Hyperscan's C API with a C counting callback (match_hs.c against Debian's libhyperscan-dev,
# installed with gcc by this script when absent); the Python binding's figures (with and
# without a per-match callback) and whole-page throughput of Detector::scan_html are printed too.
# Last line: `ratio hyperscan-c: <x>`, x = wangjian MB/s ÷ Hyperscan C API MB/s.
#
#   bench/match.sh [--quick] [--runs N] [--sites N] [--page-sites N] [--seed S]
#
# Defaults: corpus from 10,000 sites (≈ 55 MB), pages/s over a 2,000-site world, 5 runs per
# side (alternating). --quick: 1,000-site corpus (≈ 5.5 MB), 300-site pages world, 3 runs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SITES=10000 PAGE_SITES=2000 RUNS=5 SEED=7 QUICK=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1; SITES=1000; PAGE_SITES=300; RUNS=3 ;;
        --runs) RUNS="$2"; shift ;;
        --sites) SITES="$2"; shift ;;
        --page-sites) PAGE_SITES="$2"; shift ;;
        --seed) SEED="$2"; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
log() { echo "match.sh: $*" >&2; }

PY="$HERE/.venv/bin/python"
if ! "$PY" -c 'import hyperscan' 2>/dev/null; then
    log "installing hyperscan into $HERE/.venv"
    [ -x "$PY" ] || python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q hyperscan
fi
# The C-API peer: Debian's libhyperscan-dev and a C compiler, installed when absent.
if [ ! -f /usr/include/hs/hs.h ] || ! command -v cc >/dev/null; then
    log "installing libhyperscan-dev and gcc (apt-get)"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get install -y -qq libhyperscan-dev gcc >/dev/null 2>&1 ||
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libhyperscan-dev gcc >/dev/null; }
fi
log "building bench/matchbench (cargo build --release)"
(cd "$HERE/matchbench" && cargo build --release -q)
# Where cargo put it: CARGO_TARGET_DIR (relative to matchbench/ when relative) if set.
case "${CARGO_TARGET_DIR:-}" in
    "") MB="$HERE/matchbench/target/release/matchbench" ;;
    /*) MB="$CARGO_TARGET_DIR/release/matchbench" ;;
    *) MB="$HERE/matchbench/$CARGO_TARGET_DIR/release/matchbench" ;;
esac

TMP="$(mktemp -d /tmp/wj-match-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

cc -O2 -o "$TMP/match_hs" "$HERE/match_hs.c" -lhs
HSC="$TMP/match_hs"

log "building the corpus: $SITES sites, seed $SEED"
"$MB" corpus "$SITES" "$SEED" "$TMP/corpus.txt" | tee "$TMP/corpus.info" >&2
"$MB" literals "$TMP/lits.txt" | tee "$TMP/lits.info" >&2

field() { echo "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$TMP/all.txt"
run_wj() { "$MB" match "$TMP/corpus.txt" 1 | tee -a "$TMP/all.txt" >&2; }
run_hs() {
    "$PY" "$HERE/match_hyperscan.py" "$TMP/lits.txt" "$TMP/corpus.txt" 1 | tee -a "$TMP/all.txt" >&2
    "$HSC" "$TMP/lits.txt" "$TMP/corpus.txt" 1 | tee -a "$TMP/all.txt" >&2
}
for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) -eq 1 ]; then run_wj; run_hs; else run_hs; run_wj; fi
done

figures() { grep "engine $1 " "$TMP/all.txt" | while read -r l; do field mb_per_s "$l"; done; }
hits_of() { grep "engine $1 " "$TMP/all.txt" | head -1 | awk '{ for (i = 1; i < NF; i++) if ($i == "hits") print $(i + 1) }'; }
WJ="$(figures aho-corasick | median)"
HS="$(figures hyperscan-count | median)"
HSN="$(figures hyperscan-nocb | median)"
HSCM="$(figures hyperscan-c | median)"
WJ_HITS="$(hits_of aho-corasick)" HS_HITS="$(hits_of hyperscan-count)" HSC_HITS="$(hits_of hyperscan-c)"
[ "$WJ_HITS" = "$HS_HITS" ] || { echo "hit counts differ: wangjian $WJ_HITS, hyperscan $HS_HITS" >&2; exit 1; }
[ "$WJ_HITS" = "$HSC_HITS" ] || { echo "hit counts differ: wangjian $WJ_HITS, hyperscan C API $HSC_HITS" >&2; exit 1; }

log "whole pages: decode + Detector::scan_html over a $PAGE_SITES-site world, single thread"
"$MB" pages "$PAGE_SITES" "$SEED" "$RUNS" | tee "$TMP/pages.txt" >&2
PPS="$(while read -r l; do field pages_per_s "$l"; done <"$TMP/pages.txt" | median)"

CORPUS_BYTES="$(field corpus_bytes "$(cat "$TMP/corpus.info")")"
echo "corpus: $(awk -v b="$CORPUS_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB normalised text ($SITES sites, $(field pages "$(cat "$TMP/corpus.info")") pages), $(field literals "$(cat "$TMP/lits.info")") literals, $WJ_HITS hits (equal on both sides)"
echo "uptime:$(uptime)"
echo "wangjian literal pass (char-wise DFA): $WJ MB/s (median of $RUNS: $(figures aho-corasick | tr '\n' ' '))"
echo "hyperscan (python, counting callback): $HS MB/s (median of $RUNS: $(figures hyperscan-count | tr '\n' ' '))"
echo "hyperscan (python, no callback): $HSN MB/s (median of $RUNS: $(figures hyperscan-nocb | tr '\n' ' '))"
echo "hyperscan (C API, counting callback): $HSCM MB/s (median of $RUNS: $(figures hyperscan-c | tr '\n' ' '))"
echo "scan_html: $PPS pages/s per core (median of $RUNS: $(while read -r l; do field pages_per_s "$l"; done <"$TMP/pages.txt" | tr '\n' ' '); $(field pages "$(head -1 "$TMP/pages.txt")") pages, goal ≥ 2000)"
echo "ratio hyperscan-nocb: $(awk -v a="$WJ" -v b="$HSN" 'BEGIN { printf "%.2f", a / b }')"
echo "ratio hyperscan: $(awk -v a="$WJ" -v b="$HS" 'BEGIN { printf "%.2f", a / b }')"
echo "ratio hyperscan-c: $(awk -v a="$WJ" -v b="$HSCM" 'BEGIN { printf "%.2f", a / b }')"
