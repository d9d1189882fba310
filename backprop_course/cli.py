"""Command line of the course tooling: ``python -m backprop_course <command>``."""
import argparse
from collections.abc import Sequence
from pathlib import Path

from . import REPO_ROOT
from .units import unit_names


def command_release(args: argparse.Namespace) -> None:
    from .course import Course, release_all
    release_all(Course(Path(args.course)), args.assignments)


def command_sync(args: argparse.Namespace) -> None:
    from .authoring.notebooks import sync_shipped_files
    sync_shipped_files(Path(args.course))


def command_clean_notebooks(args: argparse.Namespace) -> None:
    from .authoring.notebooks import clean_source_notebooks
    clean_source_notebooks(Path(args.course))


def command_demo(args: argparse.Namespace) -> None:
    from .demo import run_demo
    run_demo(Path(args.class_dir), assignments=args.assignments or unit_names(REPO_ROOT))


def command_report(args: argparse.Namespace) -> None:
    from .report import write_reports
    index = write_reports(Path(args.course), args.assignments or unit_names(args.course))
    print(f"Class report: {index}")


# Below this many submissions, a local cluster's start-up costs about what grading in parallel saves
# (bench/bench_small_class.py, 2 workers, two runs: 0.74x and 0.80x of serial nbgrader's speed at 2, 1.01x
# and 0.83x at 4, 1.22x and 1.30x at 8).
SMALL_CLASS = 8


def command_autograde(args: argparse.Namespace) -> None:
    from .parallel import autograde_class, dask_client, summary_lines
    from .course import Course
    from .grading.sandbox import SandboxUnavailable, check_before_autograding
    course = Course(Path(args.course))
    try:
        check_before_autograding()
    except SandboxUnavailable as refused:
        raise SystemExit(f"ERROR: {refused}")
    assignments = args.assignments or unit_names(course.root)
    submissions = sum(len(course.submitted_students(assignment)) for assignment in assignments)
    if not args.scheduler and submissions < SMALL_CLASS:
        print(f"note: {submissions} submissions: too few to gain from grading in parallel. Starting the local "
              "cluster costs about what it saves; `nbgrader autograde` is as quick for a class this small.")
    # One cluster for all the assignments: its workers start (and import nbgrader) once.
    with dask_client(args.scheduler, args.workers) as client:
        for assignment in assignments:
            results, seconds = autograde_class(course, assignment, progress=True, client=client,
                                               job_seconds=args.job_seconds)
            print("\n".join(summary_lines(assignment, results, seconds)))


def command_serve(args: argparse.Namespace) -> None:
    from .course import Course
    from .grading.sandbox import SandboxUnavailable, check_before_autograding
    from .parallel import dask_client
    from .serve import serve
    try:
        check_before_autograding()  # before the cluster starts
    except SandboxUnavailable as refused:
        raise SystemExit(f"ERROR: {refused}")
    with dask_client(args.scheduler, args.workers) as client:
        try:
            serve(Course(Path(args.course)), once=args.once, interval=args.interval, client=client)
        except KeyboardInterrupt:
            pass


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backprop_course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    course_option = {"default": str(REPO_ROOT), "help": "course directory (default: the repository)"}
    release = commands.add_parser("release", help="regenerate release/ from source/ with nbgrader")
    sync = commands.add_parser("sync", help="write each assignment's shipped files (gradecheck/, data) into source/")
    clean = commands.add_parser("clean-notebooks", help="strip outputs and editor metadata from source/")
    for command in (release, sync, clean):
        command.add_argument("--course", **course_option)
    release.add_argument("assignments", nargs="*")
    demo = commands.add_parser("demo", help="release, autograde an example class in demo/, feedback, reports")
    demo.add_argument("--class", dest="class_dir", required=True, metavar="FOLDER",
                      help="the example class: FOLDER/<assignment>/<student>/<assignment>.ipynb "
                           "(`make demo` passes tests/fixtures)")
    demo.add_argument("assignments", nargs="*", help="default: all of the course's")
    batch = commands.add_parser("autograde", help="autograde every submission; record each one's status")
    batch.add_argument("--course", **course_option)
    batch.add_argument("--workers", type=int, default=None,
                       help="worker processes of the local cluster (default: the number of cores)")
    batch.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="submit the jobs to this Dask scheduler (e.g. tcp://host:8786) instead of a "
                            "local cluster; workers need this folder at the same path")
    batch.add_argument("--job-seconds", type=float, default=None, metavar="SECONDS",
                       help="wall time one student's job may take (default: the notebooks' budgets + 120 s)")
    batch.add_argument("assignments", nargs="*")
    serving = commands.add_parser("serve", help="grade each submission in nbgrader's exchange as it arrives, "
                                                "and release its feedback to its student")
    serving.add_argument("--course", **course_option)
    serving.add_argument("--once", action="store_true", help="one round: grade what waits, then exit")
    serving.add_argument("--interval", type=float, default=2.0, metavar="SECONDS",
                         help="how often the exchange is looked at (default: 2 s)")
    serving.add_argument("--workers", type=int, default=None, help="worker processes of the local cluster")
    serving.add_argument("--scheduler", default=None, metavar="ADDRESS", help="an existing Dask scheduler")
    report = commands.add_parser("report", help="write the HTML class reports and CSV exports")
    report.add_argument("--course", **course_option)
    report.add_argument("assignments", nargs="*")
    args = parser.parse_args(argv)
    known = unit_names(getattr(args, "course", REPO_ROOT))
    unknown = set(getattr(args, "assignments", None) or ()) - set(known)
    if unknown:
        parser.error(f"unknown assignment(s) {', '.join(sorted(unknown))}; the course has {', '.join(known)}")
    handlers = {"release": command_release, "sync": command_sync,
                "clean-notebooks": command_clean_notebooks,
                "demo": command_demo, "report": command_report,
                "autograde": command_autograde, "serve": command_serve}
    handlers[args.command](args)
