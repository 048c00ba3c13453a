"""The warcio side of bench/warc.sh: write every exchange of a warcbench dump as `request` +
`response` records with warcio's WARCWriter(gzip=True) (one gzip member per record, as
wangjian writes), timing only the writing (the dump is read into memory first).

Usage: warcio_write.py DUMP OUT.warc.gz
Prints: records N secs S records_per_s R input_mb_per_s M out_bytes B
"""

import io
import os
import struct
import sys
import time

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def load(path):
    data = open(path, "rb").read()
    assert data[:4] == b"WJBD", "not a warcbench dump"
    at, out = 4, []
    while at < len(data):
        parts = []
        for _ in range(4):
            (n,) = struct.unpack_from("<I", data, at)
            parts.append(data[at + 4 : at + 4 + n])
            at += 4 + n
        out.append(parts)
    return out


def split_head(head):
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0]
    headers = [tuple(x.split(": ", 1)) for x in lines[1:] if x]
    return status, headers


def main():
    dump, out = sys.argv[1], sys.argv[2]
    exchanges = []
    input_bytes = 0
    for url, req, head, body in load(dump):
        rq_line, rq_headers = split_head(req)
        status, headers = split_head(head)
        exchanges.append((url.decode(), rq_line, rq_headers, status, headers, body))
        input_bytes += len(req) + len(head) + len(body)
    t0 = time.perf_counter()
    with open(out, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        info = writer.create_warcinfo_record(
            os.path.basename(out), {"software": "warcio bench", "format": "WARC File Format 1.1"}
        )
        writer.write_record(info)
        for url, rq_line, rq_headers, status, headers, body in exchanges:
            rq = writer.create_warc_record(
                url,
                "request",
                payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(rq_line, rq_headers, is_http_request=True),
            )
            rs = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            )
            rs.rec_headers.add_header("WARC-Concurrent-To", rq.rec_headers.get_header("WARC-Record-ID"))
            writer.write_record(rq)
            writer.write_record(rs)
        f.flush()
        os.fsync(f.fileno())
    secs = time.perf_counter() - t0
    n = 2 * len(exchanges)
    print(
        "records %d secs %.4f records_per_s %.0f input_mb_per_s %.1f out_bytes %d"
        % (n, secs, n / secs, input_bytes / secs / 1e6, os.path.getsize(out))
    )


if __name__ == "__main__":
    main()
