"""A throw-away PostgreSQL server for the tests (Debian's postgresql package)."""
import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager


def postgres_binaries():
    """The folder of initdb, pg_ctl and createdb: Debian's newest, else the PATH's."""
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/createdb"))
    if debian:
        return os.path.dirname(debian[-1])
    found = shutil.which("createdb")
    return os.path.dirname(found) if found and shutil.which("initdb") and shutil.which("pg_ctl") else None


def unavailable_reason():
    if postgres_binaries() is None:
        return "PostgreSQL is not installed (Debian package `postgresql`; .ci/run installs it)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser, so PostgreSQL cannot be started"
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "psycopg2 is not installed"
    return None


def _as_server_user():
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def restart(url):
    """Restart the server of ``temporary_server``'s ``url`` at once, dropping every connection (a crash)."""
    folder = url.split("host=")[1].split("&")[0]
    subprocess.run(_as_server_user() + [f"{postgres_binaries()}/pg_ctl", "-D", os.path.join(folder, "data"), "-w",
                                        "-m", "immediate", "-l", os.path.join(folder, "log"), "restart"],
                   check=True, capture_output=True, text=True)


@contextmanager
def temporary_server():
    """Yield the SQLAlchemy URL of a new database on a private server (Unix socket only)."""
    binaries = postgres_binaries()
    folder = tempfile.mkdtemp(prefix="backprop-pg-")
    as_postgres = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        os.chmod(folder, 0o755)
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = _as_server_user()
    data, port = os.path.join(folder, "data"), "55432"

    def run(*command):
        return subprocess.run(as_postgres + list(command), check=True, capture_output=True, text=True)

    run(f"{binaries}/initdb", "-D", data, "-A", "trust", "-U", "postgres")
    run(f"{binaries}/pg_ctl", "-D", data, "-w", "-l", os.path.join(folder, "log"),
        "-o", f"-k {folder} -p {port} -c listen_addresses=''", "start")
    try:
        run(f"{binaries}/createdb", "-h", folder, "-p", port, "-U", "postgres", "backprop")
        yield f"postgresql+psycopg2://postgres@/backprop?host={folder}&port={port}"
    finally:
        run(f"{binaries}/pg_ctl", "-D", data, "-w", "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
