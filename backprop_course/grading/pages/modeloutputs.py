"""What the model answer of a hand-graded code cell draws: the reference image on formgrader's rubric.

A TA grading a plot compares it with the model's plot, not with the model's code. The source notebook is
the instructor's own and trusted, so ``model_outputs`` runs it as it stands, unsandboxed, from its first
cell to its last hand-graded code cell, in its own folder (where its data is). It keeps each hand-graded
code cell's images and text in ``.backprop/rubrics/<assignment>/<notebook>.json`` in the course folder,
with a digest of everything that drew them: the cells run and the other files of the source folder. A
changed source draws afresh on the next page that needs it; otherwise formgrader's pages read the file.
Kernels never see the course folder (the sandbox), and feedback never runs this (see rubric.py).
"""
import hashlib
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ... import jsonfiles
from ..cells import is_hand_graded

RUBRICS_FOLDER = Path(".backprop") / "rubrics"
SECONDS_TO_DRAW = 120
SHOWN = ("image/png", "text/plain")  # what a rubric shows of an output, the first a cell gave of these


def model_outputs(course_root: str | Path, assignment: str, source_notebook: str | Path) -> dict[str, Any]:
    """{grade_id: {"outputs": [{mime type: data}], "error": str}} of the source notebook's hand-graded code
    cells, drawn once per change of the source (see the module docstring)."""
    source_notebook = Path(source_notebook)
    notebook = nbformat.read(source_notebook, as_version=4)
    last = max((index for index, cell in enumerate(notebook.cells)
                if cell.cell_type == "code" and is_hand_graded(cell)), default=None)
    if last is None:
        return {}
    notebook.cells = notebook.cells[:last + 1]
    key = _digest(notebook, source_notebook.parent)
    path = Path(course_root) / RUBRICS_FOLDER / assignment / f"{source_notebook.stem}.json"
    try:
        kept = jsonfiles.read(path)
        if _current(kept, key):
            return kept["cells"]
        with jsonfiles.updating(path) as kept:  # one page draws; another waiting for it then reads its drawing
            if not _current(kept, key):
                kept.clear()
                kept.update(digest=key, cells=_draw(notebook, source_notebook.parent))
            return kept["cells"]
    except OSError:  # a course folder this server cannot write: the page still gets its drawing
        return _draw(notebook, source_notebook.parent)


def _current(kept: dict[str, Any], key: str) -> bool:
    """Whether the kept drawing is of this source (a damaged file is not, and is drawn again)."""
    cells = kept.get("cells")
    return kept.get("digest") == key and isinstance(cells, dict) and all(
        isinstance(cell, dict) and isinstance(cell.get("outputs"), list) for cell in cells.values())


def _draw(notebook: nbformat.NotebookNode, folder: Path) -> dict[str, Any]:
    error = ""
    try:
        NotebookClient(notebook, timeout=SECONDS_TO_DRAW, resources={"metadata": {"path": str(folder)}}).execute()
    except Exception as failure:  # the source's own error (or a timeout): the rubric says so, and shows the code
        error = (f"{failure.ename}: {failure.evalue}" if isinstance(failure, CellExecutionError)
                 else f"{type(failure).__name__}: {failure}")
    return {cell.metadata.nbgrader["grade_id"]: {"outputs": _shown(cell.get("outputs", [])), "error": error}
            for cell in notebook.cells if cell.cell_type == "code" and is_hand_graded(cell)}


def _shown(outputs: list[nbformat.NotebookNode]) -> list[dict[str, str]]:
    shown = []
    for output in outputs:
        data = output.get("data", {})
        for mime in SHOWN:
            if mime in data:
                shown.append({mime: data[mime] if isinstance(data[mime], str) else "".join(data[mime])})
                break
    return shown


def _digest(notebook: nbformat.NotebookNode, folder: Path) -> str:
    hashed = hashlib.sha256()
    for cell in notebook.cells:
        hashed.update(f"{cell.cell_type}\0{cell.source}\0".encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb" and not {".ipynb_checkpoints", "__pycache__"} & set(path.parts):
            hashed.update(f"{path.relative_to(folder)}\0".encode())
            hashed.update(path.read_bytes())
    return hashed.hexdigest()
