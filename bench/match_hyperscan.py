"""Hyperscan side of bench/match.sh: the detector's literals (hex-encoded UTF-8, one per line,
written by `matchbench literals`) compiled as pure literals (hs_compile_lit_multi, via
`Database.compile(literal=True)`), flags 0 (case-sensitive, no HS_FLAG_SOM_LEFTMOST), block
mode; the whole normalised corpus scanned as one block, single thread, RUNS times.

Two figures per run:
- `count`: a Python callback counting every match (Hyperscan reports every end offset of
  every literal, like the overlapping Aho-Corasick iteration on the wangjian side);
- `nocb`: match_event_handler=None, the same scan with no callback (the engine's own speed,
  matches not counted; an upper bound that excludes the Python callback cost).

usage: match_hyperscan.py LITERALS CORPUS RUNS
"""
import sys
import time

import hyperscan


def main():
    lits_path, corpus_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(lits_path) as f:
        lits = [bytes.fromhex(line.strip()) for line in f if line.strip()]
    with open(corpus_path, "rb") as f:
        data = f.read()
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    t = time.perf_counter()
    db.compile(expressions=lits, ids=list(range(len(lits))), elements=len(lits), flags=0, literal=True)
    compile_s = time.perf_counter() - t
    scratch = hyperscan.Scratch(db)
    mb = len(data) / 1e6
    hits = [0]

    def on_match(id_, start, end, flags, ctx):
        hits[0] += 1
        return None

    # Warm-up, untimed.
    db.scan(data, match_event_handler=on_match, scratch=scratch)
    for _ in range(runs):
        hits[0] = 0
        t = time.perf_counter()
        db.scan(data, match_event_handler=on_match, scratch=scratch)
        s = time.perf_counter() - t
        print(f"engine hyperscan-count bytes {len(data)} hits {hits[0]} secs {s:.4f} mb_per_s {mb / s:.1f} literals {len(lits)} compile_s {compile_s:.3f}", flush=True)
        t = time.perf_counter()
        db.scan(data, match_event_handler=None, scratch=scratch)
        s = time.perf_counter() - t
        print(f"engine hyperscan-nocb bytes {len(data)} secs {s:.4f} mb_per_s {mb / s:.1f}", flush=True)


if __name__ == "__main__":
    main()
