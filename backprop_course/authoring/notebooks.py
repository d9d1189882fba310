"""Source-notebook hygiene and the files shipped beside each notebook."""
import shutil

import nbformat

from .. import ASSIGNMENTS, REPO_ROOT
from .data import write_backprop_csv

CHECKS_MODULE = REPO_ROOT / "backprop_course" / "checks.py"
SHIPPED_CHECKS_NAME = "gradecheck.py"
# Students run `nbgrader validate` in their assignment folder, where this
# config widens nothing but quiets the kernel's TCP warning (and nbgrader's
# "no config" warning, by existing). It imports nothing of the course.
STUDENT_CONFIG = REPO_ROOT / "backprop_course" / "shipped" / "nbgrader_config.py"
SHIPPED_FILES = {SHIPPED_CHECKS_NAME: CHECKS_MODULE, "nbgrader_config.py": STUDENT_CONFIG}


def source_notebooks(root=REPO_ROOT):
    return sorted((root / "source").glob("*/*.ipynb"))


def clean_notebook(notebook):
    """Drop outputs, execution counts and editor metadata; keep nbgrader's metadata."""
    notebook.metadata = {"kernelspec": notebook.metadata.get("kernelspec", {})}
    for cell in notebook.cells:
        cell.metadata = {key: value for key, value in cell.metadata.items() if key == "nbgrader"}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def clean_source_notebooks(root=REPO_ROOT):
    for path in source_notebooks(root):
        notebook = nbformat.read(path, as_version=4)
        nbformat.write(clean_notebook(notebook), path)
        print(f"cleaned {path.relative_to(root)}")


def sync_shipped_files(root=REPO_ROOT):
    """Copy gradecheck.py and the students' nbgrader_config.py into every assignment; regenerate the CSV."""
    for assignment in ASSIGNMENTS:
        folder = root / "source" / assignment
        if folder.is_dir():
            for name, original in SHIPPED_FILES.items():
                shutil.copyfile(original, folder / name)
    write_backprop_csv(root / "data" / "backprop.csv")
    write_backprop_csv(root / "source" / "chain_rule" / "backprop.csv")
