"""The compiled selectors return exactly what trafilatura's XPath expressions return.

Each compiled selector is compared with its XPath on real pages (as parsed, after
trafilatura's own tree conversion, and from a subtree) and on hand-made cases for
the corners of XPath's semantics; extraction itself must be unchanged by the swap.
"""

from __future__ import annotations

import copy
import gzip
import importlib

import lxml.html
import pytest
from lxml import etree

from snapshelf.capture.extract.parse import parse_page
from snapshelf.capture.extract.selectors import Unsupported, compile_selector
from tests.capture.corpora import corpus, sample

NS = {"re": "http://exslt.org/regular-expressions"}


def _trafilatura_selectors() -> dict[str, str]:
    """Every selector trafilatura defines, as XPath source (read before any swap)."""
    from trafilatura import settings, xpaths

    found = {"BASIC_CLEAN_XPATH": settings.BASIC_CLEAN_XPATH.path}
    for name, value in vars(xpaths).items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                path = getattr(item, "path", None)
                if isinstance(path, str):
                    found[f"{name}[{i}]"] = path
    return found


def _same(path: str, tree) -> None:
    expected = etree.XPath(path, namespaces=NS)(tree)
    got = compile_selector(path)(tree)
    assert got == expected, path  # elements compare by identity: the same nodes, in order


def test_the_selectors_that_cost_time_are_compiled() -> None:
    selectors = _trafilatura_selectors()
    compiled = set()
    for name, path in selectors.items():
        try:
            compile_selector(path)
        except Unsupported:
            continue
        compiled.add(name.split("[")[0])
    # the ones trafilatura runs on every page (the rest are metadata, which we skip)
    for name in (
        "OVERALL_DISCARD_XPATH",
        "BODY_XPATH",
        "REMOVE_COMMENTS_AND_LISTS_XPATH",
        "RAW_TREE_PRUNE_XPATH",
        "TEASER_DISCARD_XPATH",
        "BASIC_CLEAN_XPATH",
        "COMMENTS_XPATH",
    ):
        assert name in compiled


def test_extraction_uses_the_compiled_selectors() -> None:
    from trafilatura import xpaths

    baseline = importlib.import_module("trafilatura.baseline")  # not the function
    parse_page("<p>load</p>")  # the loader swaps them once per process
    assert not isinstance(xpaths.OVERALL_DISCARD_XPATH[0], etree.XPath)
    assert not isinstance(baseline.BASIC_CLEAN_XPATH, etree.XPath)


def test_same_elements_as_xpath_on_real_pages() -> None:
    from trafilatura.htmlprocessing import convert_tags, tree_cleaning
    from trafilatura.settings import Extractor

    selectors = {}
    for name, path in _trafilatura_selectors().items():
        try:
            compile_selector(path)
        except Unsupported:
            continue
        selectors[name] = path
    pages = sorted((corpus("wcxb-dev") / "html").glob("*.html.gz"))
    pages = sample(pages, 40)
    pages += sample(sorted(corpus("gne-chinese-news").rglob("*.html.gz")), 4)
    assert len(pages) > 20
    for page in pages:
        data = page.read_bytes()
        text = (gzip.decompress(data) if page.suffix == ".gz" else data).decode("utf-8", "replace")
        tree = parse_page(text)
        if tree is None:
            continue
        options = Extractor()
        converted = convert_tags(tree_cleaning(copy.deepcopy(tree), options), options)
        body = tree.find(".//body")
        for context in (tree, converted, body if body is not None else tree):
            for path in selectors.values():
                _same(path, context)


CASES = """
<html><body>
 <div class="cookie-x" id="main">one</div>
 <div id="cookie-y" class="main">two</div>
 <p class="z" style="display:none" aria-hidden="true">three</p>
 <section role="Navigation"><div class="post"><h1>t</h1><p>x</p></div></section>
 <span id="Teaser-1">four</span><span class="">empty</span>
 <div><p class="a">first</p><p class="a">second</p></div>
 <div><p class="a">third</p></div>
 <aside>side</aside><footer>foot</footer><!-- a comment --><?pi x?>
 <article class="FullText story">art</article>
</body></html>
"""


@pytest.mark.parametrize(
    "path",
    [
        # the first attribute of a union in source order, not in the union's order
        ".//*[re:test(@id|@class, '^cookie')]",
        ".//*[re:test(@class|@id, '^main')]",
        ".//*[starts-with(@id|@class, 'cookie')]",
        ".//*[contains(@class|@id, 'main')]",
        # a [1] applies per parent; (path)[1] to the whole
        ".//*[self::p][@class='a'][1]",
        "(.//*[self::p][@class='a'])[1]",
        "(.//*[self::p][@class='nothing'])[1]",
        # translate, flags, a regex that matches the empty string, missing attributes
        ".//*[contains(translate(@role, 'N', 'n'), 'nav')]",
        ".//*[contains(translate(@id, 'T', 't'), 'teaser')]",
        ".//*[re:test(@class, 'fulltext', 'i')]",
        ".//*[re:test(@class, 'x*')]",
        ".//*[re:test(@id, 'q?')]",
        ".//*[@class='']",
        ".//*[@aria-hidden='true' or contains(@style, 'display:none')]",
        # not, and, descendants, tag tests inside a predicate
        ".//*[self::div or self::section][not(.//h1)]",
        ".//*[self::div or self::section][@class and not(self::section)]",
        ".//*[(@id or @class) and not(@style)]",
        # unions keep document order and list an element once
        ".//aside|.//footer|.//div[contains(@class, 'main')]|.//*[re:test(@class, 'a')]",
        ".//p|.//*[@class='a']",
        ".//*",
    ],
)
def test_same_elements_as_xpath_on_the_corners(path: str) -> None:
    tree = lxml.html.document_fromstring(CASES)
    _same(path, tree)
    _same(path, tree.find(".//body"))


@pytest.mark.parametrize(
    "path",
    [
        "//div",  # absolute paths
        ".//div[2]",  # positions other than 1
        "(.//article)[1]|(.//main)[1]",
        ".//*[local-name()='x']",
        ".//div[@class='a'][1][@id]",
        ".//div/p",
        ".//*[self::div",  # cut short
    ],
)
def test_outside_the_subset_is_refused(path: str) -> None:
    with pytest.raises(Unsupported):
        compile_selector(path)


def test_a_whole_document_goes_to_the_xpath() -> None:
    tree = lxml.html.document_fromstring(CASES).getroottree()
    path = ".//*[self::div][re:test(@class, 'main')]"
    assert compile_selector(path)(tree) == etree.XPath(path, namespaces=NS)(tree)
