"""publisher.memory: a big build gives its memory back between steps; a small one does not pay
for a collection each time."""

from __future__ import annotations

from types import SimpleNamespace

from publisher import memory


def test_the_resident_size_is_read() -> None:
    assert 1 << 20 < memory._resident() < 1 << 40


def test_memory_is_given_back_only_once_the_process_is_big(monkeypatch) -> None:
    collected, released = [], []
    monkeypatch.setattr(memory.gc, "collect", lambda: collected.append(1))
    pool = SimpleNamespace(release_unused=lambda: released.append(1))
    monkeypatch.setattr(memory, "sys", SimpleNamespace(modules={"pyarrow": SimpleNamespace(default_memory_pool=lambda: pool)}))
    monkeypatch.setattr(memory, "WORTH_IT", 1 << 40)
    memory.give_back()
    assert collected == [] and released == []
    monkeypatch.setattr(memory, "WORTH_IT", 0)
    memory.give_back()
    assert collected == [1] and released == [1]
