"""The Scrapy side of bench/crawl.sh: a minimal spider that does what one wangjian sweep does,
minus evidence and detection: for every registered site, start at http://host{prefix}/, walk
same-site links breadth-first within the page budget and depth limit, obey robots.txt, keep
nothing.

Usage: scrapy_sweep.py SITES_JSONL PORT CONCURRENCY MAX_PAGES MAX_DEPTH STATS_OUT

SITES_JSONL is `wangjian sites --format json` (one object per line: host, path_prefix). Scrapy
reaches the simulated hosts through simweb itself used as an HTTP proxy (it answers
absolute-form requests by Host header): nothing resolves *.test, nothing leaves loopback.
"""

import json
import os
import sys
import time
from urllib.parse import urljoin, urldefrag, urlparse

import scrapy
from scrapy.crawler import CrawlerProcess


def in_scope(url, host, prefix):
    """Same rule as wangjian's crawl::links::in_scope."""
    u = urlparse(url)
    if u.scheme not in ("http", "https") or u.hostname != host:
        return False
    p = prefix.rstrip("/")
    path = u.path or "/"
    return p == "" or path == p or (path.startswith(p) and path[len(p)] == "/")


class SweepSpider(scrapy.Spider):
    name = "sweep"

    def __init__(self, sites, max_pages, max_depth, **kw):
        super().__init__(**kw)
        self.sites = sites
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.pages = 0
        # Per site, like wangjian's per-site frontier: seen URLs and requests scheduled.
        self.seen = [set() for _ in sites]
        self.scheduled = [0] * len(sites)

    def _request(self, i, url, depth):
        self.seen[i].add(url)
        self.scheduled[i] += 1
        # dont_filter: each site keeps its own seen-set (a platform and its shops are
        # different sites on one host, as in wangjian).
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={"site": i, "d": depth},
        )

    async def start(self):
        self.t0 = time.monotonic()
        for i, s in enumerate(self.sites):
            url = "http://%s%s/" % (s["host"], s["path_prefix"].rstrip("/"))
            yield self._request(i, url, 0)

    def _follow(self, i, links, depth):
        s = self.sites[i]
        for href in links:
            url = urldefrag(href)[0]
            if self.scheduled[i] >= self.max_pages:
                return
            if url in self.seen[i] or not in_scope(url, s["host"], s["path_prefix"]):
                continue
            yield self._request(i, url, depth)

    def parse(self, response):
        self.pages += 1
        i, depth = response.meta["site"], response.meta["d"]
        if response.status in (301, 302, 303, 307, 308):
            loc = response.headers.get("Location")
            if loc:
                target = urljoin(response.url, loc.decode("latin-1"))
                yield from self._follow(i, [target], depth)
            return
        if response.status >= 400 or depth >= self.max_depth:
            return
        if not isinstance(response, scrapy.http.TextResponse):
            return
        hrefs = response.css("a::attr(href)").getall()
        links = [response.urljoin(h.strip()) for h in hrefs]
        yield from self._follow(i, links, depth + 1)

    def failed(self, failure):
        self.pages += 1

    def closed(self, reason):
        st = self.crawler.stats
        out = {
            "pages": self.pages,
            "responses": st.get_value("response_received_count", 0),
            "robots_ignored": st.get_value("robotstxt/forbidden", 0),
            "elapsed_s": time.monotonic() - self.t0,
            "reason": reason,
        }
        with open(self.stats_out, "w") as f:
            json.dump(out, f)


def main():
    sites_path, port, conc, max_pages, max_depth, stats_out = sys.argv[1:7]
    conc, max_pages, max_depth = int(conc), int(max_pages), int(max_depth)
    with open(sites_path) as f:
        sites = [json.loads(line) for line in f if line.strip()]
    # simweb answers absolute-form (proxy) requests by Host: every *.test request goes to it.
    os.environ["http_proxy"] = "http://127.0.0.1:%s" % port
    for k in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
        os.environ.pop(k, None)
    process = CrawlerProcess(
        settings={
            "LOG_LEVEL": "WARNING",
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": conc,
            # wangjian fetches one page at a time per site, but a platform host serves many
            # shop sites at once; Scrapy's slot is per host, so give it the whole budget.
            "CONCURRENT_REQUESTS_PER_DOMAIN": conc,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            # Breadth-first, like wangjian.
            "DEPTH_PRIORITY": 1,
            "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
            "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
            # Redirects and error pages are pages, handled in the spider (as wangjian does).
            "REDIRECT_ENABLED": False,
            "HTTPERROR_ALLOW_ALL": True,
            "RETRY_ENABLED": False,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "DOWNLOAD_TIMEOUT": 20,
            "USER_AGENT": "scrapy-bench (+wangjian bench)",
        }
    )
    process.crawl(SweepSpider, sites=sites, max_pages=max_pages, max_depth=max_depth,
                  stats_out=stats_out)
    process.start()


if __name__ == "__main__":
    main()
