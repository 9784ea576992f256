"""A third-party-style FIX client: a plain socket and simplefix, no QuickFIX.

It proves the simulated broker talks to any FIX engine, and it can send malformed bytes a
real engine never would. Synchronisation is by reading the socket with timeouts, never by
sleeping.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from datetime import UTC, datetime

import simplefix

SOH = b"\x01"


def fix_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


class Disconnected(Exception):
    pass


class RawFixClient:
    def __init__(
        self,
        port: int,
        begin_string: str = "FIX.4.4",
        sender: str = "TOMS",
        target: str = "SIMBROKER",
        host: str = "127.0.0.1",
    ) -> None:
        self.begin_string, self.sender, self.target = begin_string, sender, target
        self.sock = socket.create_connection((host, port), timeout=5)
        self.parser = simplefix.FixParser()
        self.next_seq = 1
        self.received: list[simplefix.FixMessage] = []

    # ── building and sending ────────────────────────────────────────────────────────
    def build(self, msg_type: str, fields: list[tuple[int, str]], seq: int | None = None) -> bytes:
        m = simplefix.FixMessage()
        m.append_pair(8, self.begin_string, header=True)
        m.append_pair(35, msg_type, header=True)
        m.append_pair(49, self.sender, header=True)
        m.append_pair(56, self.target, header=True)
        m.append_pair(34, str(self.next_seq if seq is None else seq), header=True)
        m.append_pair(52, fix_now(), header=True)
        for tag, value in fields:
            m.append_pair(tag, value)
        return bytes(m.encode())

    def send(self, msg_type: str, fields: list[tuple[int, str]]) -> int:
        """Send a well-formed message with the next sequence number; returns that number."""
        seq = self.next_seq
        self.send_raw(self.build(msg_type, fields, seq))
        self.next_seq += 1
        return seq

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    # ── receiving ───────────────────────────────────────────────────────────────────
    def receive(self, timeout: float = 5.0) -> simplefix.FixMessage:
        """The next message; answers TestRequests on the way. Disconnected on EOF."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.parser.get_message()
            if msg is not None:
                self.received.append(msg)
                if msg.get(35) == b"1":
                    self.send("0", [(112, msg.get(112).decode())])
                return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no FIX message within the timeout")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise TimeoutError("no FIX message within the timeout") from None
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise Disconnected(str(exc)) from exc
            if not data:
                raise Disconnected("the acceptor closed the connection")
            self.parser.append_buffer(data)

    def expect(self, msg_type: str, timeout: float = 5.0, **match: str) -> simplefix.FixMessage:
        """Skip other messages until one of ``msg_type`` (whose tags match ``t<tag>=value``)."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.receive(max(deadline - time.monotonic(), 0.001))
            if msg.get(35) != msg_type.encode():
                continue
            if all(msg.get(int(k[1:])) == v.encode() for k, v in match.items()):
                return msg

    def wait_closed(self, timeout: float = 5.0) -> None:
        """Read until the acceptor closes the connection (Disconnected) or time runs out."""
        try:
            while True:
                self.receive(timeout)
        except Disconnected:
            return

    # ── session ─────────────────────────────────────────────────────────────────────
    def logon(self, heartbeat: int = 30, reset: bool = True) -> simplefix.FixMessage:
        fields = [(98, "0"), (108, str(heartbeat))]
        if reset:
            fields.append((141, "Y"))
        self.send("A", fields)
        return self.expect("A")

    def barrier(self, test_req_id: str, seq: int | None = None, timeout: float = 5.0) -> None:
        """TestRequest -> Heartbeat: everything sent before has been processed."""
        if seq is None:
            self.send("1", [(112, test_req_id)])
        else:
            self.send_raw(self.build("1", [(112, test_req_id)], seq))
            self.next_seq = seq + 1
        self.expect("0", timeout, t112=test_req_id)

    def logout(self) -> None:
        try:
            self.send("5", [])
            self.expect("5", 5)
        except (Disconnected, TimeoutError, OSError):
            pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def new_order_fields(
    cl_ord_id: str,
    symbol: str = "AAPL",
    side: str = "1",
    qty: str = "100",
    ord_type: str = "1",
    price: str | None = None,
    text: str | None = None,
    begin_string: str = "FIX.4.4",
) -> list[tuple[int, str]]:
    fields = [(11, cl_ord_id)]
    if begin_string == "FIX.4.2":
        fields.append((21, "1"))
    fields += [(55, symbol), (54, side), (60, fix_now()), (38, qty), (40, ord_type)]
    if price is not None:
        fields.append((44, price))
    if text is not None:
        fields.append((58, text))
    return fields


def with_bad_checksum(data: bytes) -> bytes:
    match = re.search(rb"10=(\d{3})\x01$", data)
    assert match is not None
    wrong = b"%03d" % ((int(match.group(1)) + 1) % 256)
    return data[: match.start(1)] + wrong + SOH


def with_body_length(data: bytes, delta: int) -> bytes:
    """Rewrite BodyLength (9) by ``delta``, leaving the checksum as it was."""
    return re.sub(rb"\x019=(\d+)\x01", lambda m: b"\x019=%d\x01" % (int(m.group(1)) + delta), data)
