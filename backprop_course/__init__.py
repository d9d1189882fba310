"""Course tooling for the backpropagation assignments: the grading runtime and its chores.

- Shipped to students: ``checks`` (copied as ``gradecheck.py``) and ``shipped/``.
- Trusted, never shipped: ``reference`` (the reference solutions).
- Grading runtime (nbgrader preprocessors and settings in nbgrader_config.py):
  ``verdicts`` (the judge), ``sandbox``, ``kernelfolder``, ``cellrepair``,
  ``tampering``, ``feedback``; ``batch`` (parallel grading), ``outcomes`` and
  ``report`` (what became of each submission, and the class report).
- Chores: ``course`` (running nbgrader), ``markers``, ``notebooks``, ``data``,
  ``demo``, ``cli``.

Test support (catalogues of mistakes, fixtures, the hostile class) lives in tests/support/.
"""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("chain_rule", "curve_backprop")
