#!/usr/bin/python3
# ctest-timeout: 900
"""`parley report --html FILE` on a database loaded through the real parley-agent and
parley-collector: the file is self-contained (no script, nothing fetched), has the 650
hexes with their titles and shades, marks the constituencies whose MP was spoken to, and
carries the Open Innovations credit; then headless Chromium renders it: 650 hex elements
in its DOM, a screenshot that is not blank (and shows the map's colours), and an A4 PDF.

Chromium is Debian's `chromium` package. When it is missing the test tries
`apt-get install -y chromium` (as root); only if that fails too is the rendering part
skipped, with a message saying so.

Usage (tests/lib/harness.py): test_report.py --agent PATH --collector PATH --parley PATH
[--work-dir DIR] [--keep]
"""
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_cli as tc  # noqa: E402  (its loading, Truth and Parley helpers)
from test_cli import check, check_eq, log, harness  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
SHADE_NONE = (0xE4, 0xE4, 0xE4)
SHADES = [(0xC6, 0xDB, 0xEF), (0x9E, 0xCA, 0xE1), (0x6B, 0xAE, 0xD6), (0x31, 0x82, 0xBD), (0x08, 0x51, 0x9C)]


class Page(html.parser.HTMLParser):
    """Collects what the static checks need from the report."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hexes = []        # [attrs dict, title text]
        self.scripts = 0
        self.external = []
        self.stack = []
        self.text = []
        self.svgs_with_viewbox = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(tag)
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href", "xlink:href", "data"):
            if a.get(k) and not a[k].startswith("#"):
                self.external.append((tag, k, a[k]))
        if tag == "svg" and a.get("viewbox"):
            self.svgs_with_viewbox += 1
        if tag == "polygon" and "hex" in (a.get("class") or "").split():
            self.hexes.append([a, ""])

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.stack and self.stack[-1] == "title" and len(self.stack) >= 2 and self.stack[-2] == "polygon":
            self.hexes[-1][1] += data


def static_checks(path, truth):
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    page = Page()
    page.feed(doc)
    check_eq(page.scripts, 0, "no <script> in the report")
    check_eq(page.external, [], "nothing fetched (src/href)")
    check(not re.search(r"url\(|@import|https?://", doc), "no url(), @import or http(s) in the report")
    check_eq(len(page.hexes), 650, "650 hexes")
    summary = truth.views["constituency_summary"]
    codes = set()
    for attrs, title in page.hexes:
        code = attrs.get("data-code")
        codes.add(code)
        row = summary[code]
        check(title.startswith(row["constituency_name"]), "hex %s is titled with its name: %r" % (code, title))
        n = row["conversations"]
        check("%d conversation%s" % (n, "" if n == 1 else "s") in title, "hex %s title gives %d conversations"
              % (code, n))
        fill = attrs.get("fill", "").lower()
        if n == 0:
            check_eq(fill, "#e4e4e4", "hex %s with no conversation is grey" % code)
        else:
            check(fill != "#e4e4e4" and re.match(r"#[0-9a-f]{6}$", fill), "hex %s is shaded: %s" % (code, fill))
    check_eq(len(codes), 650, "every constituency has its own hex")
    # Darker for more: a constituency's shade never goes lighter as its count grows.
    order = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
    shaded = sorted((summary[a["data-code"]]["conversations"], order.index(a["fill"].lower()))
                    for a, _ in page.hexes if summary[a["data-code"]]["conversations"] > 0)
    check(all(x[1] <= y[1] for x, y in zip(shaded, shaded[1:])), "shades grow with conversations")
    m = re.search(r'<svg class="hexmap".*?</svg>', doc, re.S)
    check(m, "the map is an <svg class=\"hexmap\">")
    check_eq(m.group(0).count('<circle class="mp"'), truth.views["progress"]["mps_engaged"],
             "one MP mark per MP-engaged constituency")
    text = " ".join(page.text)
    check("Hex layout: Open Innovations" in text, "the map credits Open Innovations")
    check("CC BY 4.0" in text, "the credit names the licence")
    check("@media print" in doc and "@page" in doc and "A4" in doc, "print styles for A4")
    check('name="viewport"' in doc and page.svgs_with_viewbox >= 3, "responsive: viewport and SVG viewBoxes")
    for r in truth.views["region_summary"].values():
        check(r["region"] in text, "the regions table lists %s" % r["region"])
    for t in sorted(truth.topics().values(), key=lambda t: (-t["conversations"], t["topic"]))[:5]:
        check(t["topic"] in text, "top topic %s is shown" % t["topic"])
    pr = truth.views["progress"]
    check("{:,}".format(pr["conversations"]) in text, "progress shows the conversations")
    for word in ("Opposed", "Sceptical", "Neutral", "Supportive", "Champion"):
        check(word in text, "stance distribution shows %s" % word)


# ---- PNG reading (zlib only), to tell a rendered page from a blank one -----------------

def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG file")
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    check(depth == 8 and ctype in (2, 6) and interlace == 0, "an 8-bit RGB(A) PNG")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ft = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def colour_counts(path):
    width, height, bpp, rows = read_png(path)
    counts = {}
    for row in rows:
        for x in range(0, width * bpp, bpp * 2):  # every other pixel is plenty
            px = row[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    return width, height, counts


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium():
    path = find_chromium()
    if path or os.geteuid() != 0 or not shutil.which("apt-get"):
        return path
    log("chromium not found: trying apt-get install -y chromium")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "chromium"]
    try:
        if subprocess.run(install, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                          timeout=600).returncode != 0:
            # Package lists may be missing or stale on a fresh machine.
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=env, timeout=300)
            subprocess.run(install, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        log("apt-get failed: %s" % e)
    return find_chromium()


def chromium(binary, work, *args):
    profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
    try:
        return subprocess.run([binary] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + list(args),
                              capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def render_checks(binary, path, work, truth):
    url = "file://" + os.path.abspath(path)
    p = chromium(binary, work, "--dump-dom", url)
    check(p.returncode == 0, "chromium --dump-dom exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    dom = p.stdout.decode("utf-8", "replace")
    check_eq(len(re.findall(r'<polygon class="hex"', dom)), 650, "650 hex elements in Chromium's DOM")
    check(len(re.findall(r"<title>", dom)) >= 651, "hex titles in the DOM")
    shot = os.path.join(work, "report.png")
    p = chromium(binary, work, "--window-size=1200,3000", "--screenshot=" + shot, url)
    check(p.returncode == 0 and os.path.exists(shot), "chromium --screenshot: %s" % p.stderr[-2000:])
    width, height, counts = colour_counts(shot)
    check_eq((width, height), (1200, 3000), "screenshot size")
    total = sum(counts.values())
    white = counts.get(b"\xff\xff\xff", 0)
    check(white < total * 0.95, "the screenshot is not blank (%.1f%% white)" % (100.0 * white / total))
    check(len(counts) > 20, "the screenshot has many colours (%d)" % len(counts))
    check(counts.get(bytes(SHADE_NONE), 0) > 1000, "grey hexes (no conversation yet) are drawn")
    shaded = sum(counts.get(bytes(s), 0) for s in SHADES)
    check(shaded > 1000, "shaded hexes are drawn (%d pixels)" % shaded)
    log("  screenshot: %s (%d colours, %.1f%% white)" % (shot, len(counts), 100.0 * white / total))
    phone = os.path.join(work, "report-phone.png")
    p = chromium(binary, work, "--window-size=390,2400", "--screenshot=" + phone, url)
    check(p.returncode == 0 and os.path.exists(phone), "phone-sized screenshot")
    pdf = os.path.join(work, "report.pdf")
    p = chromium(binary, work, "--print-to-pdf=" + pdf, "--no-pdf-header-footer", url)
    check(p.returncode == 0 and os.path.exists(pdf), "chromium --print-to-pdf: %s" % p.stderr[-2000:])
    with open(pdf, "rb") as f:
        data = f.read()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", data)
    check(pages >= 2, "the PDF has pages (%d)" % pages)
    check(boxes and all(abs(float(w) - 595.9) < 2 and abs(float(h) - 842) < 2 for w, h in boxes),
          "the PDF pages are A4: %r" % boxes[:3])
    log("  pdf: %s (%d A4 pages)" % (pdf, pages))


_REPORT = {}


def report(h):
    """The loaded database and its report, made once."""
    if not _REPORT:
        db, truth, p = tc.loaded(h, label="report", seed=5, conversations=600)
        path = h.path("report.html")
        out = p.ok("report", "--html", path)
        check(path in out.text, "report says where it wrote")
        _REPORT.update(db=db, truth=truth, p=p, path=path)
    return _REPORT


def test_report_is_self_contained_and_complete(h):
    r = report(h)
    static_checks(r["path"], r["truth"])


def test_report_of_an_empty_database(h):
    db = h.create_database("report_empty")
    col = h.start_collector(db)
    # Listening comes before the schema: wait for it to be created.
    harness.wait_for(lambda: 'msg="ready"' in col.log(), 30, "the collector to be ready")
    col.stop()
    p = tc.Parley(h, db)
    path = h.path("empty.html")
    p.ok("report", "--html", path)
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    check_eq(doc.count('class="hex"'), 650, "an empty report has 650 hexes")
    check_eq(len(re.findall(r'<polygon class="hex"[^>]*fill="#e4e4e4"', doc)), 650, "all grey")
    check("No conversations yet" in doc, "says there is nothing yet")


def test_report_errors(h):
    r = report(h)
    res = r["p"].run("report", "--html", os.path.join(h.work, "no-such-dir", "r.html"))
    check_eq(res.returncode, 1, "unwritable report path exit status")
    check_eq(len(res.err.splitlines()), 1, "one line: %r" % res.err)
    res = r["p"].run("report")
    check_eq(res.returncode, 2, "report without --html is bad usage")


def test_report_renders_in_chromium(h):
    r = report(h)
    binary = ensure_chromium()
    if not binary:
        raise harness.Skip("Debian's chromium package is not installed and could not be installed "
                           "(apt-get install -y chromium); the report was checked statically only")
    render_checks(binary, r["path"], h.work, r["truth"])


if __name__ == "__main__":
    harness.main(globals())
