#!/usr/bin/env python3
"""report_page.py — what a rendered report page shows, for report_html.t.

    report_page.py dom FILE   structure of the DOM chromium rendered
                              (--dump-dom): one "key value" line each
    report_page.py png FILE   pixels of each colour class in chromium's
                              screenshot (a PNG decoded here, no library)

The test compares structure (lanes, legend, summary, folded proof),
never pixels one by one.
"""
import html.parser
import struct
import sys
import zlib


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.facts = {}
        self.stack = []
        self.domain = None
        self.dt = False

    def add(self, key, n=1):
        self.facts[key] = self.facts.get(key, 0) + n

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.add("external " + tag)
        for k in ("src", "href"):
            if k in a:
                self.add("external " + k)
        if "url(" in (a.get("style") or ""):
            self.add("external url")
        if tag == "figure" and "domain-timeline" in cls:
            self.domain = a.get("data-domain")
            self.add("timelines")
        if tag == "g" and "lane" in cls and self.domain:
            self.add("lanes %s" % self.domain)
            self.add("lanes %s %s" % (self.domain, a.get("data-role")))
        if tag == "g" and "band" in cls and self.domain:
            self.add("band %s" % self.domain)
        if tag == "rect" and self.domain:
            for c in cls:
                if c.startswith(("a-", "v-")):
                    self.add("runs %s %s" % (self.domain, c))
                if c in ("d1", "d2", "d3"):
                    self.add("shade %s %s" % (self.domain, c))
        if tag == "svg" and "legend" in cls:
            self.add("legend " + a.get("id", "?"))
        if tag == "rect" and self.stack and self.stack[-1] == "legend":
            self.add("swatches")
        if tag == "details":
            self.add("details " + a.get("id", "?"))
        if tag == "dt":
            self.dt = True
        if tag in ("svg",) and a.get("id") in ("activity", "hosts"):
            self.add("chart " + a["id"])
        if tag == "polygon" and "held" in cls:
            self.add("held-area")
        if tag == "p" and a.get("id") == "not-drawn":
            self.add("not-drawn")
        self.stack.append("legend" if "legend" in cls else tag)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()
        if tag == "figure":
            self.domain = None
        if tag == "dt":
            self.dt = False

    def handle_data(self, data):
        if self.dt:
            self.add("question " + data.strip().replace(" ", "-"))


def dom(path):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    for k in sorted(p.facts):
        print(k, p.facts[k])


def png_pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, hdr
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, out, i = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        out.append(bytes(line))
        prev = line
    return w, h, bpp, out


COLOURS = {"usable": (0x2e, 0x9e, 0x48), "negative": (0xd9, 0x82, 0x2b),
           "transient": (0x9a, 0xa0, 0xa6), "propagation": (0xe3, 0xc8, 0x00),
           "outage": (0x55, 0x55, 0x55), "held": (0x9f, 0xc5, 0xe8)}


def png(path):
    w, h, bpp, rows = png_pixels(path)
    counts = dict.fromkeys(COLOURS, 0)
    want = {v: k for k, v in COLOURS.items()}
    for row in rows:
        for x in range(0, w * bpp, bpp):
            k = want.get((row[x], row[x + 1], row[x + 2]))
            if k:
                counts[k] += 1
    print("size %dx%d" % (w, h))
    for k in sorted(counts):
        print("pixels", k, counts[k])


{"dom": dom, "png": png}[sys.argv[1]](sys.argv[2])
