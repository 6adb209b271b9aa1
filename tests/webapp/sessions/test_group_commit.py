"""Group commit: every caller gets its own item's outcome, in order, once, however the callers
interleave; a batch never exceeds its limit; an error reaches every caller in its batch."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.sessions.group_commit import GroupCommit


class Recorder:
    """A write that doubles each item (or refuses the odd ones it is told to), remembering the
    batches it was given; `hold` keeps the first write open until released, so that callers
    pile up behind it."""

    def __init__(self, refuse: frozenset[int] = frozenset()) -> None:
        self.batches: list[list[int]] = []
        self.refuse = refuse
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        self.entered.set()
        self.hold.wait(timeout=10)
        self.batches.append(list(items))
        return [ValueError(item) if item in self.refuse else item * 2 for item in items]


def run_callers(commit: GroupCommit[int, int], items: list[int]) -> dict[int, object]:
    outcomes: dict[int, object] = {}

    def call(item: int) -> None:
        try:
            outcomes[item] = commit.submit(item)
        except ValueError as error:
            outcomes[item] = error

    threads = [threading.Thread(target=call, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def test_a_lone_item_is_written_at_once_as_a_batch_of_one() -> None:
    write = Recorder()
    assert GroupCommit(write).submit(21) == 42
    assert write.batches == [[21]]


def test_callers_arriving_during_a_write_are_written_together_next() -> None:
    write = Recorder()
    commit = GroupCommit(write)
    write.hold.clear()
    first = threading.Thread(target=commit.submit, args=(0,))
    first.start()
    assert write.entered.wait(timeout=5)  # the first write is in flight
    waiting = [threading.Thread(target=commit.submit, args=(item,)) for item in range(1, 6)]
    for thread in waiting:
        thread.start()
    while len(commit._pending) < 5:  # all five queued behind the writer
        threading.Event().wait(0.001)
    write.hold.set()
    for thread in [first, *waiting]:
        thread.join(timeout=5)
    assert write.batches[0] == [0]
    assert sorted(write.batches[1]) == [1, 2, 3, 4, 5]
    assert len(write.batches) == 2


def test_a_batch_is_never_larger_than_its_limit() -> None:
    write = Recorder()
    commit = GroupCommit(write, max_batch=3)
    write.hold.clear()
    first = threading.Thread(target=commit.submit, args=(0,))
    first.start()
    assert write.entered.wait(timeout=5)
    items = list(range(1, 11))
    done: dict[int, object] = {}
    runner = threading.Thread(target=lambda: done.update(run_callers(commit, items)))
    runner.start()
    while len(commit._pending) < 10:
        threading.Event().wait(0.001)
    write.hold.set()
    runner.join(timeout=10)
    first.join(timeout=5)
    assert done == {item: item * 2 for item in items}
    assert all(len(batch) <= 3 for batch in write.batches)
    assert sorted(item for batch in write.batches for item in batch) == list(range(11))


def test_an_error_for_one_item_reaches_only_its_caller() -> None:
    write = Recorder(refuse=frozenset({3}))
    outcomes = run_callers(GroupCommit(write), [1, 2, 3, 4])
    assert isinstance(outcomes[3], ValueError)
    assert {item: outcomes[item] for item in (1, 2, 4)} == {1: 2, 2: 4, 4: 8}


def test_a_write_that_fails_fails_every_caller_in_its_batch_and_the_next_batch_goes_on() -> None:
    calls: list[list[int]] = []

    def write(items: Sequence[int]) -> list[int | BaseException]:
        calls.append(list(items))
        if len(calls) == 1:
            raise ValueError("database unavailable")
        return [item for item in items]

    commit = GroupCommit(write)
    with pytest.raises(ValueError, match="unavailable"):
        commit.submit(1)
    assert commit.submit(2) == 2


def test_a_write_giving_the_wrong_number_of_outcomes_is_an_error_not_a_misdelivery() -> None:
    commit: GroupCommit[int, int] = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="one outcome per item"):
        commit.submit(1)


@settings(max_examples=30, deadline=None)
@given(
    items=st.lists(
        st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40, unique=True
    ),
    max_batch=st.integers(min_value=1, max_value=8),
    refuse=st.frozensets(st.integers(min_value=0, max_value=10_000), max_size=5),
)
def test_every_caller_gets_its_own_outcome_exactly_once(
    items: list[int], max_batch: int, refuse: frozenset[int]
) -> None:
    write = Recorder(refuse)
    outcomes = run_callers(GroupCommit(write, max_batch=max_batch), items)
    for item in items:
        if item in refuse:
            assert isinstance(outcomes[item], ValueError)
        else:
            assert outcomes[item] == item * 2
    written = [item for batch in write.batches for item in batch]
    assert sorted(written) == sorted(items)  # each once
    assert all(1 <= len(batch) <= max_batch for batch in write.batches)
