"""The parallel command: a class graded by Dask jobs, merged into one gradebook.

- ``driver``: the command (jobs, retries, statuses, the log);
- ``runner``: one student's grading, inside a worker;
- ``merge``: private gradebooks for the jobs, and the one writer of the real one;
- ``progress``: what the command shows while it runs.
"""
from .driver import autograde_class, dask_client, default_workers, summary_lines
from .merge import job_template_database, read_results, record_results
from .progress import Progress
from .runner import grade_in_subprocess, grade_student

__all__ = ["autograde_class", "dask_client", "default_workers", "summary_lines", "job_template_database",
           "read_results", "record_results", "Progress", "grade_in_subprocess", "grade_student"]
