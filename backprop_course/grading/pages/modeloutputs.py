"""What the model answer of a hand-graded code cell draws: the reference image on formgrader's rubric.

A TA grading a plot compares it with the model's plot, not with the model's code. ``DrawModelOutputs``, a
step of ``nbgrader generate_assignment`` (``make release``, formgrader's Generate button), runs the source
notebook as it stands, unsandboxed (it is the instructor's own), from its first cell to its last
hand-graded code cell, in its own folder (where its data is). It keeps each hand-graded code cell's images
and text in ``.backprop/rubrics/<assignment>/<notebook>.json`` in the course folder, with a digest of what
drew them: the cells run, and the names, sizes and times of the other files of the source folder.
Formgrader's pages only read that file (``kept_model_outputs``): a page never runs a kernel, so no TA waits
on one, and a drawing older than the source says so until the next release. Kernels never see the course
folder (the sandbox), and feedback never shows this (see rubric.py).
"""
import hashlib
import os
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from ... import jsonfiles
from ..cells import is_hand_graded

RUBRICS_FOLDER = Path(".backprop") / "rubrics"
SECONDS_PER_CELL = 120
SHOWN = ("image/png", "text/plain")  # what a rubric shows of an output, the first a cell gave of these


def kept_model_outputs(course_root: str | Path, assignment: str,
                       source_notebook: str | Path) -> dict[str, Any] | None:
    """{grade_id: {"outputs": [{mime type: data}], "error": str}} of the source notebook's hand-graded code
    cells as the last release drew them; None if that drawing is missing or older than the source."""
    notebook, key = _model_part(source_notebook)
    if notebook is None:
        return {}
    try:
        kept = jsonfiles.read(_kept_path(course_root, assignment, source_notebook))
    except OSError:
        return None
    return kept["cells"] if _current(kept, key) else None


def draw_model_outputs(course_root: str | Path, assignment: str, source_notebook: str | Path) -> dict[str, Any]:
    """``kept_model_outputs``, drawn again unless the kept drawing is of this source and whole."""
    notebook, key = _model_part(source_notebook)
    if notebook is None:
        return {}
    with jsonfiles.updating(_kept_path(course_root, assignment, source_notebook)) as kept:
        if not _current(kept, key) or any(cell["error"] for cell in kept["cells"].values()):
            kept.clear()
            kept.update(digest=key, cells=_draw(notebook, Path(source_notebook).parent))
        return kept["cells"]


class DrawModelOutputs(NbGraderPreprocessor):
    """A step of ``nbgrader generate_assignment``: draw what the model answers draw (module docstring)."""

    enabled = Bool(True, help="Draw the model answers' outputs for formgrader's rubric. Off where a release is "
                              "only built to grade with (the parallel command's gradebook template).").tag(config=True)

    def preprocess(self, nb: nbformat.NotebookNode,
                   resources: dict[str, Any]) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
        if self.enabled:
            info, course = resources["nbgrader"], CourseDirectory(parent=self)
            source = (Path(os.path.abspath(course.root)) / course.source_directory / info["assignment"]
                      / f"{info['notebook']}.ipynb")
            for grade_id, drawn in draw_model_outputs(course.root, info["assignment"], source).items():
                if drawn["error"]:
                    self.log.warning("The model answer of %s could not be run (%s): formgrader's rubric shows its "
                                     "code only", grade_id, drawn["error"])
        return nb, resources


def _model_part(source_notebook: str | Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The source notebook up to its last hand-graded code cell (None if it has none), and its digest."""
    source_notebook = Path(source_notebook)
    notebook = nbformat.read(source_notebook, as_version=4)
    last = max((index for index, cell in enumerate(notebook.cells)
                if cell.cell_type == "code" and is_hand_graded(cell)), default=None)
    if last is None:
        return None, ""
    notebook.cells = notebook.cells[:last + 1]
    return notebook, _digest(notebook, source_notebook.parent)


def _kept_path(course_root: str | Path, assignment: str, source_notebook: str | Path) -> Path:
    return Path(course_root) / RUBRICS_FOLDER / assignment / f"{Path(source_notebook).stem}.json"


def _current(kept: dict[str, Any], key: str) -> bool:
    """Whether the kept drawing is of this source (a damaged file is not)."""
    cells = kept.get("cells")
    return kept.get("digest") == key and isinstance(cells, dict) and all(
        isinstance(cell, dict) and isinstance(cell.get("outputs"), list) and isinstance(cell.get("error"), str)
        for cell in cells.values())


def _draw(notebook: nbformat.NotebookNode, folder: Path) -> dict[str, Any]:
    error = ""
    try:
        NotebookClient(notebook, timeout=SECONDS_PER_CELL, resources={"metadata": {"path": str(folder)}}).execute()
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
    """The cells' sources and the folder's other files by name, size and time: cheap for a page to check."""
    hashed = hashlib.sha256()
    for cell in notebook.cells:
        hashed.update(f"{cell.cell_type}\0{cell.source}\0".encode())
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.suffix == ".ipynb" or any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue  # the notebooks, and hidden, lock and cache files
        try:
            stat = path.stat()
        except OSError:  # gone since the listing
            continue
        if path.is_file():
            hashed.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return hashed.hexdigest()
