"""Counts the work report's figures straight from a wangjian SQLite database, independently of
wangjian's own queries, and checks them against the report's XLSX (read with openpyxl).

usage: report_figures.py DB FIRST LAST XLSX  (FIRST and LAST: Beijing days, YYYY-MM-DD)

Prints one line per figure (`code expected got`) and exits 1 on any difference: in a figure's
value in the overview sheet, in its number of records, or in the rows behind it in its
section's sheet.
"""

import re
import sqlite3
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import openpyxl

db, first, last, xlsx = sys.argv[1:5]
first = date.fromisoformat(first)
last = date.fromisoformat(last)
cst = timezone(timedelta(hours=8))
start = datetime(first.year, first.month, first.day, tzinfo=cst)
end = datetime(last.year, last.month, last.day, tzinfo=cst) + timedelta(days=1)


def instant(text):
    if text is None:
        return None
    m = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$", text)
    assert m, f"unreadable time {text!r}"
    frac = (m.group(3) or "")[:7]
    zone = m.group(4) or "+00:00"
    zone = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{frac}{zone}")


def within(text):
    t = instant(text)
    return t is not None and start <= t < end


def before_end(text):
    t = instant(text)
    return t is not None and t < end


con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def rows(sql):
    return con.execute(sql).fetchall()


fig = {}  # code -> (value, records)


def count(code, items):
    fig[code] = (len(items), len(items))


sites = rows("SELECT id, kind, created_at FROM sites")
count("entities", [r for r in rows("SELECT created_at FROM entities") if before_end(r[0])])
for code, kind in [("platforms", "platform"), ("trading_sites", "trading_site"),
                   ("non_trading_sites", "non_trading_site"), ("platform_shops", "platform_shop")]:
    count(code, [s for s in sites if s[1] == kind and before_end(s[2])])
count("new_sites", [s for s in sites if within(s[2])])
count("discovered", [r for r in rows("SELECT first_seen FROM discovered_sites") if within(r[0])])
count("sweeps", [r for r in rows("SELECT started_at FROM sweeps WHERE kind = 'sweep'") if within(r[0])])
fetches = rows("SELECT site_id, status, warc_file, fetched_at FROM fetches")
checked = {f[0] for f in fetches if f[1] is not None and within(f[3])}
count("sites_checked", checked)
# A suppressed finding (a quotation, a trademark, the page's genre) counts in no figure.
findings = rows("SELECT site_id, triage, found_at FROM findings WHERE suppressed IS NULL")
suspect = {f[0] for f in findings if f[1] != "false_positive" and before_end(f[2])} & checked
count("suspect_sites", suspect)
count("pages", [f for f in fetches if f[1] is not None and within(f[3])])
count("findings", [f for f in findings if f[1] != "false_positive" and within(f[2])])
count("warc_records", [f for f in fetches if f[2] is not None and within(f[3])])
count("captures", [r for r in rows("SELECT finished_at FROM capture_requests WHERE state = 'done'") if within(r[0])])
count("custody_events", [r for r in rows("SELECT at FROM custody") if within(r[0])])
clues = rows("SELECT created_at, dispatched_at, closed_at FROM clues")
count("clues", [c for c in clues if within(c[0])])
count("clues_dispatched", [c for c in clues if within(c[1])])
count("clues_closed", [c for c in clues if within(c[2])])
count("field_checks", [r for r in rows("SELECT inspected_at FROM inspections") if within(r[0])])
cases = rows("SELECT opened_at, closed_at FROM cases")
count("cases", [c for c in cases if within(c[0])])
count("cases_closed", [c for c in cases if within(c[1])])
outcomes = rows("SELECT kind, fine_fen, created_at FROM outcomes")
penalties = [o for o in outcomes if o[0] == "penalty" and within(o[2])]
fig["fines"] = (sum(o[1] or 0 for o in penalties), len(penalties))
for code, kind in [("rectifications", "rectification"), ("referrals", "referral"),
                   ("warnings", "warning"), ("abnormal_listings", "abnormal_listing")]:
    count(code, [o for o in outcomes if o[0] == kind and within(o[2])])
count("campaigns", [c for c in rows("SELECT starts_on, ends_on FROM campaigns")
                    if date.fromisoformat(c[0]) <= last and date.fromisoformat(c[1]) >= first])
classes = rows("SELECT class FROM credit_scores")
for c in "ABCD":
    count(f"credit_{c.lower()}", [x for x in classes if x[0] == c])
count("credit_listings", [r for r in rows("SELECT listed_at FROM credit_listings") if within(r[0])])
badges = rows("SELECT state, issued_at, changed_at FROM badges")
count("badges_issued", [b for b in badges if within(b[1])])
count("badges_in_force", [b for b in badges if b[0] == "issued"])
count("badges_withdrawn", [b for b in badges if b[0] in ("suspended", "revoked") and within(b[2])])
count("notices", [r for r in rows("SELECT published_at FROM portal_notices") if within(r[0])])
visits = [r for r in rows("SELECT day, count FROM portal_visits")
          if first <= date.fromisoformat(r[0]) <= last]
fig["visits"] = (sum(v[1] for v in visits), len(visits))
complaints = rows("SELECT received_at, accepted_at, closed_at, upheld FROM complaints")
count("complaints", [c for c in complaints if within(c[0])])
count("complaints_accepted", [c for c in complaints if within(c[1])])
count("complaints_upheld", [c for c in complaints if c[3] and within(c[2])])
filings = rows("SELECT entity_id, imported_at FROM filings")
count("filings", [f for f in filings if within(f[1])])
count("filings_joined", [f for f in filings if f[0] is not None and within(f[1])])

book = openpyxl.load_workbook(xlsx, read_only=True)
names = book.sheetnames
overview = {}
for row in list(book[names[0]].iter_rows(values_only=True))[1:]:
    overview[row[1]] = (row[3], row[5])
behind = defaultdict(lambda: [0, 0])  # code -> [sum of values, rows]
for name in names[2:]:
    for row in list(book[name].iter_rows(values_only=True))[1:]:
        behind[row[0]][0] += row[6]
        behind[row[0]][1] += 1

bad = 0
if set(overview) != set(fig):
    print("figures differ:", sorted(set(overview) ^ set(fig)))
    bad += 1
for code, want in sorted(fig.items()):
    got = overview.get(code)
    rows_behind = tuple(behind[code]) if code in behind else (0, 0)
    ok = got == want and rows_behind == want
    print(code, want, got, rows_behind, "ok" if ok else "DIFFERENT")
    bad += not ok
print(f"checked {len(fig)} figures, {bad} different")
sys.exit(1 if bad else 0)
