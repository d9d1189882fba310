"""Run real `nbgrader validate` on catalogued submissions, the way a student would.

Each submission is the released notebook with one catalogued mistake (or one
equivalent solution) built in. It is validated in a copy of the released
folder, with the folder as the working directory and no course config around
it, exactly as on a student's laptop. Many notebooks share one `nbgrader
validate` command, so nbgrader's start-up is paid once per batch.

`python -m support.student_validate` (in tests/) prints the share of mistakes that validate
catches, per assignment.
"""
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from backprop_course import REPO_ROOT as ROOT
from support import ASSIGNMENTS

from .catalogs import catalog
from .submissions import BASELINE, EQUIVALENT, build_submission

# Where the tests leave the catch rate for the summary line (conftest.py).
CATCH_RATES = pytest.StashKey[dict]()
NBGRADER = Path(sys.executable).with_name("nbgrader")
SUCCESS = "Success! Your notebook passes all the tests."
FAILED = "VALIDATION FAILED"
VALIDATING = re.compile(r"\[ValidateApp \| INFO\] Validating '(?P<path>[^']+)'")


@dataclass
class Validation:
    """What `nbgrader validate` printed for one notebook."""
    name: str
    output: str

    @property
    def passed(self):
        return SUCCESS in self.output

    @property
    def failed(self):
        return FAILED in self.output and not self.passed


def submissions(assignment):
    """{fixture name: fixture} of the catalogue's mistakes and equivalents (no baselines)."""
    return {fixture.name: fixture for fixture in catalog(assignment)
            if fixture.kind != BASELINE}


def _validate_batch(folder, names, timeout):
    environment = dict(os.environ, PYTHONUNBUFFERED="1",
                       PATH=os.pathsep.join([str(NBGRADER.parent), os.environ.get("PATH", "")]))
    # Outside the course directory, and with nothing of ours in the environment.
    environment.pop("NBGRADER_EXECUTION", None)
    result = subprocess.run([str(NBGRADER), "validate", *[f"{name}.ipynb" for name in names]],
                            cwd=folder, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", timeout=timeout)
    return split_by_notebook(result.stdout)


def split_by_notebook(output):
    """{notebook stem: the part of validate's output about it}."""
    parts, current, lines = {}, None, []
    for line in output.splitlines(keepends=True):
        match = VALIDATING.search(line)
        if match:
            if current is not None:
                parts[current] = "".join(lines)
            current, lines = Path(match["path"]).stem, []
        lines.append(line)
    if current is not None:
        parts[current] = "".join(lines)
    return parts


def validate_submissions(assignment, workdir, names=None, release_root=ROOT / "release",
                         source_root=ROOT / "source", batches=2, timeout=900):
    """{name: Validation} for catalogue submissions of ``assignment``, validated in ``workdir``."""
    fixtures = submissions(assignment)
    names = list(fixtures if names is None else names)
    folder = Path(workdir) / assignment
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(release_root / assignment, folder)
    source = source_root / assignment / f"{assignment}.ipynb"
    release = release_root / assignment / f"{assignment}.ipynb"
    for name in names:
        nbformat.write(build_submission(fixtures[name], source, release), folder / f"{name}.ipynb")
    chunks = [names[index::batches] for index in range(batches) if names[index::batches]]
    with ThreadPoolExecutor(len(chunks)) as pool:
        outputs = {}
        for part in pool.map(lambda chunk: _validate_batch(folder, chunk, timeout), chunks):
            outputs.update(part)
    return {name: Validation(name, outputs.get(name, "")) for name in names}


def catch_rate(assignment, validations):
    """(caught, mistakes, missed names) over the catalogue's mistakes."""
    mistakes = [name for name, fixture in submissions(assignment).items()
                if fixture.kind != EQUIVALENT and name in validations]
    missed = [name for name in mistakes if not validations[name].failed]
    return len(mistakes) - len(missed), len(mistakes), missed


def main():
    import tempfile
    import time
    with tempfile.TemporaryDirectory() as workdir:
        for assignment in ASSIGNMENTS:
            started = time.perf_counter()
            validations = validate_submissions(assignment, workdir)
            caught, total, missed = catch_rate(assignment, validations)
            wrongly_failed = [name for name, fixture in submissions(assignment).items()
                              if fixture.kind == EQUIVALENT and not validations[name].passed]
            print(f"{assignment}: validate catches {caught}/{total} mistakes "
                  f"({100 * caught / total:.0f}%); missed: {', '.join(missed) or 'none'}; "
                  f"equivalents failed: {', '.join(wrongly_failed) or 'none'} "
                  f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
