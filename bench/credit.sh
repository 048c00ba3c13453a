#!/usr/bin/env bash
# Credit re-scoring at register scale: `wangjian credit rescore --all` of a generated register
# (default 1,000,000 entities with their sites, findings, cases and outcomes, listings,
# evaluations, commitments and filings) against the SAME scoring written as ONE SQL statement
# run by the sqlite3 shell (bench/credit/peer.sql: `CREATE TABLE peer_scores AS WITH … SELECT`,
# the shipped default index system: weights, steps, decay, flags, missing values, windows and
# hard rules), on the same database. Every run's result is cross-checked: the peer's score and
# class of every entity against wangjian's credit_scores; any class that differs, any score
# more than 1e-6 apart, or an entity scored by one side only fails the script (exit 1) with
# example rows.
#
# Prints each run and the medians (wall seconds, CPU seconds, peak RSS, entities/s; the two sides
# alternating, each run on a fresh copy of the generated database), the second "nightly, nothing
# changed" `rescore --all` on the same copy (and how many archive rows it wrote), and as its LAST
# line `ratio sqlite3: <x>`, x = median sqlite3 seconds ÷ median wangjian seconds of the first
# full scoring (x > 1: wangjian is faster; goal: 1,000,000 entities in < 60 s and x >= 1).
#
#   bench/credit.sh [--quick] [--entities N] [--runs N] [--as-of YYYY-MM-DD] [--peer-only] [--keep]
#   WANGJIAN_BIN=path/to/wangjian bench/credit.sh   # skip the build, bench that binary
#
# --quick: 20,000 entities (still --runs runs per side, default 3). --peer-only: generate and
# time the peer alone (no `credit rescore` needed; the schema still comes from the binary).
# --keep: keep the temporary directory (its path is printed) for a look at the data.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ENTITIES=1000000 RUNS=3 AS_OF=2026-12-01 PEER_ONLY=0 KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) ENTITIES=20000 ;;
        --entities) ENTITIES="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --as-of) AS_OF="$2"; shift ;;
        --peer-only) PEER_ONLY=1 ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
log() { echo "credit.sh: $*" >&2; }
die() { echo "credit.sh: FAILED: $*" >&2; exit 1; }
[ "$ENTITIES" -ge 1000 ] || die "--entities must be at least 1000 (the generator scales every table with N)"
[ "$RUNS" -ge 1 ] || die "--runs must be at least 1"
echo "$AS_OF" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' || die "--as-of wants YYYY-MM-DD"
# The database is the data directory's wangjian.db, whatever the environment says.
unset WANGJIAN_DATABASE WANGJIAN_DATA

# --- what the bench needs ---------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"
    apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }
fi
if ! command -v sqlite3 >/dev/null; then
    log "installing sqlite3"
    apt-get install -y -qq sqlite3 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq sqlite3; }
fi
command -v python3 >/dev/null || die "python3 is needed for the summary"
if [ -n "${WANGJIAN_BIN:-}" ]; then
    WJ="$WANGJIAN_BIN"
else
    log "building wangjian (cargo build --release)"
    (cd "$ROOT" && cargo build --release -q --bin wangjian)
    WJ="${CARGO_TARGET_DIR:-$ROOT/target}/release/wangjian"
fi
[ -x "$WJ" ] || die "no wangjian binary at $WJ"
if [ "$PEER_ONLY" = 0 ]; then
    HELP="$("$WJ" credit rescore --help 2>&1 || true)"
    if ! echo "$HELP" | grep -q -- '--all' || ! echo "$HELP" | grep -q -- '--as-of'; then
        die "this wangjian has no 'credit rescore --all --as-of DATE' ($WJ); --peer-only times the peer alone"
    fi
fi

TMP="$(mktemp -d /tmp/wj-credit-bench.XXXXXX)"
cleanup() {
    if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# --- the data ---------------------------------------------------------------------------
# The schema is the binary's own: any command that opens the store creates and migrates it.
BASE="$TMP/base"
"$WJ" --data "$BASE" sites >/dev/null 2>"$TMP/base-err" || { cat "$TMP/base-err" >&2; die "wangjian could not create a data directory"; }
DB="$BASE/wangjian.db"
[ -f "$DB" ] || die "no database at $DB after 'wangjian sites'"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM entities')" = 0 ] || die "the new database is not empty"

# The districts in force (GB/T 2260 codes of Nanning, the city itself left out).
DISTRICTS="$(awk -F'\t' '!/^#/ && $1 != "" && $1 != "450100" && $4 == "" {
    printf "%s(%d, '\''%s'\'', '\''%s'\'')", (n ? ", " : ""), n, $1, $2; n++ }' \
    "$ROOT/crates/domain/data/nanning-districts.tsv")"
[ -n "$DISTRICTS" ] || die "no districts read from crates/domain/data/nanning-districts.tsv"
sed -e "s/{{N}}/$ENTITIES/g" -e "s/{{AS_OF}}/$AS_OF/g" -e "s/{{DISTRICTS}}/$DISTRICTS/" \
    "$HERE/credit/gen.sql" >"$TMP/gen.sql"
log "generating $ENTITIES entities and their records (as of $AS_OF; untimed)"
T0="$(date +%s.%N)"
sqlite3 -bail "$DB" <"$TMP/gen.sql" >"$TMP/gen-out" 2>&1 || { cat "$TMP/gen-out" >&2; die "the generator failed"; }
rm -f "$DB-wal" "$DB-shm"
sync
COUNTS="$(sqlite3 -separator ' ' "$DB" "SELECT
    (SELECT count(*) FROM entities), (SELECT count(*) FROM sites), (SELECT count(*) FROM findings),
    (SELECT count(*) FROM cases), (SELECT count(*) FROM outcomes),
    (SELECT count(*) FROM credit_listings WHERE removed_on IS NULL),
    (SELECT count(*) FROM credit_evaluations), (SELECT count(*) FROM credit_commitments),
    (SELECT count(*) FROM filings)")"
read -r N_ENT N_SITES N_FIND N_CASES N_OUT N_LIST N_EVAL N_COMM N_FIL <<<"$COUNTS"
[ "$N_ENT" = "$ENTITIES" ] || die "generated $N_ENT entities, expected $ENTITIES"
DB_MB="$(du -m "$DB" | cut -f1)"
echo "data: $N_ENT entities, $N_SITES sites, $N_FIND findings, $N_CASES cases, $N_OUT outcomes, $N_LIST open listings, $N_EVAL evaluations, $N_COMM commitments, $N_FIL filings; $DB_MB MB database (generated in $(printf '%.1f' "$(echo "$(date +%s.%N) - $T0" | bc)") s, untimed)"

# The peer: the same settings as wangjian's SQLite connections (WAL is the file's own mode
# already): synchronous=NORMAL, a 256 MB page cache, temporary tables in memory.
{ echo "PRAGMA synchronous = NORMAL;"; echo "PRAGMA cache_size = -262144;"; echo "PRAGMA temp_store = MEMORY;"
  sed "s/{{AS_OF}}/$AS_OF/g" "$HERE/credit/peer.sql"; } >"$TMP/peer.sql"

# `time -v` field of a file, e.g. tv FILE 'Maximum resident set size (kbytes)'.
tv() { grep -F "$2" "$1" | head -1 | awk -F': ' '{print $2}'; }
# "m:ss.ss" or "h:mm:ss" -> seconds
wall_secs() { echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }
cpu_secs() { echo "$(tv "$1" 'User time') $(tv "$1" 'System time')" | awk '{ printf "%.2f", $1 + $2 }'; }
# figures FILE: "secs cpu rss_kb"
figures() { echo "$(wall_secs "$(tv "$1" 'Elapsed (wall clock)')") $(cpu_secs "$1") $(tv "$1" 'Maximum resident set size')"; }

: >"$TMP/wj.txt"
: >"$TMP/night.txt"
: >"$TMP/sq.txt"
# run_peer K DIR: the one SQL statement; appends "secs cpu rss_kb" to sq.txt
run_peer() {
    local t="$TMP/sq-time-$1"
    /usr/bin/time -v -o "$t" sqlite3 -bail "$2/wangjian.db" <"$TMP/peer.sql" >"$TMP/sq-out-$1" 2>&1 \
        || { cat "$TMP/sq-out-$1" >&2; die "the peer's SQL failed"; }
    local n
    n="$(sqlite3 "$2/wangjian.db" 'SELECT count(*) FROM peer_scores')"
    [ "$n" = "$ENTITIES" ] || die "the peer scored $n entities, expected $ENTITIES"
    local f s c rss
    f="$(figures "$t")"
    echo "$f" >>"$TMP/sq.txt"
    read -r s c rss <<<"$f"
    log "sqlite3  run $1: $n entities scored in $s s, $c CPU s, $((rss / 1024)) MB peak RSS"
}
# run_wangjian K DIR OUT LABEL: `credit rescore --all`; appends "secs cpu rss_kb" to OUT
run_wangjian() {
    local t="$TMP/wj-time-$1-$4"
    /usr/bin/time -v -o "$t" "$WJ" --data "$2" credit rescore --all --as-of "$AS_OF" \
        >"$TMP/wj-out-$1-$4" 2>"$TMP/wj-err-$1-$4" \
        || { cat "$TMP/wj-err-$1-$4" "$TMP/wj-out-$1-$4" >&2; die "wangjian credit rescore failed"; }
    local f s c rss
    f="$(figures "$t")"
    echo "$f" >>"$3"
    read -r s c rss <<<"$f"
    log "wangjian run $1 ($4): $(tail -1 "$TMP/wj-out-$1-$4" | cut -c1-160) — $s s, $c CPU s, $((rss / 1024)) MB peak RSS"
}
# wangjian_pair K DIR: the first full scoring (empty credit_scores), then the nightly one
wangjian_pair() {
    run_wangjian "$1" "$2" "$TMP/wj.txt" first
    local n
    n="$(sqlite3 "$2/wangjian.db" 'SELECT count(*) FROM credit_scores')"
    [ "$n" -gt 0 ] || die "wangjian credit rescore --all wrote no credit_scores"
    local before after
    before="$(sqlite3 "$2/wangjian.db" 'SELECT count(*) FROM credit_grades')"
    run_wangjian "$1" "$2" "$TMP/night.txt" nightly
    after="$(sqlite3 "$2/wangjian.db" 'SELECT count(*) FROM credit_grades')"
    echo "$((after - before))" >>"$TMP/night-grades.txt"
    log "wangjian run $1: $n scores, $before archive rows after the first scoring, $((after - before)) more after the nightly one"
}
# check K DIR: the agreement check on the run's database
check() {
    sqlite3 -bail "$2/wangjian.db" <"$HERE/credit/check.sql" >"$TMP/check-$1.txt" 2>&1 \
        || { cat "$TMP/check-$1.txt" >&2; die "the agreement check's SQL failed"; }
    local f="$TMP/check-$1.txt"
    kv() { awk -v k="$1" '$1 == k { print $2; exit }' "$f"; }
    local cm sm so op ow md
    cm="$(kv class_mismatches)" sm="$(kv score_class_mismatches)" so="$(kv score_over_1e-6)"
    op="$(kv only_peer)" ow="$(kv only_wangjian)" md="$(kv max_score_diff)"
    log "check run $1: $(kv wangjian_rows) wangjian scores, $(kv peer_rows) peer scores; class mismatches $cm, score-class mismatches $sm, scores > 1e-6 apart $so (max |difference| $md), only peer $op, only wangjian $ow"
    if [ "$1" = 1 ]; then
        echo "agreement (run 1): $(kv wangjian_rows) entities, class mismatches $cm, max |score difference| $md, override mismatches $(kv override_mismatches) (not failed on); wangjian classes $(kv classes), peer $(kv peer_classes); overrides $(kv overrides); index version $(kv index_versions)"
    fi
    if [ "$cm" != 0 ] || [ "$sm" != 0 ] || [ "$so" != 0 ] || [ "$op" != 0 ] || [ "$ow" != 0 ]; then
        echo "DISAGREEMENT between wangjian and the SQL peer (run $1):" >&2
        cat "$f" >&2
        die "wangjian's scores differ from the peer's: $cm class mismatches, $so scores more than 1e-6 apart (max $md), $op entities scored by the peer only, $ow by wangjian only"
    fi
}

: >"$TMP/night-grades.txt"
for r in $(seq 1 "$RUNS"); do
    d="$TMP/run-$r"
    rm -rf "$d"
    cp -a "$BASE" "$d"    # a fresh copy of the generated data (untimed): empty credit_scores
    sync                  # its written pages flushed before anything is timed
    if [ "$PEER_ONLY" = 1 ]; then
        run_peer "$r" "$d"
    elif [ $((r % 2)) -eq 1 ]; then
        wangjian_pair "$r" "$d"; run_peer "$r" "$d"
    else
        run_peer "$r" "$d"; wangjian_pair "$r" "$d"
    fi
    [ "$PEER_ONLY" = 1 ] || check "$r" "$d"
    rm -rf "$d"
done

python3 - "$TMP" "$ENTITIES" "$RUNS" "$PEER_ONLY" >"$TMP/summary.txt" <<'EOF'
import statistics as st, sys
tmp, n, runs, peer_only = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
def rows(name):
    return [[float(x) for x in l.split()] for l in open(f"{tmp}/{name}") if l.strip()]
med = lambda rs, i: st.median(r[i] for r in rs)
sides = [("sqlite3", rows("sq.txt"), "one SQL statement: CREATE TABLE peer_scores AS WITH … SELECT")]
if not peer_only:
    grades = [int(l) for l in open(f"{tmp}/night-grades.txt") if l.strip()]
    sides = [("wangjian", rows("wj.txt"), "credit rescore --all, first full scoring (empty credit_scores)"),
             ("wangjian", rows("night.txt"), f"credit rescore --all again, nightly, nothing changed (archive rows written: {', '.join(map(str, grades))})")] + sides
print(f"credit re-scoring: {n} entities, median of {runs} run(s), wall time of the whole process")
for name, rs, what in sides:
    print(f"{name:9s} {med(rs,0):8.2f} s  {n / med(rs,0):9.0f} entities/s  {med(rs,1):7.2f} CPU s  "
          f"{med(rs,2) / 1024:6.0f} MB peak RSS  {what}  (runs: {', '.join('%.2f s' % r[0] for r in rs)})")
if not peer_only:
    wj, night, sq = rows("wj.txt"), rows("night.txt"), rows("sq.txt")
    print(f"nightly vs sqlite3: {med(sq,0) / med(night,0):.2f} (sqlite3 s ÷ wangjian nightly s)")
    print("goal: 1,000,000 entities re-scored in < 60 s, no slower than the SQL (ratio >= 1)")
    print(f"RATIO={med(sq,0) / med(wj,0):.4f}")
EOF
grep -v '^RATIO=' "$TMP/summary.txt"
if [ "$PEER_ONLY" = 0 ]; then
    printf 'ratio sqlite3: %.2f\n' "$(grep '^RATIO=' "$TMP/summary.txt" | cut -d= -f2)"
fi
