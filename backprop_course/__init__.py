"""Course tooling for the backpropagation assignments: the grading runtime and its chores.

- ``units``: the course's assignments, each a folder of ``assignments/`` in the
  course directory (docs/authors.md); the engine names none of them.
- Shipped to students: ``gradecheck`` (the check core and the probe protocol,
  beside each assignment's own checks) and ``shipped/``.
- ``grading``: what runs inside nbgrader, set in nbgrader_config.py: the
  judge (``verdicts``), the sandboxed kernel (``sandbox``, ``kernelmanager``),
  ``kernelfolder``, ``cellrepair``, ``tampering`` and ``feedback``.
- ``parallel``: the class graded by Dask jobs into one gradebook.
- ``outcomes`` and ``report``: what became of each submission, and the class report.
- Chores: ``course`` (running nbgrader), ``markers``, ``authoring`` (source
  notebooks and what is shipped beside them), ``demo``, ``cli``.

Test support (catalogues of mistakes, fixtures, the hostile class) lives in tests/support/.
"""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
