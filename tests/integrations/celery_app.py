"""The Celery app of the integration tests: a broker on Redis with a key prefix and a queue of
the test session's own (``TENANTRY_TEST_BROKER``, ``TENANTRY_TEST_PREFIX``), instrumented by
tenantry. Imported by the test process (which enqueues) and by the worker it starts."""

from __future__ import annotations

import os

from celery import Celery

from tenantry.celery import instrument

PREFIX = os.environ.get("TENANTRY_TEST_PREFIX", "tenantry-tests")
QUEUE = f"{PREFIX}-tasks"

app = Celery("tenantry_tests", broker=os.environ.get("TENANTRY_TEST_BROKER", "memory://"))
app.conf.update(
    broker_transport_options={"global_keyprefix": f"{PREFIX}:"},
    task_default_queue=QUEUE,
    task_ignore_result=True,
    worker_enable_remote_control=False,  # no broadcast traffic on the shared Redis
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)
instrument(app)


@app.task(name="tests.add")
def add(x: int, y: int) -> int:
    return x + y


@app.task(name="tests.fail")
def fail() -> None:
    raise ValueError("the task failed")


@app.task(name="tests.flaky", bind=True, max_retries=3)
def flaky(self) -> str:
    if self.request.retries == 0:
        raise self.retry(countdown=0)
    return "done"


@app.task(name="tests.fan_out")
def fan_out() -> None:
    add.delay(1, 1)  # enqueued by a task: carries the same developer and end user


@app.task(name="tests.touch")
def touch(path: str) -> None:
    open(path, "w").close()  # noqa: SIM115 - the test waits for this file
