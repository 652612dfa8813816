"""sambung.acd: the scheduler in simulated time, its CMS figures, and simulate."""

import json
import pathlib
import subprocess

import pytest

import sambung
from sambung import acd
from conftest import ROOT, command


def test_a_call_is_offered_answered_and_counted():
    s = acd.Scheduler(start_unix_s=1_795_000_000)
    s.add_queue("pengaduan", wrap_up_s=5)
    s.agent_login(0, "1001", ["pengaduan"])
    assert s.agent_status("1001") == "not_ready"
    s.agent_ready(0, "1001")
    s.call_arrived(10, 1, "pengaduan")
    s.call_arrived(11, 2, "pengaduan", priority=5)
    assert s.poll_actions() == [{"action": "offer", "call": 1, "agent": "1001"}]
    assert s.waiting("pengaduan") == 2  # the ringing call waits until answered
    s.offer_answered(13, 1, "1001")
    s.call_ended(73, 1)
    assert s.agent_status("1001") == "wrap_up"
    assert s.poll_timeout() == pytest.approx(78)
    s.handle_timeout(78)
    assert s.poll_actions() == [{"action": "offer", "call": 2, "agent": "1001"}]
    s.call_abandoned(80, 2)
    stats = s.queue_stats("pengaduan")
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (2, 1, 1)
    assert stats["asa_s"] == pytest.approx(3.0)
    assert stats["service_level"] == pytest.approx(0.5)
    times = s.agent_times("1001", 80)
    assert times["talk_s"] == pytest.approx(60) and times["calls"] == 1
    intervals = s.queue_intervals("pengaduan")
    assert sum(i["offered"] for i in intervals) == 2
    assert all(i["start_unix_s"] % 900 == 0 for i in intervals)
    assert s.queue_stats("unseen") is None


def test_refusals_raise():
    s = acd.Scheduler()
    with pytest.raises(sambung.Error, match="unknown queue"):
        s.call_arrived(0, 1, "nowhere")
    with pytest.raises(ValueError, match="unknown strategy"):
        s.add_queue("q", strategy="best")
    with pytest.raises(ValueError):
        s.agent_ready(-5, "1001")
    with pytest.raises(OverflowError):
        s.call_ended(0, -1)


def test_simulate_gives_what_acd_sim_prints():
    scenario = (ROOT / "examples/acd-sim/scenarios/erlang-a.toml").read_text()
    ours = acd.simulate(scenario)
    out = subprocess.run(
        command("acd-sim") + ["examples/acd-sim/scenarios/erlang-a.toml"],
        cwd=ROOT, capture_output=True, check=True,
    )
    theirs = json.loads(out.stdout)
    for report in (ours, theirs):
        report.pop("wall_time_s")
        report.pop("calls_per_wall_s")
    assert ours == theirs
    with pytest.raises(ValueError, match="key"):
        acd.simulate("seed = 'one'")
