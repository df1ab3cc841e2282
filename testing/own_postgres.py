"""A PostgreSQL cluster of a test's own, which the test may stop, crash, freeze and restart.

The shared server on 5432 is never stopped: a fault test runs this instead. The cluster is made
once per session with initdb (as the postgres user, which owns its directory) and copied for
each use, which takes a fraction of initdb's time; it listens on 127.0.0.1 on a free port.

    with OwnPostgres.fresh() as pg:
        url = pg.create_database("safetynet")
        pg.stop()            # immediate: a crash, connections refused until start()
        pg.start()
        pg.freeze()          # SIGSTOP: the server accepts nothing and answers nothing
        pg.thaw()
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

BIN = Path(os.environ.get("TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
USER = "postgres"
_template: Path | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*argv: str | Path, timeout: float = 60) -> None:
    command = [str(part) for part in argv]
    if os.geteuid() == 0:
        command = ["runuser", "-u", USER, "--", *command]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")


def _private_directory(prefix: str) -> Path:
    # Not under pytest's tmp_path: its parents are closed to every user but root.
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(directory, USER, USER)
    return directory


def template_cluster() -> Path:
    """initdb, once per process; every OwnPostgres starts from a copy of it."""
    global _template
    if _template is None:
        root = _private_directory("safetynet-pg-template-")
        data = root / "data"
        _as_postgres(BIN / "initdb", "-D", data, "-A", "trust", "-U", USER, "--no-sync")
        _template = data
    return _template


def has_template() -> bool:
    return _template is not None


def remove_template() -> None:
    global _template
    if _template is not None:
        shutil.rmtree(_template.parent, ignore_errors=True)
        _template = None


class OwnPostgres:
    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.data = root / "data"
        self.port = port
        self.log = root / "postgres.log"

    @classmethod
    def fresh(cls) -> OwnPostgres:
        root = _private_directory("safetynet-pg-")
        _as_postgres("cp", "-a", template_cluster(), root / "data")
        return cls(root, free_port())

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c shared_buffers=32MB"
        )
        _as_postgres(BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash (no checkpoint); `fast` a clean shutdown."""
        _as_postgres(BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def _pids(self) -> list[int]:
        """The postmaster and every backend it forked."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        found = [postmaster]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == postmaster:
                    found.append(int(entry.name))
        return found

    def freeze(self) -> None:
        """Stop every process of the cluster: connections hang instead of being refused."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def close(self) -> None:
        if self.running():
            with suppress(OSError, ValueError):
                self.thaw()
            with suppress(RuntimeError):
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> OwnPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
