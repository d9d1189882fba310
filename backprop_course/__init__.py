"""Course tooling for the backpropagation assignments.

Modules:
- ``data``: deterministic generators of the assignments' data files.
- ``checks``: the comparison and diagnosis helpers that notebooks' tests use
  (shipped to students as ``gradecheck.py`` in each assignment folder).
- ``reference``: reference implementations, used by tests and benchmarks only;
  never shipped to students and never imported by a notebook.
- ``notebooks``: cleaning source notebooks and syncing shipped files.
- ``feedback``: the nbgrader preprocessor that keeps hidden tests out of feedback.
- ``fixtures``: the catalogue of fixture submissions (correct, blank, mistakes).
- ``course``: running nbgrader over a course directory (release, demo class).
"""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("chain_rule", "curve_backprop")
