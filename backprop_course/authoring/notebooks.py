"""Source-notebook hygiene and the files shipped beside each notebook."""
import shutil
from pathlib import Path

import nbformat

from .. import REPO_ROOT
from ..units import unit, unit_names

# Students run `nbgrader validate` in their assignment folder, where this
# config widens nothing but quiets the kernel's TCP warning (and nbgrader's
# "no config" warning, by existing). It imports nothing of the course.
STUDENT_CONFIG = REPO_ROOT / "backprop_course" / "shipped" / "nbgrader_config.py"
STUDENT_CONFIG_NAME = "nbgrader_config.py"


def source_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    return sorted((root / "source").glob("*/*.ipynb"))


def clean_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop outputs, execution counts and editor metadata; keep nbgrader's metadata."""
    notebook.metadata = {"kernelspec": notebook.metadata.get("kernelspec", {})}
    for cell in notebook.cells:
        cell.metadata = {key: value for key, value in cell.metadata.items() if key == "nbgrader"}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def clean_source_notebooks(root: Path = REPO_ROOT) -> None:
    for path in source_notebooks(root):
        notebook = nbformat.read(path, as_version=4)
        nbformat.write(clean_notebook(notebook), path)
        print(f"cleaned {path.relative_to(root)}")


def shipped_copies(root: Path, assignment: str) -> dict[Path, Path]:
    """{file in source/<assignment>/: the original it must equal}, for every copy that sync writes."""
    folder = root / "source" / assignment
    return {**unit(root, assignment).shipped_copies(folder), folder / STUDENT_CONFIG_NAME: STUDENT_CONFIG}


def sync_shipped_files(root: Path = REPO_ROOT) -> None:
    """Write into every assignment's source folder what its unit ships, and the students' nbgrader_config.py."""
    for assignment in unit_names(root):
        folder = root / "source" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        unit(root, assignment).ship(folder)
        shutil.copyfile(STUDENT_CONFIG, folder / STUDENT_CONFIG_NAME)
        print(f"synced source/{assignment}/")
