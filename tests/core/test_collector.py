"""core.collector.cyclic_gc_paused: the cyclic collector off for a block and back on after it —
around a PDF's layout (tests/core/test_pdf.py) and each batch of an import (here)."""
import gc

import pytest

from core.collector import cyclic_gc_paused
from core.imports import Feed, ImportInterrupted, import_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_it_pauses_the_collector_and_turns_it_back_on_also_after_an_error():
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"), cyclic_gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_outer_one_in_charge():
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_leaves_a_collector_that_was_off_off():
    gc.disable()
    with cyclic_gc_paused():
        pass
    assert not gc.isenabled()


class WatchingFeed(Feed):
    columns = ("code",)
    outcome_labels = {"created": "создано"}

    def __init__(self, fail_at: str = ""):
        self.collector = []
        self.fail_at = fail_at

    def handle_batch(self, rows, result):
        self.collector.append(gc.isenabled())
        if any(row.values["code"] == self.fail_at for row in rows):
            raise RuntimeError("the database went away")
        result.count("created", len(rows))


def test_each_batch_of_an_import_runs_with_the_collector_paused():
    feed = WatchingFeed()
    result = import_data(b"code\nA\nB\nC\n", feed, batch_size=2)
    assert result.counts["created"] == 3
    assert feed.collector == [False, False]
    assert gc.isenabled()


def test_the_collector_comes_back_when_a_batch_fails():
    feed = WatchingFeed(fail_at="C")
    with pytest.raises(ImportInterrupted):
        import_data(b"code\nA\nB\nC\n", feed, batch_size=2)
    assert feed.collector == [False, False]
    assert gc.isenabled()
