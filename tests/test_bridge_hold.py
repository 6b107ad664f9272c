"""Bridge: hips that sink during the hold and stay lower are sagging, even when the sunk level is
timed as a hold of its own."""

from __future__ import annotations

import pytest
from streams import Rep, StreamOptions, bridge_lift_for_bend, bridge_top, make_stream, run


@pytest.mark.parametrize("fps,seed", [(15.0, 1), (24.0, 2), (30.0, 3), (60.0, 4)])
def test_hips_that_sink_and_stay_lower_are_sagging(fps: float, seed: int) -> None:
    """Hips up to a straight line (bend 2 deg) for about 1.2 s, then they sink over 0.6 s to a bend
    of 16 deg (still inside the top zone, so that level is timed as a hold of its own, the
    longest) and stay there 2.3 s before the way down: hips_sagging, although the longest hold
    never saw the hips drop."""
    up = Rep(2.0, bridge_top(2.0), rise=1.0, hold=4.1, lower=1.0)
    sink = Rep(4.2, {"torso_lift_deg": bridge_lift_for_bend(16.0)}, rise=0.6, hold=2.3, lower=1.0)
    stream = make_stream("supine", [up, sink], up.end + 1.5, StreamOptions(fps=fps, noise_px=1.0, seed=seed))
    report = run("bridge", stream)
    assert len(report.reps) == 1
    assert "hips_sagging" in report.reps[0].faults, [(r.faults, r.hold_s) for r in report.reps]
