#!/usr/bin/env bash
# WARC writing: wangjian's evidence::WarcWriter against warcio's WARCWriter(gzip=True), writing
# the SAME exchanges (simweb pages rendered once into a dump file) as request + response records,
# one gzip member per record, in one run. Prints records/s, output bytes and deflate level of
# each (median of --runs runs, the two alternating), validates both outputs with `warcio check`
# (every member read and every digest recomputed by a third-party reader), then measures verify
# throughput (evidence::verify_warc, what `wangjian evidence verify` runs, over an uncompressed .warc) against the
# machine's single-core SHA-256 speed (openssl speed): `ratio sha256-verify: <y>`, y = verify
# MB/s (wall) ÷ openssl MB/s, with verify's CPU seconds printed too. Last line:
# `ratio warcio: <x>`, x = wangjian records/s ÷ warcio records/s.
#
#   bench/warc.sh [--quick] [--runs N] [--exchanges N] [--mode batch:K|seq]
#
# --mode: batch:K (default batch:64) uses WarcWriter::write_exchanges, K exchanges per call,
# compressing on all cores; seq calls write_exchange once per exchange (one core).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXCHANGES=20000 RUNS=3 SITES=300 SEED=5 MODE=batch:64 QUICK=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1; EXCHANGES=2000; RUNS=1 ;;
        --runs) RUNS="$2"; shift ;;
        --exchanges) EXCHANGES="$2"; shift ;;
        --mode) MODE="$2"; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
log() { echo "warc.sh: $*" >&2; }

PY="$HERE/.venv/bin/python"
if ! "$PY" -c 'import warcio' 2>/dev/null; then
    log "creating $HERE/.venv with warcio"
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install -q warcio
fi
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }; }
command -v openssl >/dev/null || { apt-get install -y -qq openssl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq openssl; }; }
log "building bench/warcbench (cargo build --release)"
(cd "$HERE/warcbench" && cargo build --release -q)
# Where cargo put it: CARGO_TARGET_DIR (relative to warcbench/ when relative) if set.
case "${CARGO_TARGET_DIR:-}" in
    "") WB="$HERE/warcbench/target/release/warcbench" ;;
    /*) WB="$CARGO_TARGET_DIR/release/warcbench" ;;
    *) WB="$HERE/warcbench/$CARGO_TARGET_DIR/release/warcbench" ;;
esac

TMP="$(mktemp -d /tmp/wj-warc-bench.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT

log "rendering $EXCHANGES simweb exchanges ($SITES sites, seed $SEED)"
"$WB" dump "$SITES" "$SEED" "$EXCHANGES" "$TMP/dump.bin" | tee "$TMP/dump.txt" >&2

# field NAME LINE: the value after NAME in a `key value ...` line
field() { echo "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }

: >"$TMP/wj.txt"
: >"$TMP/wa.txt"
run_wangjian() {
    local line
    line="$("$WB" write "$TMP/dump.bin" "$TMP/wj-out" "$MODE")"
    echo "$(field records_per_s "$line") $(field out_bytes "$line") $(field records "$line")" >>"$TMP/wj.txt"
    WJ_FILE="$(field file "$line")"
    log "wangjian: $line"
}
run_warcio() {
    local line
    line="$("$PY" "$HERE/warcio_write.py" "$TMP/dump.bin" "$TMP/warcio.warc.gz")"
    echo "$(field records_per_s "$line") $(field out_bytes "$line") $(field records "$line")" >>"$TMP/wa.txt"
    log "warcio:   $line"
}
for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) -eq 1 ]; then run_wangjian; run_warcio; else run_warcio; run_wangjian; fi
done

log "validating both outputs with warcio check (reads every member, recomputes every digest)"
"$HERE/.venv/bin/warcio" check "$WJ_FILE" || { echo "wangjian output fails warcio check" >&2; exit 1; }
"$HERE/.venv/bin/warcio" check "$TMP/warcio.warc.gz" || { echo "warcio output fails warcio check" >&2; exit 1; }
WJ_INDEXED="$("$HERE/.venv/bin/warcio" index "$WJ_FILE" | wc -l)"
WA_INDEXED="$("$HERE/.venv/bin/warcio" index "$TMP/warcio.warc.gz" | wc -l)"

# Verify throughput over an uncompressed WARC (our output, decompressed).
"$WB" unzip "$WJ_FILE" "$TMP/plain.warc" >/dev/null
: >"$TMP/verify.txt"
for r in $(seq 1 "$RUNS"); do
    # GNU time adds the process's CPU seconds (user + sys): openssl speed reports per CPU
    # second, so on a busy machine the CPU figure is the like-for-like one.
    /usr/bin/time -f "verify_cpu_s %U %S" -a -o "$TMP/verify.txt" "$WB" verify "$TMP/plain.warc" >>"$TMP/verify.txt"
    openssl speed -seconds 1 -evp sha256 -bytes 16384 2>/dev/null | awk '/^sha256/ { sub(/k$/, "", $2); print "openssl_sha256_mb_per_s", $2 * 1000 / 1e6 }' >>"$TMP/verify.txt"
done

python3 - "$TMP" "$RUNS" "$MODE" "$WJ_INDEXED" "$WA_INDEXED" <<'EOF'
import statistics as st, sys
tmp, runs, mode, wj_idx, wa_idx = sys.argv[1:6]
def rows(name):
    return [[float(x) for x in l.split()] for l in open(f"{tmp}/{name}") if l.strip()]
wj, wa = rows("wj.txt"), rows("wa.txt")
med = lambda rs, i: st.median(r[i] for r in rs)
v = open(f"{tmp}/verify.txt").read().split("\n")
ver = [float(l.split()[l.split().index("file_mb_per_s") + 1]) for l in v if l.startswith("records")]
sha = [float(l.split()[1]) for l in v if l.startswith("openssl_sha256")]
cpu = [float(l.split()[1]) + float(l.split()[2]) for l in v if l.startswith("verify_cpu_s")]
plain_mb = [float(l.split()[l.split().index("secs") + 1]) * float(l.split()[l.split().index("file_mb_per_s") + 1]) for l in v if l.startswith("records")][0]
print(f"warc bench: {int(wj[0][2])} records each (request + response per simweb page), median of {runs} run(s)")
print(f"wangjian  {med(wj,0):9.0f} records/s  {med(wj,1)/1e6:7.2f} MB out  deflate level 1 (zlib-rs), sha256 digests, {mode}  (runs: {', '.join('%.0f' % r[0] for r in wj)})")
print(f"warcio    {med(wa,0):9.0f} records/s  {med(wa,1)/1e6:7.2f} MB out  deflate level 9 (zlib), sha1 digests  (runs: {', '.join('%.0f' % r[0] for r in wa)})")
print(f"warcio check: both outputs pass; warcio index lists {wj_idx} (wangjian) and {wa_idx} (warcio) records")
vm, sm = st.median(ver), st.median(sha)
print(f"verify (evidence::verify_warc, uncompressed {plain_mb:.1f} MB .warc, wall clock): {vm:.0f} MB/s (runs: {', '.join('%.0f' % x for x in ver)}); openssl sha256 one core: {sm:.0f} MB/s per CPU second (runs: {', '.join('%.0f' % x for x in sha)})")
cm = st.median(cpu)
if cm >= 0.05:
    print(f"verify CPU: {cm:.3f} CPU s (user + sys) per run = {plain_mb / cm:.0f} MB per CPU second, {plain_mb / cm / sm:.2f} of openssl's (runs: {', '.join('%.2f' % x for x in cpu)})")
else:
    # GNU time counts in hundredths of a second: a --quick file verifies in a few of them.
    print(f"verify CPU: {cm:.2f} CPU s per run, too short for GNU time's 0.01 s steps to give a rate (a larger --exchanges does)")
print(f"load average: {' '.join(open('/proc/loadavg').read().split()[0:3])}")
print(f"ratio sha256-verify: {vm / sm:.2f}")
print(f"ratio warcio: {med(wj,0) / med(wa,0):.2f}")
EOF
