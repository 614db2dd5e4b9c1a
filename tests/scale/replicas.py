"""Helpers for the multi-replica tests and the capacity bench: ``tenantry serve`` as a child
process on a free port, killed with SIGKILL or stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    """One ``tenantry serve`` process with its own data dir; ``env`` is shared configuration."""

    def __init__(self, name: str, root: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.data_dir = root / name
        self.env = dict(env, TENANTRY_DATA_DIR=str(self.data_dir))
        self.proc: subprocess.Popen | None = None
        self.log = root / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Replica:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tenantry", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start: {self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; whatever was only in memory is gone."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM: uvicorn's graceful shutdown, which flushes the senders."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def base_env(**values: str) -> dict[str, str]:
    """This process's environment without any tenantry variable, plus ``values``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEMETRY_", "TENANTRY_", "AMPLITUDE_", "POSTHOG_", "PAPR_"))
        and k != "DO_NOT_TRACK"
    }
    env.update(values)
    return env
