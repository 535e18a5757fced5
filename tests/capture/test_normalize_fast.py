"""normalize_url answers URLs of the common shape without parsing them (an import
normalises 100,000 at a time): the answer must be exactly the full parse's, for every
URL, and a URL the full parse refuses is still refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapshelf.capture import normalize
from snapshelf.capture.normalize import normalize_url
from snapshelf.errors import InvalidURL


def full(raw: str) -> str | None:
    """The full parse's answer (None when it refuses the URL)."""
    try:
        return normalize._normalize(raw, (raw or "").strip())
    except InvalidURL:
        return None


def either(raw: str) -> str | None:
    try:
        return normalize_url(raw)
    except InvalidURL:
        return None


# pieces chosen to sit on both sides of every line the short cut draws
SCHEMES = st.sampled_from(["http", "https", "HTTPS", "Http", "ftp", "javascript", "httpx"])
LABEL = st.text(alphabet="aZ09-_ſKı.", min_size=0, max_size=8) | st.just("x" * 64)
HOST = st.lists(LABEL, min_size=1, max_size=4).map(".".join) | st.sampled_from(
    ["xn--bcher-kva.example", "XN--BCHER-KVA.example", "bücher.example", "[::1]", "a.b."]
)
PORT = st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x", ":"])
PATH_CHARS = "az/%:@!$&'()*+,;=~._-?#é \t[]|^\"<>{}\\"
PATH = st.text(alphabet=PATH_CHARS, max_size=12).map(lambda p: "/" + p) | st.just("")
QUERY_CHARS = "ab0=&+%2;:/?@!$'()*,~._-é "
KEYS = st.sampled_from(["utm_source", "UTM_Medium", "fbclid", "q", "a", "", "spm", "gclid"])
PAIR = st.tuples(KEYS, st.text(alphabet=QUERY_CHARS, max_size=6)).map("=".join)
QUERY = st.lists(PAIR | st.text(alphabet=QUERY_CHARS, max_size=6), max_size=4).map(
    lambda ps: "?" + "&".join(ps)
) | st.just("")
FRAGMENT = st.text(alphabet="ab#?/ \n", max_size=5).map(lambda f: "#" + f) | st.just("")


@settings(max_examples=1500, deadline=None)
@given(SCHEMES, HOST, PORT, PATH, QUERY, FRAGMENT, st.sampled_from(["", " ", "\t"]))
def test_the_short_cut_answers_as_the_full_parse(scheme, host, port, path, query, frag, pad):
    raw = f"{pad}{scheme}://{host}{port}{path}{query}{frag}{pad}"
    assert either(raw) == full(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "https://Example.COM/a/b?q=1&utm_source=x#top",
        "https://site1.example/path/1?q=1",
        "http://a.example",
        "https://a.example/?",
        "https://a.example/?utm_source=x",
        "https://a.example/?q=a+b",
        "https://a.example/?q=%41",
        "https://a.example/?q&r=1",
        "https://a.example/?a=1&&b=2",
        "https://a.example/p?x=1=2",
        "https://" + "a" * 63 + ".example/",
        "https://" + "a" * 64 + ".example/",
        "https://a..b/",
        "https://xn--bcher-kva.example/",
        "https://ſite.example/",
        "https://a.example:443/",
        "https://a.example/ä",
        "example.org/page",
    ],
)
def test_known_shapes(raw):
    assert either(raw) == full(raw)


def test_the_short_cut_takes_the_common_shape():
    """Not only equal: the common shape is answered without the full parse."""
    assert normalize._plain("https://Site1.Example/path/1?q=1&utm_source=x#f") == (
        "https://site1.example/path/1?q=1"
    )
    assert normalize._plain("https://a.example/?q=a+b") is None  # decoded: full parse
