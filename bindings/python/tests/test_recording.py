"""sambung.recording: the index of a data folder, searched."""

import pytest

from sambung import recording


def test_search_by_number_agent_and_date(tmp_path):
    index = recording.Index(str(tmp_path))
    base = 1_795_000_000_000
    rows = [
        ("r1", "+62215550001", "1001", "pengaduan"),
        ("r2", "+62315550002", "1002", "informasi"),
        ("r3", "+62215550003", "1001", "informasi"),
    ]
    for n, (rid, caller, agent, service) in enumerate(rows):
        index.begin(rid, n, caller, "110", base + n * 1000, "wav/alaw", f"{rid}.wav",
                    agent=agent, service=service)
    assert index.complete("r1", base + 60_000, 60_000, 480_044, "00" * 32)
    assert not index.complete("missing", 0, 0, 0, "")
    found = recording.search(str(tmp_path), number_prefix="+6221")
    assert found["total"] == 2 and [r["id"] for r in found["rows"]] == ["r3", "r1"]
    assert recording.search(str(tmp_path), agent="1002")["rows"][0]["service"] == "informasi"
    assert recording.search(str(tmp_path), from_ms=base + 1500)["total"] == 1
    assert recording.search(str(tmp_path), number="+62215550001")["rows"][0]["complete"]
    with pytest.raises(ValueError):
        recording.search(str(tmp_path), number="1", number_prefix="2")
    with pytest.raises(ValueError):
        recording.Index(str(tmp_path / "missing"))
