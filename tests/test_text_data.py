"""The text corpora: plain text, split by whole documents, seeded, and nothing held out seen in training."""

from __future__ import annotations

import re

import pytest

from mlsandbox.data import shakespeare, wikipedia

WIKITEXT = ("[[", "]]", "{{", "}}", "'''", "<ref", "thumb|", "\nCategory:")
MARKUP = {shakespeare: WIKITEXT + ("**", "_", "#", "\\"), wikipedia: WIKITEXT}  # an article quotes "**"


@pytest.fixture(scope="module", params=[shakespeare, wikipedia], ids=["shakespeare", "wikipedia"])
def corpus(request):
    return request.param, request.param.load()


def test_parts_are_their_documents(corpus):
    module, split = corpus
    texts = module.documents()
    assert sorted(sum(split.documents.values(), ())) == sorted(texts)
    for part, names in split.documents.items():
        assert getattr(split, part) == "\n\n".join(texts[name] for name in names)


def test_held_out_documents_are_not_in_training(corpus):
    module, split = corpus
    held_out = split.documents["validation"] + split.documents["test"]
    assert held_out and not set(held_out) & set(split.documents["train"])
    for name in held_out:
        text = module.documents()[name]
        snippet = text[len(text) // 2:len(text) // 2 + 200] if len(text) > 400 else text  # a few are short
        assert snippet not in split.train, name


def test_split_is_seeded(corpus):
    module, split = corpus
    assert module.load.__wrapped__() == split


def test_no_markup_is_left(corpus):
    module, split = corpus
    for part in (split.train, split.validation, split.test):
        assert [m for m in MARKUP[module] if m in part] == []


def test_sizes_are_plausible(corpus):
    module, split = corpus
    sizes = split.sizes()
    floors = {shakespeare: (4_500_000, 200_000), wikipedia: (2_500_000, 50_000)}[module]
    assert sizes["train"] > floors[0] and min(sizes["validation"], sizes["test"]) > floors[1]


def test_plays_read_as_scripts():
    split = shakespeare.load()
    speeches = re.findall(r"^[A-Z][A-Z' &.,-]*:\n[A-Za-z'\[]", split.train, flags=re.MULTILINE)
    assert len(speeches) > 25_000
    assert "\n\nHAMLET:\nTo be, or not to be: that is the question:\n" in shakespeare.documents()["hamlet"]
    assert split.documents["train"][-1] == "sonnets" and "Gutenberg" not in split.train
    assert split.train.endswith("Love's fire heats water, water cools not love.")


def test_articles_start_with_their_titles():
    split = wikipedia.load()
    assert split.train.startswith("Anarchism\nAnarchism is a political philosophy")
    assert all(text.startswith(title + "\n") for title, text in wikipedia.documents().items())
    assert len(split.documents["validation"]) == len(split.documents["test"]) >= 5
