"""A raw FIX peer on a plain TCP socket, built on simplefix, for the hostile-input tests.

QuickFIX will not send a malformed message, so the fuzz tests frame their own bytes:
``frame`` writes BodyLength (9) and CheckSum (10) correctly unless told to write them
wrong. ``RawSession`` speaks just enough of the session protocol to keep a session up
(it answers a TestRequest with a Heartbeat, numbers what it sends) while the test sends
whatever it likes, and lets the test wait for an answer instead of sleeping.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import simplefix

Field = tuple[int, str | bytes]
_test_ids = itertools.count(1)


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def frame(
    begin: str,
    msg_type: str | bytes,
    fields: Sequence[Field],
    *,
    body_length: int | None = None,
    checksum: str | None = None,
) -> bytes:
    """One message on the wire; ``body_length``/``checksum`` given means "write this
    instead of the right value"."""
    msg = simplefix.FixMessage()
    msg.append_pair(35, msg_type)
    for tag, text in fields:
        msg.append_pair(tag, text)
    body = bytes(msg.encode(raw=True))
    length = len(body) if body_length is None else body_length
    head = f"8={begin}\x019={length}\x01".encode()
    total = f"{sum(head + body) % 256:03d}" if checksum is None else checksum
    return head + body + f"10={total}\x01".encode()


def value(msg: simplefix.FixMessage, tag: int) -> str | None:
    raw = msg.get(tag)
    return raw.decode(errors="replace") if raw is not None else None


class RawSession:
    """One logged-on (or about to be) FIX session over ``sock``, numbered by this side.

    A reader thread parses everything the other side sends into ``received``, answers
    TestRequests at once (so QuickFIX's heartbeat monitor never drops the session while
    the test thinks), and wakes waiters.
    """

    def __init__(self, sock: socket.socket, begin: str, sender: str, target: str) -> None:
        self.sock, self.begin, self.sender, self.target = sock, begin, sender, target
        self.next_seq = 1
        self.received: list[simplefix.FixMessage] = []
        self.closed = False
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="raw-fix-reader", daemon=True)
        self._reader.start()

    # ── sending ─────────────────────────────────────────────────────────────────────
    def header(self, seq: int) -> list[Field]:
        return [(49, self.sender), (56, self.target), (34, str(seq)), (52, timestamp())]

    def send(self, msg_type: str, fields: Sequence[Field] = ()) -> int:
        """Send a well-framed message with the next sequence number; returns that number."""
        with self._send_lock:
            seq = self.next_seq
            self.sock.sendall(frame(self.begin, msg_type, [*self.header(seq), *fields]))
            self.next_seq += 1
            return seq

    def send_bytes(self, data: bytes) -> None:
        with self._send_lock:
            self.sock.sendall(data)

    def probe(self, timeout: float) -> bool:
        """TestRequest -> Heartbeat: QuickFIX handles inbound messages in order, so the
        Heartbeat means everything sent before it has been processed."""
        test_id = f"probe-{next(_test_ids)}"
        self.send("1", [(112, test_id)])
        got = self.wait(lambda m: m.message_type == b"0" and value(m, 112) == test_id, timeout)
        return got is not None

    def _answer_admin(self, msg: simplefix.FixMessage) -> None:
        """What any session must do unasked: a Heartbeat for a TestRequest, and a
        SequenceReset-GapFill for a ResendRequest (nothing sent here is worth resending)."""
        if msg.message_type == b"1":
            self.send("0", [(112, value(msg, 112) or "")])
        elif msg.message_type == b"2":
            begin = value(msg, 7) or "1"
            with self._send_lock:
                header = [*self.header(int(begin)), (43, "Y"), (122, timestamp())]
                fill = [(123, "Y"), (36, str(self.next_seq))]
                self.sock.sendall(frame(self.begin, "4", header + fill))

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._reader.join(5)

    # ── receiving ───────────────────────────────────────────────────────────────────
    def wait(
        self, match: Callable[[simplefix.FixMessage], bool], timeout: float
    ) -> simplefix.FixMessage | None:
        """The first message received (so far or within ``timeout``) that matches."""
        with self._cond:
            found: list[simplefix.FixMessage] = []

            def seen() -> bool:
                found[:] = [m for m in self.received if match(m)][:1]
                return bool(found) or self.closed

            self._cond.wait_for(seen, timeout)
            return found[0] if found else None

    def _read(self) -> None:
        parser = simplefix.FixParser()
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            parser.append_buffer(data)
            while (msg := parser.get_message()) is not None:
                with contextlib.suppress(OSError):
                    self._answer_admin(msg)
                with self._cond:
                    self.received.append(msg)
                    self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)
    return sock
