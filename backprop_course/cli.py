"""Command line of the course tooling: ``python -m backprop_course <command>``."""
import argparse

from . import ASSIGNMENTS, REPO_ROOT


def command_release(args):
    from .course import release_all
    release_all()


def command_sync(args):
    from .authoring.notebooks import sync_shipped_files
    sync_shipped_files()


def command_clean_notebooks(args):
    from .authoring.notebooks import clean_source_notebooks
    clean_source_notebooks()


def command_demo(args):
    from pathlib import Path
    from .demo import run_demo
    run_demo(Path(args.class_dir), assignments=args.assignments or ASSIGNMENTS)


def command_report(args):
    from pathlib import Path
    from .report import write_reports
    index = write_reports(Path(args.course), args.assignments or ASSIGNMENTS)
    print(f"Class report: {index}")


def command_autograde(args):
    from pathlib import Path
    from .parallel import autograde_class, dask_client, summary_lines
    from .course import Course
    from .grading.sandbox import SandboxUnavailable, check_before_autograding
    course = Course(Path(args.course))
    try:
        check_before_autograding()
    except SandboxUnavailable as refused:
        raise SystemExit(f"ERROR: {refused}")
    # One cluster for all the assignments: its workers start (and import nbgrader) once.
    with dask_client(args.scheduler, args.workers) as client:
        for assignment in args.assignments or ASSIGNMENTS:
            results, seconds = autograde_class(course, assignment, progress=True, client=client,
                                               job_seconds=args.job_seconds)
            print("\n".join(summary_lines(assignment, results, seconds)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m backprop_course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release", help="regenerate release/ from source/ with nbgrader")
    commands.add_parser("sync", help="copy gradecheck.py and backprop.csv into source/")
    commands.add_parser("clean-notebooks", help="strip outputs and editor metadata from source/")
    demo = commands.add_parser("demo", help="release, autograde an example class in demo/, feedback, reports")
    demo.add_argument("--class", dest="class_dir", required=True, metavar="FOLDER",
                      help="the example class: FOLDER/<assignment>/<student>/<assignment>.ipynb "
                           "(`make demo` passes tests/fixtures)")
    demo.add_argument("assignments", nargs="*", help=f"default: all of {', '.join(ASSIGNMENTS)}")
    batch = commands.add_parser("autograde", help="autograde every submission; record each one's status")
    batch.add_argument("--course", default=str(REPO_ROOT), help="course directory (default: the repository)")
    batch.add_argument("--workers", type=int, default=None,
                       help="worker processes of the local cluster (default: the number of cores)")
    batch.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="submit the jobs to this Dask scheduler (e.g. tcp://host:8786) instead of a "
                            "local cluster; workers need this folder at the same path")
    batch.add_argument("--job-seconds", type=float, default=None, metavar="SECONDS",
                       help="wall time one student's job may take (default: the notebooks' budgets + 120 s)")
    batch.add_argument("assignments", nargs="*")
    report = commands.add_parser("report", help="write the HTML class reports and CSV exports")
    report.add_argument("--course", default=str(REPO_ROOT), help="course directory (default: the repository)")
    report.add_argument("assignments", nargs="*")
    args = parser.parse_args(argv)
    unknown = set(getattr(args, "assignments", None) or ()) - set(ASSIGNMENTS)
    if unknown:
        parser.error(f"unknown assignment(s) {', '.join(sorted(unknown))}; the course has {', '.join(ASSIGNMENTS)}")
    handlers = {"release": command_release, "sync": command_sync,
                "clean-notebooks": command_clean_notebooks,
                "demo": command_demo, "report": command_report,
                "autograde": command_autograde}
    handlers[args.command](args)
