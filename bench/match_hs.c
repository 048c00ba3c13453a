/* Hyperscan side of bench/match.sh through the C API (Debian libhyperscan-dev), so the
 * per-match callback is a C increment rather than a Python call: the same literals
 * (hs_compile_lit_multi, flags 0, HS_MODE_BLOCK), the whole corpus as one block, RUNS times.
 *
 *   cc -O2 -o match_hs match_hs.c -lhs && ./match_hs LITERALS CORPUS RUNS
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx) {
    (void)id; (void)from; (void)to; (void)flags;
    ++*(unsigned long long *)ctx;
    return 0;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END); *len = (size_t)ftell(f); fseek(f, 0, SEEK_SET);
    char *b = malloc(*len + 1);
    if (fread(b, 1, *len, f) != *len) { perror(path); exit(1); }
    fclose(f); b[*len] = 0;
    return b;
}

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: match_hs LITERALS CORPUS RUNS\n"); return 2; }
    size_t llen, clen;
    char *lits = slurp(argv[1], &llen), *data = slurp(argv[2], &clen);
    int runs = atoi(argv[3]);
    unsigned n = 0, cap = 1024;
    char **pats = malloc(cap * sizeof *pats);
    size_t *lens = malloc(cap * sizeof *lens);
    for (char *line = strtok(lits, "\n"); line; line = strtok(NULL, "\n")) {
        size_t h = strlen(line), k;
        char *p = malloc(h / 2 + 1);
        for (k = 0; k < h / 2; k++) sscanf(line + 2 * k, "%2hhx", (unsigned char *)&p[k]);
        pats[n] = p; lens[n] = h / 2; n++;
        if (n == cap) { cap *= 2; pats = realloc(pats, cap * sizeof *pats); lens = realloc(lens, cap * sizeof *lens); }
    }
    unsigned *flags = calloc(n, sizeof *flags), *ids = malloc(n * sizeof *ids);
    for (unsigned i = 0; i < n; i++) ids[i] = i;
    hs_database_t *db; hs_compile_error_t *err; hs_scratch_t *scratch = NULL;
    double t = now();
    if (hs_compile_lit_multi((const char *const *)pats, flags, ids, lens, n, HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
        fprintf(stderr, "compile: %s\n", err->message); return 1;
    }
    double compile_s = now() - t;
    hs_alloc_scratch(db, &scratch);
    unsigned long long hits = 0;
    hs_scan(db, data, (unsigned)clen, 0, scratch, on_match, &hits); /* warm-up */
    for (int r = 0; r < runs; r++) {
        hits = 0;
        t = now();
        hs_scan(db, data, (unsigned)clen, 0, scratch, on_match, &hits);
        double s = now() - t;
        printf("engine hyperscan-c bytes %zu hits %llu secs %.4f mb_per_s %.1f literals %u compile_s %.3f\n",
               clen, hits, s, clen / 1e6 / s, n, compile_s);
        fflush(stdout);
    }
    return 0;
}
