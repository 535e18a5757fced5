"""Script-rendered fixture pages for browser-capture tests, served by the fixture server.

Each page keeps its readable text out of the HTML markup (in a JS string or a JSON
response), so a static capture finds almost nothing and only a browser sees it.
``mount_js_pages(server)`` installs them all under ``/js/``. Standard library only.
"""

from __future__ import annotations

import json
import struct
import zlib

from tests.webserver import FixtureServer, Reply

WORDS = [
    "harbour",
    "lantern",
    "orchard",
    "meadow",
    "granite",
    "willow",
    "compass",
    "thunder",
    "velvet",
    "ember",
    "quartz",
    "river",
    "saddle",
    "beacon",
    "cobble",
    "falcon",
    "juniper",
    "marble",
    "nectar",
    "pebble",
]


def sentence(seed: int, length: int = 12) -> str:
    """A deterministic sentence of ``length`` dictionary words."""
    words = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(length)]
    return " ".join(words).capitalize() + "."


def paragraphs(seed: int, count: int = 6) -> list[str]:
    return [" ".join(sentence(seed + p * 5 + s) for s in range(4)) for p in range(count)]


#: Phrases the tests look for in the rendered text (never present in the markup as text).
TEMPLATE_MARK = "Zephyrine quokka template marker"
FETCH_MARK = "Ostrobothnian fetched marker"
INFINITE_MARK = "Scrollable item number"
CJK_TEXT = "中文测试"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour RGB PNG (pure Python), so lazy images have real, distinct bytes."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR; ValueError when it is not a PNG."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


_SHELL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body {{ font: 18px/1.5 sans-serif; margin: 2em; }} .spacer {{ height: 2600px; }}</style>
</head><body>
<div id="app"><p class="loading">Loading…</p></div>
<noscript>You need to enable JavaScript to run this app.</noscript>
<script>{script}</script>
</body></html>"""


def template_page() -> str:
    """Client-side template: all text lives in a JS string."""
    data = {"title": "Rendered on the client", "paras": [TEMPLATE_MARK, *paragraphs(1)]}
    script = f"""
const data = {json.dumps(data)};
const app = document.getElementById('app');
app.innerHTML = '<article><h1></h1></article>';
app.querySelector('h1').textContent = data.title;
for (const text of data.paras) {{
  const p = document.createElement('p'); p.textContent = text;
  app.querySelector('article').appendChild(p);
}}"""
    return _SHELL.format(title="Client template", script=script)


def fetch_page() -> str:
    """Fetch-then-render: the text arrives as JSON from the fixture server."""
    script = """
fetch('/js/api/article.json').then((r) => r.json()).then((data) => {
  const app = document.getElementById('app');
  app.innerHTML = '';
  const h = document.createElement('h1'); h.textContent = data.title; app.appendChild(h);
  for (const text of data.paras) {
    const p = document.createElement('p'); p.textContent = text; app.appendChild(p);
  }
});"""
    return _SHELL.format(title="Fetch then render", script=script)


def article_json() -> bytes:
    return json.dumps({"title": "Fetched article", "paras": [FETCH_MARK, *paragraphs(2)]}).encode()


LAZY_COUNT = 3


def lazy_page() -> str:
    """Images far below the fold, loaded by an IntersectionObserver when visible."""
    items = "".join(
        f'<div class="spacer"></div><p>{sentence(30 + i)}</p>'
        f'<img class="lazy" data-src="/js/img/lazy{i}.png" width="200" height="100" alt="">'
        for i in range(LAZY_COUNT)
    )
    body = "".join(f"<p>{text}</p>" for text in paragraphs(3))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lazy images</title>
<style>body {{ font: 18px/1.5 sans-serif; margin: 2em; }} .spacer {{ height: 2600px; }}</style>
</head><body><main><h1>Lazy images</h1>{body}{items}</main>
<script>
const io = new IntersectionObserver((entries) => {{
  for (const e of entries) {{
    if (e.isIntersecting) {{ e.target.src = e.target.dataset.src; io.unobserve(e.target); }}
  }}
}});
document.querySelectorAll('img.lazy').forEach((img) => io.observe(img));
</script></body></html>"""


INFINITE_CAP = 400  # the page itself stops appending here (the capture stops sooner)


def infinite_page() -> str:
    """Infinite scroll: ten more items every time the reader nears the bottom."""
    script = f"""
const app = document.getElementById('app');
app.innerHTML = '<h1>Endless feed</h1><ol id="feed"></ol>';
const feed = document.getElementById('feed');
let n = 0;
function more() {{
  for (let i = 0; i < 10 && n < {INFINITE_CAP}; i++) {{
    n++;
    const li = document.createElement('li');
    li.textContent = '{INFINITE_MARK} ' + n + '. ' + {json.dumps(sentence(4, 20))};
    li.style.height = '120px';
    feed.appendChild(li);
  }}
}}
more();
window.addEventListener('scroll', () => {{
  if (innerHeight + scrollY > document.body.scrollHeight - 400) more();
}});"""
    return _SHELL.format(title="Endless feed", script=script)


def cjk_page(text: str = CJK_TEXT) -> str:
    """A Chinese page with big glyphs (empty text gives the blank twin to compare with)."""
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>中文</title>
<style>body {{ margin: 0; background: #fff; }} h1 {{ font-size: 160px; margin: 40px; }}</style>
</head><body><h1>{text}</h1></body></html>"""


def mount_js_pages(server: FixtureServer) -> None:
    """Install every page under /js/ on the fixture server."""
    server.route("/js/template", lambda req: Reply.html(template_page()))
    server.route("/js/fetch", lambda req: Reply.html(fetch_page()))
    server.route(
        "/js/api/article.json",
        lambda req: Reply(200, {"Content-Type": "application/json"}, article_json()),
    )
    server.route("/js/lazy", lambda req: Reply.html(lazy_page()))
    server.route("/js/infinite", lambda req: Reply.html(infinite_page()))
    server.route("/js/cjk", lambda req: Reply.html(cjk_page()))
    server.route("/js/blank", lambda req: Reply.html(cjk_page("")))
    colours = [(200, 30, 30), (30, 160, 40), (20, 60, 200), (220, 180, 0)]
    for i in range(LAZY_COUNT):
        image = png(200, 100, colours[i % len(colours)])
        server.route(
            f"/js/img/lazy{i}.png",
            lambda req, image=image: Reply(200, {"Content-Type": "image/png"}, image),
        )


#: Paths of the script-rendered pages (all should be switched to the browser by auto).
JS_PAGES = ("/js/template", "/js/fetch", "/js/infinite")
