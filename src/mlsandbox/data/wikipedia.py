"""English Wikipedia articles as plain text, split by whole articles.

The articles come from a real dump sample (2016, CC BY-SA 3.0, Wikipedia's authors) that the PyPI package
gensim==4.4.0 ships as test data; the file is read out of the wheel, gensim is never installed. Redirects
and pages outside the article namespace are skipped; each article's wikitext becomes plain text through
mwparserfromhell. A document is the article's title on its own line, then its text.
"""

from __future__ import annotations

import bz2
import functools
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from mlsandbox import assets
from mlsandbox.data import TextSplit

SEED = 0
HELD_OUT_FRACTION, MIN_HELD_OUT = 0.05, 5  # articles in each of validation and test
DUMP = assets.Asset(
    "wikipedia/enwiki-sample.xml.bz2", "pypi", "gensim", "4.4.0",
    "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
    "a53f4648dec40467ebdcbc7a1307eddb51fe6e28e9309f6ebde81ba0d04bea2d",
)
ASSETS = (DUMP,)
PARSE_VERSION = 1  # part of the parsed file's name: bump it when plain_text changes

HIDDEN_TAGS = ("ref", "table")  # footnotes and tables: not prose
HIDDEN_LINKS = ("file:", "image:", "category:")  # pictures (with their captions) and categories
# Lines that still hold markup after parsing (tables or quotes the parser could not read) are dropped.
LEFTOVER_STARTS = ("{|", "|", "!")
LEFTOVER_MARKUP = ("[[", "]]", "{{", "}}", "'''", "<ref", "__")


def read_articles(path: Path) -> list[tuple[str, str]]:
    """(title, wikitext) of every article in a dump, in file order; redirects and other namespaces skipped."""
    articles = []
    with bz2.open(path) as stream:
        for _, element in ET.iterparse(stream):
            if element.tag.rsplit("}", 1)[-1] != "page":
                continue
            x = element.tag[: -len("page")]  # the export schema's "{namespace}" prefix of every tag
            if element.findtext(f"{x}ns") == "0" and element.find(f"{x}redirect") is None:
                articles.append((element.findtext(f"{x}title"), element.findtext(f"{x}revision/{x}text") or ""))
            element.clear()
    return articles


def _strip(wikitext: str) -> str:
    """One pass of the parser: footnotes, tables, pictures and categories emptied, all other markup stripped."""
    import mwparserfromhell  # a training dependency: only parsing needs it
    from mwparserfromhell.nodes import Tag, Wikilink

    code = mwparserfromhell.parse(wikitext)
    for node in code.filter(forcetype=(Tag, Wikilink)):
        if isinstance(node, Tag) and str(node.tag).strip().lower() in HIDDEN_TAGS:
            node.contents = ""
        elif isinstance(node, Wikilink) and str(node.title).strip().lower().startswith(HIDDEN_LINKS):
            node.text = ""
    return code.strip_code()


def plain_text(wikitext: str) -> str:
    """An article's wikitext as plain text: paragraphs and headings, one blank line between paragraphs.

    Stripped twice: markup that the first pass could not read (after an unbalanced quote or tag) often
    parses cleanly once what surrounded it is gone."""
    lines = [" ".join(line.split()) for line in _strip(_strip(wikitext)).splitlines()]
    text = "\n".join(line if _is_prose(line) else "" for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _is_prose(line: str) -> bool:
    """Whether a stripped line is text worth keeping: it has letters and no markup left in it."""
    return (any(c.isalpha() for c in line) and not line.startswith(LEFTOVER_STARTS)
            and not any(m in line for m in LEFTOVER_MARKUP))


@functools.cache
def documents() -> dict[str, str]:
    """Every article by its title: the title on its own line, then the plain text. Parsed once, then read
    from a file beside the dump (written atomically)."""
    parsed = assets.cache_dir() / f"wikipedia/articles-{DUMP.sha256[:16]}-v{PARSE_VERSION}.json"
    if parsed.is_file():
        return json.loads(parsed.read_text(encoding="utf-8"))
    texts = {}
    for title, wikitext in read_articles(assets.require(DUMP)):
        if text := plain_text(wikitext):
            texts[title] = f"{title}\n{text}"
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=parsed.parent, delete=False) as f:
        json.dump(texts, f, ensure_ascii=False)
    os.replace(f.name, parsed)
    return texts


@functools.cache
def load() -> TextSplit:
    """About 5% of the articles (at least 5) for validation and as many for test, drawn by a permutation
    with seed 0; the rest for training, in dump order."""
    texts = documents()
    held_out = max(MIN_HELD_OUT, round(HELD_OUT_FRACTION * len(texts)))
    return TextSplit.by_documents(texts, list(texts), held_out, SEED, lambda names: (
        f"Wikipedia (English dump sample, CC BY-SA 3.0; from the PyPI gensim==4.4.0 wheel, wikitext parsed "
        f"with mwparserfromhell): {len(texts)} articles split by whole articles, seed {SEED}: validation "
        f"{', '.join(names['validation'])}; test {', '.join(names['test'])}; training the other "
        f"{len(names['train'])}"))
