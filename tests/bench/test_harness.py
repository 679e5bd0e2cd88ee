"""The fair benchmark harness runs end to end on tiny sizes (no timing is asserted): every
implementation is checked against the hand-written numpy step, timed alone in fresh processes,
and the tables land between the markers of a results file."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bench import captioner, engine, sampling
from bench.problem import CASES, IMPLS, build, make


@pytest.mark.parametrize("case", ["tiny_lstm", "tiny_rnn"])
def test_every_implementation_matches_the_numpy_step(case: str) -> None:
    errs, _ = captioner.check_all(case, "float64", IMPLS)
    assert set(errs) == set(IMPLS)
    assert max(errs.values()) < 1e-9  # float64: every peer computes the same loss and grads


def test_problem_pads_after_end_and_full_cases_do_not() -> None:
    _, _, caps = make(CASES["lstm"], "float32")
    ends = (caps == 2).argmax(axis=1)
    assert all((caps[n, e + 1:] == 0).all() for n, e in enumerate(ends))
    assert len(set(ends.tolist())) > 1  # captions of several lengths
    _, _, full = make(CASES["small_lstm"], "float32")
    assert (full[:, 1:-1] != 0).all() and (full[:, -1] == 2).all()


def test_harness_quick_run_writes_tables_between_markers(tmp_path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# head\n{captioner.BEGIN}\nold\n{captioner.END}\ntail\n")
    out = tmp_path / "r.json"
    captioner.main(["--quick", "--cases", "tiny_lstm", "--impls", "minigrad", "torch_nn",
                    "--no-memory", "--same-process-runs", "1", "--json", str(out),
                    "--write-results", "--results", str(results)])
    (r,) = json.loads(out.read_text())
    assert set(r["median_ms"]) == {"minigrad", "numpy", "torch_nn"}
    assert r["ratio"]["minigrad"] == 1.0 and len(r["rounds_ms"]["torch_nn"]) == 1
    assert any(lib == "torch" for lib, _, _ in r["threads"]["torch_nn"])  # pools reported
    text = results.read_text()
    assert text.startswith("# head\n") and text.endswith("tail\n") and "old" not in text
    assert "| minigrad |" in text and "| torch_nn |" in text
    png = tmp_path / "captioner.png"  # the figure of the rounds, linked from the section
    assert "](captioner.png)" in text and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000 and not list(tmp_path.glob(".*.tmp"))


def test_engine_children_report_each_mode(tmp_path) -> None:
    per_round = engine.isolated(50, 1, 1)
    assert set(per_round) == set(engine.MODES)
    assert all(len(v) == 1 and min(v[0]) > 0 for v in per_round.values())


def test_minigrad_step_grads_are_fresh_each_step() -> None:
    params, features, captions = make(CASES["tiny_lstm"], "float64")
    step, check = build("minigrad", CASES["tiny_lstm"], params, features, captions)
    loss1, g1 = check()
    g1 = {k: np.array(v) for k, v in g1.items()}
    loss2, g2 = check()  # zero_grad inside the step: no accumulation across steps
    assert loss1 == loss2
    for k in g1:
        np.testing.assert_array_equal(g1[k], g2[k])


def test_sampling_quick_run_times_each_decoder_alone_and_writes_its_table(tmp_path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# head\n{sampling.BEGIN}\nold\n{sampling.END}\ntail\n")
    sampling.main(["--quick", "--max-length", "4", "--write-results", "--results",
                   str(results)])
    text = results.read_text()
    assert text.startswith("# head\n") and text.endswith("tail\n") and "old" not in text
    for decoder in ("minigrad greedy", "minigrad beam", "torch greedy"):
        assert f"| {decoder} |" in text
    assert "identical to the torch twin's for 100% of rows" in text  # same weights, same words


def test_sampling_decoders_give_captions_of_the_asked_length() -> None:
    for decoder in sampling.DECODERS:
        caps = sampling.build(decoder, "lstm", 2, 5, "tiny")()
        assert caps.shape == (3, 5) and caps.dtype.kind in "iu"
