"""nbgrader configuration of the backprop course.

The repository root is the nbgrader course directory: source/, release/,
submitted/, autograded/, feedback/ and gradebook.db live here for the real
class. The demo (`make demo`) copies this file into its own throw-away course
directory, demo/, so made-up students never enter the real gradebook.

This file imports the course package, so run nbgrader from the course's
virtual environment (`make setup` creates it; then `. .venv/bin/activate`).
"""
import os
import warnings

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, IgnorePattern, LimitOutput

from backprop_course.grading import sandbox
from backprop_course.grading.pages import feedback
from backprop_course.grading.pages.feedback import GetGradesForFeedback, HideHiddenTests
from backprop_course.grading.sandbox.kernelfolder import CleanKernelFolder
from backprop_course.grading.judge.manualgrades import KeepManualGrading
from backprop_course.grading.pages.mathml import MathToMathML
from backprop_course.grading.pages.sanitize import SanitizeStudentHTML
from backprop_course.grading.sandbox.execution import BoundedExecute
from backprop_course.grading.judge.gradebookwrites import KernelspecOverwrite, LatePenalties
from backprop_course.grading.judge.cellrepair import DropDuplicateGradedCells, RestoreLockedCells
from backprop_course.grading.judge.releases import RecordRelease
from backprop_course.grading.pages.modeloutputs import DrawModelOutputs
from backprop_course.grading.judge.tampering import FlagTampering
from backprop_course.grading.judge.verdicts import JudgeProbes, PlaceProbeSeeds

c = get_config()  # noqa: F821 (nbgrader provides get_config)

# nbformat checks a notebook against its schema at every read and write, several times per student; its
# compiled validator (fastjsonschema, which nbformat requires) does it in a tenth of the time, with the
# same verdict. Set before any notebook is read, in every nbgrader command and grading worker.
os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
# nbgrader's first autograde of a student trips three harmless SQLAlchemy 2 warnings (it adds a submission
# to a student and an assignment before the session knows it); they would clutter every student's log.
warnings.filterwarnings("ignore", message=r"Object of type <Submitted(Assignment|Notebook)> not in session")

c.CourseDirectory.course_id = "backprop"
# nbgrader has no setting that lists assignments: it learns each one when
# `nbgrader generate_assignment` runs. The course's are the units in
# assignments/ (docs/authors.md); `make release` releases them all.

# Shipped beside each notebook: data, the gradecheck package and helper modules.
# Never release editor litter.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store"]
# `nbgrader collect` takes a student's regular files and folders only: a link in a submission would be
# followed as the instructor (backprop_course/grading/sandbox/studentfiles.py).
c.ExchangeFactory.collect = "backprop_course.grading.sandbox.studentfiles.CollectRegularFiles"

# Per-cell limit while autograding. nbgrader reads Execute.timeout; it ignores
# ExecutePreprocessor.timeout. Every cell of both notebooks runs in well under
# 10 s on the reference solution; training is bounded under autograde.
c.Execute.timeout = 60
# Autograde runs notebooks with BoundedExecute, nbgrader's Execute bounded
# (backprop_course/grading/sandbox/execution.py): a wall-clock budget per notebook
# (the reference notebooks take a few seconds), and outputs capped in bytes
# as they arrive, per cell and per notebook, so that the grader's memory and
# the autograded notebook stay small whatever a kernel sends.
c.BoundedExecute.notebook_seconds = 120
c.BoundedExecute.cell_output_bytes = 2 * 2**20
c.BoundedExecute.notebook_output_bytes = 8 * 2**20
# Once the last cell has run, nothing is left to ask the kernel: kill it
# rather than wait for it to shut down (bench/bench_autograde.py measures
# both). Every process it started dies with it, since bwrap's PID namespace
# ends with its first process.
c.Execute.shutdown_kernel = "immediate"

# Releasing: nbgrader's steps, then a record of what this release gives students, so that autograde
# tells a cell an earlier release gave out from a student's change (backprop_course/grading/judge/releases.py),
# and what the model answers of hand-graded code cells draw, for formgrader's rubric
# (backprop_course/grading/pages/modeloutputs.py).
c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(), RecordRelease,
                                      DrawModelOutputs]

# Sanitizing a submission: nbgrader's steps, with duplicated graded cells
# dropped first (nbgrader #1083 otherwise aborts the whole run), and locked
# cells restored with a warning only where a student really changed one
# (backprop_course/grading/judge/cellrepair.py).
c.Autograde.sanitize_preprocessors = [ClearOutput, DropDuplicateGradedCells, DeduplicateIds, KernelspecOverwrite,
                                      RestoreLockedCells, CheckCellMetadata]
# Autograde: nbgrader's own steps, with the verdict moved out of the kernel.
# PlaceProbeSeeds gives each hidden probe this student's seed (derived from
# the course secret in .probe_secret, which kernels cannot see); after the
# notebook ran, JudgeProbes reads the probes' records, compares them with the
# reference solution and replaces each test cell's outputs by its verdict, so
# the scores saved are only what the trusted side decided
# (backprop_course/grading/judge/verdicts.py). FlagTampering then marks notebooks whose own
# cells reach for the grader, as advice for TAs: it withholds nothing.
# A sandboxed kernel writes only into a filesystem of its own, which goes with
# it; where kernels run unconfined (BACKPROP_SANDBOX=off), CleanKernelFolder
# removes the links, special files and notebooks that a kernel left in the
# folder where nbgrader writes next (backprop_course/grading/sandbox/kernelfolder.py).
# Every step that writes the gradebook (KeepManualGrading, FlagTampering,
# LatePenalties, KernelspecOverwrite, the cell repairs) fails only the student being graded when
# the database cannot be written, and nbgrader goes on with the next ones
# (backprop_course/grading/judge/gradebookwrites.py).
c.Autograde.autograde_preprocessors = [PlaceProbeSeeds, BoundedExecute, CleanKernelFolder, JudgeProbes, IgnorePattern,
                                       ClearMetadataPreprocessor, LimitOutput, KeepManualGrading, FlagTampering,
                                       LatePenalties, CheckCellMetadata]
# Cap each output's size in the autograded notebook: a flood of printing
# must not make a huge file (nbgrader's default keeps 1000 lines).
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 50

# Feedback: nbgrader's steps, with "not graded yet" told apart from 0 and
# each part named by what it checks, plus our filter that keeps hidden tests,
# reference values and tracebacks out of what students see (nbgrader #917);
# rendered by the course's page template (backprop_course/grading/pages/feedback.py),
# with its maths as MathML so that it reads right offline (grading/pages/mathml.py),
# and the students' HTML made inert, there and in formgrader (grading/pages/sanitize.py).
# feedback.configure also gives formgrader its rubric and a local MathJax.
# The hidden tests go first, so that nothing after them (labels included) sees them.
c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGradesForFeedback, CSSHTMLHeaderPreprocessor,
                                    MathToMathML, SanitizeStudentHTML]
feedback.configure(c)

# Every kernel that nbgrader starts (autograde, validate) runs in the
# bubblewrap sandbox of backprop_course.grading.sandbox: no network, no view of the
# course root or other students, memory/CPU/process/disk limits
# (c.SandboxedKernelManager.memory_mb, disk_mb, ...). Where the sandbox cannot
# run, autograde refuses, unless BACKPROP_SANDBOX=off says otherwise out loud.
sandbox.configure(c)
