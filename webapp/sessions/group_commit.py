"""Group commit: callers that arrive while a write is in flight are written together, in one
statement, by whichever of them gets the writer's lock next.

A busy chat worker spent most of its time on one database round trip per message (the kernel's
loopback work for each send is charged to the worker too). Batching costs nothing when the
worker is quiet (a lone message is a batch of one, written at once) and grows with the load, so
the cost per message falls exactly when it matters. No background thread: it works the same
with real threads (`flask run`, the tests) and with gevent's patched locks (production).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Slot(Generic[Item, Result]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = False


class GroupCommit(Generic[Item, Result]):
    """`submit(item)` returns `write(batch)`'s result for that item, or raises the error
    `write` raised for it. `write` takes the items in arrival order and returns one outcome per
    item: a result, or an exception to raise in that item's caller."""

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Sequence[Result | BaseException]],
        *,
        max_batch: int = 100,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._pending: list[_Slot[Item, Result]] = []
        self._pending_lock = threading.Lock()
        self._writer = threading.Lock()

    def submit(self, item: Item) -> Result:
        slot: _Slot[Item, Result] = _Slot(item)
        with self._pending_lock:
            self._pending.append(slot)
        while not slot.done:
            with self._writer:
                if not slot.done:  # nobody wrote it while we waited: write what is pending
                    self._write_pending()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _write_pending(self) -> None:
        with self._pending_lock:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
        if not batch:
            return
        try:
            outcomes = self._write([slot.item for slot in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError("a group write must give one outcome per item")
        except BaseException as error:  # every caller in the batch learns what went wrong
            outcomes = [error] * len(batch)
        for slot, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                slot.error = outcome
            else:
                slot.result = outcome
            slot.done = True
