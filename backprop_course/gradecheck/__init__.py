"""What every assignment's ``gradecheck`` package is built from: shipped to students, the same for all.

``core.py`` (the checks), ``diagnosis.py`` (their messages), ``probes.py``
(the hidden tests' records) and ``changes.py`` (what method probes change)
are copied beside each notebook into ``gradecheck/``, whose ``__init__`` is
that assignment's own checks (``backprop_course.units``). In the grader,
each assignment's checks are loaded as a module of this package, so their
relative imports find these same modules.
"""
