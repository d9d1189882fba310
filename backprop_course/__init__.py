"""Course tooling for the backpropagation assignments: the grading runtime and its chores.

- Shipped to students: ``checks`` (copied as ``gradecheck.py``) and ``shipped/``.
- Trusted, never shipped: ``reference`` (the reference solutions).
- ``grading``: what runs inside nbgrader, set in nbgrader_config.py: the
  judge (``verdicts``), the sandboxed kernel (``sandbox``, ``kernelmanager``),
  ``kernelfolder``, ``cellrepair``, ``tampering`` and ``feedback``.
- ``parallel``: the class graded by Dask jobs into one gradebook.
- ``outcomes`` and ``report``: what became of each submission, and the class report.
- Chores: ``course`` (running nbgrader), ``markers``, ``authoring`` (notebooks
  and data), ``demo``, ``cli``.

Test support (catalogues of mistakes, fixtures, the hostile class) lives in tests/support/.
"""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("chain_rule", "curve_backprop")
