"""fromApp waits for the commit; when the writer lock is not free in time, the
message is dead-lettered and never applied later behind QuickFIX's back."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from toms.fix.application import DeadLetters, OmsApplication
from toms.fix.status import SessionBoard
from toms.services.engine import Engine, EngineBusy


@pytest.fixture
def engine() -> Engine:
    e = Engine()
    e.start()
    yield e  # type: ignore[misc]
    e.stop()


def application(engine: Engine, tmp_path: Path, timeout: float) -> OmsApplication:
    return OmsApplication(None, engine, SessionBoard(), {}, DeadLetters(tmp_path / "dl"), timeout)  # type: ignore[arg-type]


def test_job_not_started_in_time_is_cancelled_never_applied(engine: Engine, tmp_path: Path) -> None:
    busy, release = threading.Event(), threading.Event()
    engine.submit(lambda: busy.set() or release.wait(10))  # something slow holds the writer
    assert busy.wait(5)
    applied: list[str] = []
    app = application(engine, tmp_path, timeout=0.2)
    with pytest.raises(EngineBusy):
        app._commit(applied.append, "fill")
    release.set()
    engine.submit(lambda: None).result(5)  # everything queued before this has run
    assert applied == []  # cancelled: the dead letter is the only copy


def test_job_already_running_is_waited_for(engine: Engine, tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()
    applied: list[str] = []

    def slow_commit(item: str) -> None:
        started.set()
        release.wait(10)
        applied.append(item)

    app = application(engine, tmp_path, timeout=0.2)
    threading.Timer(0.5, release.set).start()  # lets the job finish after the timeout
    app._commit(slow_commit, "fill")
    assert started.is_set() and applied == ["fill"]
