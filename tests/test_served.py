"""Showings are counted per resource however the pages they came in are kept."""

import uuid

from service.curation import served
from service.curation.served import ServedCounter


def test_pages_are_counted_when_folded_and_every_fold_pages(monkeypatch):
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    counter = ServedCounter()
    counter.record([a, b])
    counter.record([a])
    assert counter.counts == {}  # kept as pages until counted
    counter.fold()
    assert counter.counts == {a: 2, b: 1} and counter.pending == []
    monkeypatch.setattr(served, "FOLD", 2)
    counter.record([c])
    counter.record([c, a])
    assert counter.pending == [] and counter.counts == {a: 3, b: 1, c: 2}
