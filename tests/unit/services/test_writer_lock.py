"""The single writer's lock: broker reports are served before the requests waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from toms.services.engine import WriterLock

WAIT = 5.0


def until(probe: Callable[[], bool]) -> None:
    """Wait for a waiter to be queued: the lock offers no event for it, so poll its state."""
    deadline = time.monotonic() + WAIT
    while not probe():
        assert time.monotonic() < deadline, "the waiter was never queued"
        threading.Event().wait(0.001)


def waiter(lock: WriterLock, name: str, served: list[str], urgent: bool) -> threading.Thread:
    def run() -> None:
        assert lock.acquire(WAIT, urgent)
        served.append(name)
        lock.release()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_a_report_is_served_before_requests_that_waited_longer() -> None:
    lock, served = WriterLock(), []
    assert lock.acquire()
    threads = [waiter(lock, "request 1", served, urgent=False)]
    until(lambda: len(lock._waiters) == 1)
    threads.append(waiter(lock, "request 2", served, urgent=False))
    until(lambda: len(lock._waiters) == 2)
    threads.append(waiter(lock, "report 1", served, urgent=True))
    until(lambda: len(lock._urgent) == 1)
    threads.append(waiter(lock, "report 2", served, urgent=True))
    until(lambda: len(lock._urgent) == 2)
    lock.release()
    for thread in threads:
        thread.join(WAIT)
    assert served == ["report 1", "report 2", "request 1", "request 2"]


def test_a_report_that_gave_up_waiting_leaves_the_queue() -> None:
    lock, served = WriterLock(), []
    assert lock.acquire()
    gave_up = threading.Event()

    def impatient() -> None:
        if not lock.acquire(0.05, urgent=True):
            gave_up.set()

    threading.Thread(target=impatient).start()
    assert gave_up.wait(WAIT)
    assert not lock._urgent
    request = waiter(lock, "request", served, urgent=False)
    until(lambda: len(lock._waiters) == 1)
    lock.release()
    request.join(WAIT)
    assert served == ["request"]
    assert lock.acquire(0)  # free again
    lock.release()
