"""AppTest tests of ui.runners: one computation per config, replay-safe progress and live charts, errors as st.error."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _runner_app(epochs: int = 5, fail: bool = False, live: bool = True, crash: bool = False,
                redraw_s: float | None = None, pace_s: float = 0.0) -> None:
    # Runs as a Streamlit script: a fake core experiment that counts its calls in session state.
    import time
    from dataclasses import dataclass

    import streamlit as st

    from ui import runners

    @dataclass(frozen=True)
    class Sweep:
        epochs: int = 5
        code_version: int = 1

        def __post_init__(self) -> None:
            if not 1 <= self.epochs <= 100:
                raise ValueError("Epochs must be between 1 and 100.")

    def train(cfg: Sweep, on_progress=None) -> list[float]:
        st.session_state["calls"] = st.session_state.get("calls", 0) + 1
        if fail:
            raise ValueError("This dataset needs at least 2 classes.")
        if crash:
            raise RuntimeError("CUDA out of memory")
        losses: list[float] = []
        for epoch in range(cfg.epochs):
            losses.append(1.0 / (epoch + 1))
            if on_progress is not None:
                on_progress((epoch + 1) / cfg.epochs, list(losses))  # faster than the redraw limit
        return losses

    def draw(partial: list[float]) -> None:
        st.session_state["live_calls"] = st.session_state.get("live_calls", 0) + 1
        st.session_state["last_partial"] = partial
        slot.markdown(f"live: {len(partial)} epochs")  # an element made outside the cached function

    cfg = runners.config(Sweep, epochs=st.session_state.get("epochs", epochs))
    slot = st.empty()
    pace = {} if redraw_s is None else {"redraw_s": redraw_s}
    start = time.monotonic()
    losses = runners.run(train, cfg, label="Training", live=draw if live else None, pace_s=pace_s, **pace)
    st.session_state["seconds"] = time.monotonic() - start
    slot.markdown(f"final loss {losses[-1]:.3f} after {len(losses)} epochs")


def _app(**kwargs) -> AppTest:
    return AppTest.from_function(_runner_app, kwargs=kwargs, default_timeout=30)


def _texts(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def test_same_config_is_computed_once_and_a_hit_replays_nothing():
    at = _app().run()
    assert not at.exception
    assert at.session_state["calls"] == 1
    assert at.session_state["live_calls"] >= 2  # the first report and the final one
    assert at.session_state["last_partial"] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert "final loss 0.200 after 5 epochs" in _texts(at)
    assert not at.get("progress"), "the progress bar must be gone after the run"

    live_calls = at.session_state["live_calls"]

    at.run()  # equal config, new instance: a hit by value
    assert not at.exception, at.exception  # replaying the live chart's placeholder used to raise
    assert at.session_state["calls"] == 1
    assert at.session_state["live_calls"] == live_calls  # live is never called on a hit
    assert not at.get("progress")
    assert _texts(at).count("final loss 0.200 after 5 epochs") == 1


def test_each_run_sets_how_often_its_live_chart_redraws():
    # The fake trains in microseconds: by default (MIN_REDRAW_S) only the first report and the last are drawn;
    # a run that asks for redraw_s=0 (a picture, cheap to draw) gets every one of them. (Two configs: one
    # computed is a hit for the second app, which draws nothing.)
    assert _app(epochs=40).run().session_state["live_calls"] == 2
    assert _app(epochs=30, redraw_s=0.0).run().session_state["live_calls"] == 30


def test_a_paced_run_plays_its_reports_at_the_pace_and_a_quick_one_does_not_wait():
    # 20 reports that come in microseconds, paced 0.05 s apart: the 19 after the first wait, ~0.95 s in all; the
    # last (fraction 1) is not held back. Unpaced, the same run takes a fraction of that.
    paced = _app(epochs=20, redraw_s=0.0, pace_s=0.05).run()
    assert paced.session_state["live_calls"] == 20 and 0.9 < paced.session_state["seconds"] < 3
    assert _app(epochs=21, redraw_s=0.0).run().session_state["seconds"] < 0.5


def test_a_paused_computation_hands_its_slot_to_the_first_in_line_and_queues_again():
    def paced(slots, events: list[str]) -> None:
        slots.pause(0.2)  # the quick one runs during the pause
        events.append("paced again")

    assert _while_a_quick_one_waits(paced) == ["quick", "paced again"]


def test_a_new_config_value_is_a_miss():
    at = _app().run()
    at.session_state["epochs"] = 8
    at.run()
    assert at.session_state["calls"] == 2
    assert "final loss 0.125 after 8 epochs" in _texts(at)


def test_without_live_callback_the_page_still_gets_the_result():
    at = _app(live=False).run()
    assert not at.exception
    assert "live_calls" not in at.session_state
    assert "final loss 0.200 after 5 epochs" in _texts(at)


def test_value_error_from_core_is_an_error_box_not_a_traceback():
    at = _app(fail=True).run()
    assert not at.exception
    assert [error.value for error in at.error] == ["This dataset needs at least 2 classes."]
    assert not any(text.startswith("final loss") for text in _texts(at))  # the page stopped
    at.run()  # errors are not cached: core is asked again
    assert at.session_state["calls"] == 2


def test_a_torch_runtime_error_is_an_error_box_with_a_hint():
    at = _app(crash=True).run()
    assert not at.exception
    assert len(at.error) == 1 and "CUDA out of memory" in at.error[0].value and "smaller settings" in at.error[0].value


def test_invalid_config_is_an_error_box_and_core_is_not_called():
    at = _app(epochs=0).run()
    assert not at.exception
    assert [error.value for error in at.error] == ["Epochs must be between 1 and 100."]
    assert "calls" not in at.session_state


def test_each_real_computation_is_counted_and_logged_once(tmp_path, monkeypatch):
    from ui import runners

    log = tmp_path / "runs.log"
    monkeypatch.setenv(runners.RUN_LOG, str(log))
    before = sum(runners.COMPUTED.values())
    at = _app().run()
    at.run()  # a hit: not counted
    at.session_state["epochs"] = 8
    at.run()  # a miss: counted
    assert sum(runners.COMPUTED.values()) - before == 2
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and len({line.split()[1] for line in lines}) == 2  # two configs, two digests
    assert all(line.split()[0].endswith("train") for line in lines)


def _until(condition, what: str) -> None:
    """Wait (polling) until `condition()` holds; the generous limit only turns a hang into a failure."""
    import time

    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.001)


def test_at_most_slots_computations_run_at_once_and_a_waiting_one_says_so(monkeypatch):
    import threading

    from ui import runners

    monkeypatch.setattr(runners, "SLOTS", 2)
    monkeypatch.setattr(runners, "_slots", runners.Slots(2))
    running, most, lock, finish = 0, 0, threading.Lock(), threading.Event()
    texts: list[str] = []

    class Progress:  # stands in for the page's progress placeholder
        def progress(self, fraction: float, text: str) -> None:
            texts.append(text)

    def compute() -> None:
        nonlocal running, most
        with runners._slot(Progress(), "Training"):
            with lock:
                running += 1
                most = max(most, running)
            finish.wait()  # hold the slot until every computation has asked for one
            with lock:
                running -= 1

    threads = [threading.Thread(target=compute) for _ in range(6)]
    for t in threads:
        t.start()
    # Two hold the slots, the other four wait in line, each saying so in its progress bar.
    _until(lambda: runners._slots.waiting == 4 and running == 2, "2 computing and 4 in line")
    assert len(texts) == 4 and all("waiting for a free core" in t and "2 at a time" in t for t in texts)
    finish.set()
    for t in threads:
        t.join(timeout=30)
    assert most == 2 and running == 0  # every one got a slot in the end, never more than 2 at once
    assert runners._slots._free == 2 and runners._slots.waiting == 0  # every slot given back


def _while_a_quick_one_waits(hold, slice_s: float | None = None) -> list[str]:
    """One slot, held by a computation that calls `hold(slots, events)` while a quick one waits in line for it.

    Returns the order of events: "quick" when the quick one ran, then or before it what `hold` appended. The
    slot ends free, nobody in line.
    """
    import threading

    from ui import runners

    slots = runners.Slots(1)
    if slice_s is not None:
        slots.SLICE_S = slice_s
    events: list[str] = []
    slots.acquire()  # the holder has the only slot

    def quick() -> None:
        slots.acquire()
        events.append("quick")
        slots.release()

    waiter = threading.Thread(target=quick)
    waiter.start()
    _until(lambda: slots.waiting == 1, "the quick one in line")
    hold(slots, events)
    slots.release()
    waiter.join(timeout=30)
    assert (slots.free, slots.waiting) == (1, 0)
    return events


def _long_and_quick(slice_s: float) -> list[str]:
    """A long computation with 5 progress reports holds the slot; "report n" after each of its reports."""
    def reports(slots, events: list[str]) -> None:
        for report in range(1, 6):
            slots.step_aside()
            events.append(f"report {report}")

    return _while_a_quick_one_waits(reports, slice_s)


def test_a_quick_computation_passes_a_long_one_at_its_next_progress_report():
    # Its slice used up (here at once), the long one hands its slot over at its next report and queues.
    assert _long_and_quick(slice_s=0.0) == ["quick", "report 1", "report 2", "report 3", "report 4", "report 5"]


def test_a_computation_keeps_its_slot_within_its_slice():
    # Within its slice (here longer than the test) the long one runs on; the quick one gets the slot after it.
    assert _long_and_quick(slice_s=3600.0) == ["report 1", "report 2", "report 3", "report 4", "report 5", "quick"]


def test_a_computation_that_fails_gives_its_slot_back():
    from ui import runners

    free = runners._slots._free
    at = _app(crash=True).run()
    assert len(at.error) == 1
    assert runners._slots._free == free


def _launch_app(stop_at: int = 0, fail: bool = False) -> None:
    # Runs as a Streamlit script: a "long" fake training started by ui.launch, counting its calls.
    from dataclasses import dataclass

    import streamlit as st

    from ui import launch, runners

    @dataclass(frozen=True)
    class Recipe:
        epochs: int = 4
        code_version: int = 1

    def train(cfg: Recipe, on_progress=None) -> str:
        st.session_state["calls"] = st.session_state.get("calls", 0) + 1
        if fail:
            raise ValueError("This recipe cannot train.")
        for epoch in range(cfg.epochs):
            st.session_state["free_while_running"] = runners._slots.free
            if epoch + 1 == stop_at:
                st.stop()  # as Streamlit does inside a progress report when Stop is clicked or the tab closes
            on_progress((epoch + 1) / cfg.epochs, None)
        return f"trained {cfg.epochs} epochs"

    epochs = st.slider("Epochs", 1, 9, 4, key="epochs")
    result = launch.run(train, Recipe(epochs=epochs), key="own-run", label="Training", start="Train it",
                        seconds=12.4)
    st.markdown(result or "showing the shipped model")


def _launch() -> AppTest:
    return AppTest.from_function(_launch_app, default_timeout=30)


def _pressable(at: AppTest) -> list[str]:
    return [button.label for button in at.button]


def test_a_long_computation_waits_for_its_button_and_each_new_config_for_a_new_press():
    at = _launch().run()
    assert not at.exception
    assert "calls" not in at.session_state  # no press, no training
    assert _pressable(at) == ["Train it (about 12 s)"] and at.button[0].proto.type == "primary"
    assert _texts(at) == ["showing the shipped model"]
    at.run()  # any rerun (another widget) without a press: still waiting
    assert "calls" not in at.session_state

    at.button(key="own-run-start").click().run()
    assert at.session_state["calls"] == 1
    assert _texts(at) == ["trained 4 epochs"]
    assert _pressable(at) == []  # finished: no start button, no Stop button

    at.slider(key="epochs").set_value(6).run()  # a new recipe waits for a new press
    assert at.session_state["calls"] == 1
    assert _pressable(at) == ["Train it (about 12 s)"] and _texts(at) == ["showing the shipped model"]

    at.slider(key="epochs").set_value(4).run()  # computed already in this process: at once, no button
    assert at.session_state["calls"] == 1
    assert _pressable(at) == [] and _texts(at) == ["trained 4 epochs"]


def test_a_computation_already_finished_for_another_student_needs_no_button():
    first = _launch().run()
    first.button(key="own-run-start").click().run()
    second = _launch().run()  # a new session, the same recipe
    assert _pressable(second) == [] and _texts(second) == ["trained 4 epochs"]
    assert "calls" not in second.session_state  # a cache hit: nothing computed for it


def test_a_stopped_computation_frees_its_slot_caches_nothing_and_shows_the_button_again():
    from ui import runners

    free = runners._slots.free
    at = AppTest.from_function(_launch_app, kwargs={"stop_at": 2}, default_timeout=30).run()
    at.button(key="own-run-start").click().run()
    assert not at.exception
    assert at.session_state["free_while_running"] == free - 1  # it held a slot while it ran
    assert runners._slots.free == free  # the interruption gave it back
    assert _pressable(at) == ["Stop"]  # the run was cut short where it stood, its Stop button on screen
    at.button(key="own-run-start").click().run()  # Stop's callback forgets the press
    assert _pressable(at) == ["Train it (about 12 s)"] and _texts(at) == ["showing the shipped model"]
    assert at.session_state["calls"] == 1  # nothing was kept: the page waits for a press again


def test_a_setting_changed_during_a_run_stops_it_and_says_so_and_the_old_value_does_not_restart_it():
    # A slider moved while a training ran used to drop it silently, and moving the slider back restarted it
    # on its own (the press was still remembered for the old settings).
    from ui import launch

    at = AppTest.from_function(_launch_app, kwargs={"stop_at": 2}, default_timeout=30).run()
    at.button(key="own-run-start").click().run()  # cut short at epoch 2, as a rerun does
    assert _pressable(at) == ["Stop"] and at.session_state["calls"] == 1
    at.slider(key="epochs").set_value(6).run()  # the change that stopped it
    assert _pressable(at) == ["Train it (about 12 s)"] and [c.value for c in at.caption] == [launch.STOPPED]
    at.slider(key="epochs").set_value(4).run()  # the old settings again: a press is needed, not a silent restart
    assert at.session_state["calls"] == 1 and _pressable(at) == ["Train it (about 12 s)"]
    assert not at.caption  # said once
    at.button(key="own-run-start").click().run()  # a press runs it again
    assert at.session_state["calls"] == 2


def test_changing_a_setting_after_a_finished_run_says_nothing_about_stopping():
    from ui import launch

    at = _launch().run()
    at.button(key="own-run-start").click().run()
    at.slider(key="epochs").set_value(6).run()
    assert _pressable(at) == ["Train it (about 12 s)"] and launch.STOPPED not in [c.value for c in at.caption]


def test_a_run_that_ended_in_an_error_is_not_said_to_have_stopped_for_a_changed_setting():
    from ui import launch

    at = AppTest.from_function(_launch_app, kwargs={"fail": True}, default_timeout=30).run()
    at.button(key="own-run-start").click().run()
    assert [e.value for e in at.error] == ["This recipe cannot train."] and not at.exception
    at.slider(key="epochs").set_value(6).run()
    assert _pressable(at) == ["Train it (about 12 s)"] and launch.STOPPED not in [c.value for c in at.caption]


def test_the_waiting_line_counts_trainings_in_words():
    from ui import runners

    assert [runners.trainings(n) for n in (0, 1, 2)] == ["0 trainings are", "1 training is", "2 trainings are"]


def test_heavy_runs_at_once_follow_the_containers_cores_and_memory(tmp_path):
    from ui import runners

    assert runners.container_memory_mb(str(tmp_path)) is None  # no cgroup files: no limit
    (tmp_path / "memory.max").write_text(f"{3 * 2**30}\n")  # cgroup v2: 3 GB
    assert runners.container_memory_mb(str(tmp_path)) == 3 * 1024
    (tmp_path / "memory.max").write_text("max\n")
    assert runners.container_memory_mb(str(tmp_path)) is None
    # One core fewer than the slots, no more than the memory beside the server's own holds, at least one.
    room = runners.SERVER_MB + 3 * runners.HEAVY_RUN_MB
    assert runners.heavy_slots(8, None) == 7 and runners.heavy_slots(8, room) == 3
    assert runners.heavy_slots(2, None) == 1 and runners.heavy_slots(8, 1_000) == 1
    assert runners.heavy_slots(1, None) == 1


def test_the_cpu_count_follows_the_containers_quota(tmp_path):
    # sched_getaffinity counts the host's cores a container may be scheduled on, which can exceed its quota.
    from ui import runners

    (tmp_path / "cpu.max").write_text("200000 100000\n")  # cgroup v2: 2 CPUs
    assert runners.container_cpus(str(tmp_path)) == 2.0
    (tmp_path / "cpu.max").write_text("max 100000\n")  # no quota
    assert runners.container_cpus(str(tmp_path)) is None
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("150000\n")  # cgroup v1: 1.5 CPUs
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert runners.container_cpus(str(tmp_path)) == 1.5
    assert runners.container_cpus(str(tmp_path / "none")) is None
    assert 1 <= runners.HEAVY <= max(1, runners.SLOTS - 1)  # a core stays free for quick work


def test_heavy_computations_are_admitted_a_few_at_a_time_in_order_and_a_waiting_one_can_leave():
    import threading

    from ui import runners

    admission = runners.Admission(1)
    admission.POLL_S = 0.01
    order, places, most = [], {}, [0]
    first_in, release_first = threading.Event(), threading.Event()

    def heavy(name: str, hold: threading.Event | None = None, cancel: bool = False) -> None:
        def on_wait(place: int) -> None:
            places.setdefault(name, []).append(place)
            if cancel:
                raise KeyboardInterrupt  # as Streamlit's StopException when the tab closes
        try:
            admission.enter(on_wait)
        except KeyboardInterrupt:
            return
        most[0] = max(most[0], admission.running)
        order.append(name)
        if name == "a":
            first_in.set()
        if hold is not None:
            hold.wait(5)
        admission.leave()

    a = threading.Thread(target=heavy, args=("a", release_first))
    a.start()
    assert first_in.wait(5)
    b = threading.Thread(target=heavy, args=("b",))
    b.start()
    while "b" not in places:
        threading.Event().wait(0.01)
    gone = threading.Thread(target=heavy, args=("gone", None, True))
    gone.start()
    gone.join(5)
    c = threading.Thread(target=heavy, args=("c",))
    c.start()
    while "c" not in places:
        threading.Event().wait(0.01)
    assert admission.waiting == 2 and places["b"][0] == 1 and places["c"][0] == 2  # "gone" left the line
    release_first.set()
    for t in (a, b, c):
        t.join(5)
    assert order == ["a", "b", "c"] and most[0] == 1  # one at a time, first come first served
    assert admission.running == 0 and admission.waiting == 0


def test_a_tab_may_rerun_in_bursts_but_not_flood_the_server():
    from ui import pace

    bucket = pace.Bucket()
    assert all(pace.allow(bucket, 0.0) for _ in range(pace.BURST))  # a burst of clicks at one instant
    assert not pace.allow(bucket, 0.0)  # the next one waits
    assert pace.wait_s(bucket) == pytest.approx(1 / pace.RATE)  # for its token: a pause, not a refusal
    assert pace.allow(bucket, 1 / pace.RATE)  # a token back after 1/RATE s
    flood = sum(pace.allow(bucket, 1 / pace.RATE + (i + 1) / 20) for i in range(200))  # 20 a second for 10 s
    assert pace.RATE * 10 - 1 <= flood <= pace.RATE * 10 + 1  # RATE a second get through
    assert all(pace.allow(bucket, 30 + i / pace.RATE) for i in range(30))  # a person at RATE is never held back
