"""Keeps the blotter's models equal to what the server records.

The event stream says *what* changed (an order, a block, a broker order); the blotter
then reads those entities back from the API in batches, at most one request per kind in
flight, so a burst of fills costs a few reads, not one per fill. Every read is stamped
with the last event seq the blotter had seen when it was sent; a reply older than the
data already shown is dropped (broker orders carry their own ``version``), so replies
that overtake each other never roll a row back. On every (re)connect the blotter takes a
full snapshot: after a server restart it shows the server's state, not its memory of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from toms.blotter.columns import (
    ALLOCATIONS,
    BLOCKS,
    FILLS,
    ORDERS,
    ROUTED,
    SESSIONS,
    allocation_rows,
)
from toms.blotter.connection import Connection, LinkState, error_text
from toms.blotter.formatting import label, parse_time
from toms.blotter.models import Record, RecordTableModel
from toms.client import ApiClient, ApiError

ORDER, BLOCK, ROUTED_ORDER = "order", "block", "routed_order"
FETCH_DELAY_MS = 30  # gather a burst of events into one read
RETRY_DELAY_MS = 1000
IDS_PER_READ = 200


def _without(record: Record, *fields: str) -> Record:
    return {k: v for k, v in record.items() if k not in fields}


NOTED_STATES = frozenset({"canceled", "expired", "done_for_day", "stopped", "suspended"})


def note_for(event: Record) -> str | None:
    """What the broker (or the OMS) last said about a broker order that a trader must read:
    a reject and its reason, an unsolicited cancel, a restatement. "" clears the note (a new
    request supersedes it); None leaves it as it is."""
    p = event.get("payload") or {}
    kind = event.get("type")
    if kind == "RequestRejected":
        return f"{p.get('request')} rejected: {p.get('reason') or event.get('reason') or ''}"
    if kind == "RoutedOrderStatusChanged":
        text, new = p.get("text") or "", p.get("new_status")
        if new == "rejected":
            return f"rejected: {text}" if text else "rejected by the broker"
        return f"{label(new)}: {text}" if text and new in NOTED_STATES else None
    if kind in ("CancelRequested", "ReplaceRequested", "RoutedOrderReplaced"):
        return ""
    if kind == "RoutedOrderRestated":
        return f"restated by the broker: {p.get('text') or ''}"
    if kind == "ExecutionRejected":
        return f"broker report not applied: {p.get('reason') or p.get('error')}"
    if kind == "CancelRejectNotApplied":
        return f"cancel reject not applied: {p.get('error')}"
    if kind == "StatusMismatch":
        return f"status mismatch: toms {p.get('ours')}, broker {p.get('theirs')}"
    return None


class BlotterSync(QObject):
    message = pyqtSignal(str, str)  # level ("info", "alert", "error"), text
    snapshot_done = pyqtSignal()
    detail_loaded = pyqtSignal(str)  # the block whose fills and allocations were read
    user_known = pyqtSignal(dict)  # /me

    def __init__(self, connection: Connection, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.connection = connection
        self.orders = RecordTableModel(ORDERS, self)
        self.blocks = RecordTableModel(BLOCKS, self)
        self.routed = RecordTableModel(ROUTED, self)
        self.fills = RecordTableModel(FILLS, self)
        self.allocations = RecordTableModel(ALLOCATIONS, self)
        self.sessions = RecordTableModel(SESSIONS, self)
        self.seen_seq = 0
        self.snapshots = 0
        self.selected_block: str | None = None
        self.started_at = datetime.now(UTC)
        self._stamps: dict[tuple[str, str], int] = {}
        self._dirty: dict[str, set[str]] = {ORDER: set(), BLOCK: set(), ROUTED_ORDER: set()}
        self._busy: set[str] = set()
        self._notes: dict[str, str] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fetch_dirty)
        connection.events.connect(self.on_events)
        connection.state_changed.connect(self._on_link)

    # ── what the stream says ───────────────────────────────────────────────────────
    def on_events(self, events: list[Record]) -> None:
        for event in events:
            seq = event.get("seq")
            if seq is not None and seq > self.seen_seq:
                self.seen_seq = seq
            self._note(event)
        if any(self._dirty.values()) and not self._timer.isActive():
            self._timer.start(FETCH_DELAY_MS)

    def _note(self, event: Record) -> None:
        kind, entity, entity_id = (
            event.get("type"),
            event.get("entity_type"),
            event.get("entity_id"),
        )
        payload = event.get("payload") or {}
        if kind == "SessionStatusChanged":
            self.sessions.upsert([payload])
            return
        if entity_id is None:
            return
        entity_id = str(entity_id)
        if entity == ORDER:
            self._dirty[ORDER].add(entity_id)
        elif entity == BLOCK:
            self._dirty[BLOCK].add(entity_id)
        elif entity == ROUTED_ORDER:
            self._dirty[ROUTED_ORDER].add(entity_id)
            known = self.routed.get(entity_id)
            block_id = payload.get("block_id") or (known or {}).get("block_id")
            if block_id:
                self._dirty[BLOCK].add(str(block_id))  # its filled / leaves / status move too
            note = note_for(event)
            if note is not None:
                self._notes[entity_id] = note
                if self._is_news(event) and ("rejected" in note or "not applied" in note):
                    self.message.emit("alert", f"{entity_id}: {note}")
        elif entity in ("session", "execution") and self._is_news(event):
            detail = payload.get("text") or payload.get("reason") or payload.get("error") or ""
            self.message.emit("alert", f"{kind} ({entity_id}) {detail}".strip())

    def _is_news(self, event: Record) -> bool:
        """Alerts only for what happens while the blotter runs, not for replayed history."""
        at = parse_time(event.get("occurred_at"))
        return at is not None and at >= self.started_at

    # ── reading back ───────────────────────────────────────────────────────────────
    def _on_link(self, state: str, detail: str) -> None:
        if state == LinkState.CONNECTED.value:
            self.snapshot()

    def snapshot(self) -> None:
        """Everything, from the API: on connect, on reconnect (a restarted server), on F5."""
        stamp = self.seen_seq
        for ids in self._dirty.values():
            ids.clear()  # the snapshot reads them anyway

        def read(c: ApiClient) -> dict[str, Any]:
            return {
                "me": c.get("/me"),
                "sessions": c.get("/sessions"),
                "orders": c.orders(),
                "blocks": c.blocks(),
                "routed": c.get("/routed"),
            }

        def done(s: dict[str, Any]) -> None:
            self.user_known.emit(s["me"])
            self.sessions.replace_all(s["sessions"])
            self._apply(ORDER, self.orders, s["orders"], stamp, snapshot=True)
            self._apply(BLOCK, self.blocks, s["blocks"], stamp, snapshot=True)
            self.apply_routed(s["routed"], stamp, snapshot=True)
            self.snapshots += 1
            self.snapshot_done.emit()
            if self.selected_block:
                self.select_block(self.selected_block)

        self.connection.call(read, done, self._failed("snapshot"))

    def _fetch_dirty(self) -> None:
        for kind, reader in (
            (ROUTED_ORDER, self._read_routed),
            (BLOCK, self._read_blocks),
            (ORDER, self._read_orders),
        ):
            if kind in self._busy or not self._dirty[kind]:
                continue
            ids, self._dirty[kind] = self._dirty[kind], set()
            self._busy.add(kind)
            reader(sorted(ids), self.seen_seq)

    def _finished(self, kind: str) -> None:
        self._busy.discard(kind)
        if self._dirty[kind] and not self._timer.isActive():
            self._timer.start(FETCH_DELAY_MS)

    def _retry(self, kind: str, ids: Iterable[str]) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            self._busy.discard(kind)
            self._dirty[kind].update(ids)  # read again; a reconnect snapshot covers it too
            self.message.emit("error", f"could not read {kind}s: {error_text(exc)}")
            if not self._timer.isActive():
                self._timer.start(RETRY_DELAY_MS)

        return failed

    def _read_routed(self, ids: list[str], stamp: int) -> None:
        def read(c: ApiClient) -> list[Record]:
            return _batched(lambda **q: c.get("/routed", **q), ids)

        def done(records: list[Record]) -> None:
            self.apply_routed(records)
            self._finished(ROUTED_ORDER)

        self.connection.call(read, done, self._retry(ROUTED_ORDER, ids))

    def _read_blocks(self, ids: list[str], stamp: int) -> None:
        selected = self.selected_block

        def read(c: ApiClient) -> list[Record]:
            records = _batched(c.blocks, ids)
            if selected in ids:  # the selected block's fills and allocations come with it
                detail = _maybe(c.block, selected)
                records = [r for r in records if r["block_id"] != selected]
                records += [detail] if detail is not None else []
            return records

        def done(records: list[Record]) -> None:
            self._apply(BLOCK, self.blocks, records, stamp)
            if self.selected_block:
                detail = next((b for b in records if b["block_id"] == self.selected_block), None)
                if detail is not None and "fills" in detail:
                    self._show_detail(detail)
                elif self.selected_block in ids:
                    self.select_block(self.selected_block)
            self._finished(BLOCK)

        self.connection.call(read, done, self._retry(BLOCK, ids))

    def _read_orders(self, ids: list[str], stamp: int) -> None:
        def read(c: ApiClient) -> list[Record]:
            return _batched(c.orders, ids)

        def done(records: list[Record]) -> None:
            self._apply(ORDER, self.orders, records, stamp)
            self._finished(ORDER)

        self.connection.call(read, done, self._retry(ORDER, ids))

    # ── applying what the server said ──────────────────────────────────────────────
    def _apply(
        self,
        kind: str,
        model: RecordTableModel,
        records: Iterable[Record],
        stamp: int,
        *,
        snapshot: bool = False,
    ) -> None:
        key = model.spec.key
        fresh = []
        for record in records:
            entity = (kind, str(record[key]))
            if self._stamps.get(entity, -1) > stamp:
                continue  # an older read than the row already shows
            self._stamps[entity] = stamp
            fresh.append(_without(record, "history", "fills", "allocations"))
        if snapshot:
            seen = {str(r[key]) for r in fresh}
            gone = [
                k
                for k in model.key_list()
                if k not in seen and self._stamps.get((kind, k), -1) <= stamp
            ]
            model.remove(gone)
        model.upsert(fresh)

    def apply_routed(
        self, records: Iterable[Record], stamp: int | None = None, *, snapshot: bool = False
    ) -> None:
        """Broker orders carry a version: a row never goes back to an older one."""
        stamp = self.seen_seq if stamp is None else stamp
        fresh = []
        for record in records:
            rid = str(record["routed_order_id"])
            shown = self.routed.get(rid)
            if shown is not None and int(shown["version"] or 0) > int(record["version"] or 0):
                continue
            entity = (ROUTED_ORDER, rid)
            self._stamps[entity] = max(stamp, self._stamps.get(entity, -1))
            fresh.append({**_without(record, "fills"), "note": self._notes.get(rid, "")})
        if snapshot:
            seen = {r["routed_order_id"] for r in fresh}
            gone = [
                k
                for k in self.routed.key_list()
                if k not in seen and self._stamps.get((ROUTED_ORDER, k), -1) <= stamp
            ]
            self.routed.remove(gone)
        self.routed.upsert(fresh)

    def apply_block(self, record: Record) -> None:
        """A block the server just returned (created, changed): shown at once."""
        self._apply(BLOCK, self.blocks, [record], self.seen_seq)

    # ── the selected block's fills and allocations ────────────────────────────────
    def select_block(self, block_id: str | None) -> None:
        changed = block_id != self.selected_block
        self.selected_block = block_id
        if changed:
            self.fills.clear()
            self.allocations.clear()
        if block_id is None:
            return

        stamp = self.seen_seq

        def done(detail: Record | None) -> None:
            if detail is not None:
                self._apply(BLOCK, self.blocks, [detail], stamp)
                self._show_detail(detail)

        self.connection.call(
            lambda c: _maybe(c.block, block_id), done, self._failed(f"block {block_id}")
        )

    def _show_detail(self, detail: Record) -> None:
        if detail["block_id"] != self.selected_block:
            return
        self.fills.replace_all(detail.get("fills") or [])
        self.allocations.replace_all(allocation_rows(detail))
        self.detail_loaded.emit(detail["block_id"])

    def brokers(self) -> list[str]:
        return sorted(self.sessions.key_list())

    def _failed(self, what: str) -> Callable[[BaseException], None]:
        return lambda exc: self.message.emit("error", f"could not read {what}: {error_text(exc)}")


def _batched(read: Callable[..., list[Record]], ids: list[str]) -> list[Record]:
    """The entities named by ``ids``, a few hundred per request (``GET ...?ids=``)."""
    out: list[Record] = []
    for i in range(0, len(ids), IDS_PER_READ):
        out.extend(read(ids=",".join(ids[i : i + IDS_PER_READ])))
    return out


def _maybe(read: Callable[[str], Record], entity_id: str) -> Record | None:
    """One entity, or None if the server no longer has it (or this user may not see it)."""
    try:
        return read(entity_id)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
