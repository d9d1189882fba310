"""The docs name only paths that exist: a renamed module or folder fails here, not in a reader's hands."""
import re

import pytest

from backprop_course import REPO_ROOT

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
# `code` that reads as a path of this repository: a folder path, or a file name with an extension we keep.
CODE = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
EXTENSIONS = (".py", ".md", ".j2", ".ipynb", ".sh")
# A path is checked when it starts in one of the repository's own folders (not a course's submitted/, a URL
# route or a system path), or is a file name of a kind we keep.
TOP_FOLDERS = {"backprop_course", "tests", "docs", "source", "release", "assignments", "bench", "scripts", ".ci"}


def named_paths(text):
    for token in CODE.findall(text) + LINK.findall(text):
        token = token.rstrip(".,:;")
        if any(mark in token for mark in "<>*{}$=()[]|:") or token.startswith(("http", "-", "c.")):
            continue
        if token.split("/")[0] in TOP_FOLDERS or "/" not in token and token.endswith(EXTENSIONS):
            yield token


def exists(doc, token):
    candidates = [REPO_ROOT / token, doc.parent / token]
    # A bare file name (`verdicts.py`) is named beside its folder: it exists somewhere in the package or tests.
    if "/" not in token:
        return any(path.relative_to(REPO_ROOT).parts[0] in TOP_FOLDERS for path in REPO_ROOT.glob(f"**/{token}"))
    return any(path.exists() for path in candidates) or any(REPO_ROOT.glob(f"*/{token}")) or \
        any(REPO_ROOT.glob(f"*/*/{token}"))


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_path_a_doc_names_exists(doc):
    missing = sorted({token for token in named_paths(doc.read_text()) if not exists(doc, token)})
    assert missing == []


def test_the_check_finds_a_missing_path(tmp_path):
    doc = tmp_path / "page.md"
    doc.write_text("See `backprop_course/checks.py`, [the guide](docs/nowhere.md) and `gone.py`, not `make test`.")
    assert sorted(token for token in named_paths(doc.read_text()) if not exists(doc, token)) == [
        "backprop_course/checks.py", "docs/nowhere.md", "gone.py"]
