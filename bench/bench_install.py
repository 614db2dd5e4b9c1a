"""What embedding tenantry costs an app: distributions installed and import time.

1. Distributions: a fresh venv with ``pip install tenantry`` (a wheel of this checkout, the core
   only) beside a fresh venv with ``pip install posthog`` (the version in constraints.txt), both
   resolved by pip the same way; pip, setuptools and wheel are not counted.
2. Import time: wall time of ``python -c "import X"`` minus ``python -c "pass"`` (the interpreter's
   own start-up, measured in the same run), median of N runs, for ``import tenantry``,
   ``from tenantry import get_telemetry`` plus a first ``TelemetryService`` (what an app pays
   before its first event), and ``import posthog``, each run in the same venv (this one, which
   has the bench extra).

Targets (issue 9): at most 8 distributions in the core install; ``import tenantry`` at most half
the time of ``import posthog``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = {"pip", "setuptools", "wheel"}


def _pin(name: str) -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.lower().startswith(name + "=="):
            return line.strip()
    return name


def distributions(*requirements: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        python = str(env_dir / "bin" / "python")
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
            check=True,
            capture_output=True,
            timeout=600,
        )
        out = subprocess.run(
            [python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return sorted({d["name"].lower() for d in json.loads(out)} - PACKAGING)


def import_ms(code: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main(quick: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp, str(ROOT)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        wheel = str(next(Path(tmp).glob("tenantry-*.whl")))
        ours = distributions(wheel)
    theirs = distributions(_pin("posthog"))
    print(f"distributions, core install: tenantry {len(ours)} ({', '.join(ours)})")
    print(f"                             {_pin('posthog')} {len(theirs)} ({', '.join(theirs)})")
    print(
        f"  ratio tenantry / posthog: {len(ours) / len(theirs):.2f}x   (target: <= 8 distributions)"
    )

    runs = 5 if quick else 15
    base = import_ms("pass", runs)
    rows = {
        "import tenantry": import_ms("import tenantry", runs) - base,
        "get_telemetry + TelemetryService": import_ms(
            "from tenantry import TelemetryService; TelemetryService(destinations=('none',)).shutdown(1)",
            runs,
        )
        - base,
        "import posthog": import_ms("import posthog", runs) - base,
    }
    print(f"import time, median of {runs} runs, interpreter start-up ({base:.1f} ms) subtracted:")
    for name, ms in rows.items():
        print(f"  {name:<36} {ms:7.1f} ms   {ms / rows['import posthog']:.2f}x posthog")
    print("  target: import tenantry <= 0.5x import posthog")


if __name__ == "__main__":
    main("--quick" in sys.argv)
