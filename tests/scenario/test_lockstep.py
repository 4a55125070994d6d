"""Runs stepped side by side (a sweep's batches) give exactly the runs made one by one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geoai
from geoai import InputError, scenario
from geoai.scenario import _dense, engine, preset
from geoai.scenario._checks import check_record
from geoai.scenario.simulation import run_headlines
from geoai.scenario.sweep import sweep

SMALL = geoai.load_metros(4_000_000)
COUNTRIES = geoai.load_countries()


def _world(cap: float = 0.7) -> engine.World:
    return engine.prepare_world(SMALL, COUNTRIES, max_employment_rate=cap)


def _same_rows(a: engine.Rows, b: engine.Rows) -> None:
    np.testing.assert_array_equal(a[0], b[0])
    assert len(a[1]) == len(b[1])
    for ra, rb in zip(a[1], b[1], strict=True):
        assert ra.keys() == rb.keys()
        for col in ra:
            np.testing.assert_array_equal(ra[col], rb[col], err_msg=col)
    assert a[2].keys() == b[2].keys()
    for kind in a[2]:
        for name in ("origin", "destination", "flow"):
            np.testing.assert_array_equal(getattr(a[2][kind], name), getattr(b[2][kind], name))
    assert a[3] == b[3]


def test_runs_side_by_side_equal_runs_alone():
    # shared decays (mobility only), a decay of their own, another world and another seed
    base = preset("exodus")
    params = [
        base,
        base.replace(mobility=base.mobility * 1.2),
        base.replace(talent_decay_km=base.talent_decay_km * 0.8),
        base.replace(adoption_midpoint=base.adoption_midpoint + 2),
        preset("concentration"),
        base.replace(max_employment_rate=0.8),
    ]
    worlds = [_world(p.max_employment_rate) for p in params]
    seeds = [0, 0, 0, 0, 3, 1]
    together = engine.run_rows_many(worlds, params, start=2025, end=2031, seeds=seeds)
    for w, p, s, got in zip(worlds, params, seeds, together, strict=True):
        _same_rows(got, engine.run_rows(w, p, start=2025, end=2031, seed=s))


def test_serve_many_shares_passes_and_keeps_each_result():
    rng = np.random.default_rng(5)
    n = 30
    xyz = rng.normal(0.0, 300.0, (2, n))
    geo = False  # planar km
    country = rng.integers(0, 3, n)
    asks = [
        (rng.uniform(0, 2, n), rng.uniform(0, 9, n), lam)
        for lam in (100.0, 100.0, 250.0, 100.0)  # three share one matrix
    ]

    def programs():
        return [
            _dense.flows_program(xyz, geo, country, w, o, lam=lam, r=0.1, border=0.5, w_out=0.3)
            for w, o, lam in asks
        ]

    alone = [_dense.serve(p) for p in programs()]
    together = _dense.serve_many(programs())
    for a, b in zip(alone, together, strict=True):
        for name in ("outflow", "inflow", "outside", "denom", "abroad"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    # against the kernel the dense flows replace
    from geoai.kernels.scenario import mobility_flows

    w, o, lam = asks[2]
    want = mobility_flows(xyz, geo, country, w, o, lam, 0.1, 0.5, 0.3, 0)
    np.testing.assert_allclose(together[2].inflow, want.inflow, rtol=1e-11, atol=1e-9)


def test_the_first_failing_program_raises_and_the_others_finish():
    done = []

    def program(i: int, *, fail: bool):
        f = np.eye(2)
        yield _dense.Product(f, np.zeros(2, dtype=np.int64), np.ones(2))
        if fail:
            raise InputError(f"run {i} failed")
        done.append(i)
        return i

    with pytest.raises(InputError, match="run 1 failed"):
        _dense.serve_many([program(i, fail=i in (1, 2)) for i in range(4)])
    assert done == [0, 3]
    assert _dense.serve_many([program(0, fail=False), program(1, fail=False)]) == [0, 1]
    assert _dense.serve_many([]) == []


def test_a_diverging_run_raises_as_it_does_alone():
    world = _world()
    wild = preset("exodus").replace(attractiveness_exponent=200.0)  # leaves the finite numbers
    with pytest.raises(InputError) as alone:
        engine.run_rows(world, wild, start=2025, end=2028, seed=0)
    with pytest.raises(InputError) as together:
        engine.run_rows_many(
            [world, world], [preset("exodus"), wild], start=2025, end=2028, seeds=[0, 0]
        )
    assert str(together.value) == str(alone.value)


def test_headlines_from_rows_equal_the_summary_exactly():
    sim = scenario.simulate(SMALL, COUNTRIES, preset="divergence", end=2030, classify_roles=False)
    world = _world(sim.params.max_employment_rate)
    rows = engine.run_rows(world, sim.params, start=2025, end=2030, seed=0)
    fast = pd.DataFrame(run_headlines(rows), columns=["metric", "value", "unit"])
    summary = sim.summary()
    assert fast["metric"].tolist() == summary.index.tolist()
    np.testing.assert_array_equal(fast["value"].to_numpy(), summary["value"].to_numpy())
    assert fast["unit"].tolist() == summary["unit"].tolist()


@pytest.mark.parametrize("classify_roles", [False, True])
def test_a_sweep_gives_the_figures_of_simulate(classify_roles):
    design = pd.DataFrame({"mobility": [0.05, 0.12], "remote_share": [0.3, np.nan]})
    res = sweep(
        "exodus", design=design, metros=SMALL, countries=COUNTRIES, end=2029,
        classify_roles=classify_roles, progress=False, scheduler="sync",
    )  # fmt: skip
    for label, row in design.iterrows():
        values = row.dropna().to_dict()
        sim = scenario.simulate(
            SMALL, COUNTRIES, preset="exodus", end=2029, classify_roles=classify_roles, **values
        )
        want = sim.summary()
        got = res.summary.loc[label, want.index].to_numpy(dtype=float)
        np.testing.assert_array_equal(got, want["value"].to_numpy(dtype=float))


def test_check_record_accepts_unknown_buffers_and_names_bad_columns():
    p = preset("baseline")
    ok = {"talent": np.ones(3), "fracture": np.array([np.nan, 0.0, 1.0])}
    assert check_record(ok, p, 2030) is ok
    for bad in (
        {"talent": np.array([1.0, np.inf, 0.0]), "fracture": np.zeros(3)},
        {"talent": np.array([1.0, np.nan, 0.0]), "fracture": np.zeros(3)},
        {"talent": np.ones(3), "fracture": np.array([np.nan, -np.inf, 0.0])},
        {"talent": float("nan"), "year": 2030},
    ):
        col = next(c for c, x in bad.items() if not np.all(np.isfinite(x)))
        with pytest.raises(InputError, match=col):
            check_record(bad, p, 2030)


def test_without_top_flows_only_the_last_years_capital_is_computed_another_way():
    world, p = _world(), preset("divergence")
    full = engine.run_rows(world, p, start=2025, end=2029, seed=0)
    (lean,) = engine.run_rows_many([world], [p], start=2025, end=2029, seeds=[0], keep_top=False)
    assert lean[2] == {}
    capital = {"capital", "capital_in", "capital_out"}
    for k, (a, b) in enumerate(zip(full[1], lean[1], strict=True)):
        for col in a:
            if k == len(full[1]) - 1 and col in capital:
                np.testing.assert_allclose(b[col], a[col], rtol=1e-11, atol=1e-3, err_msg=col)
            else:
                np.testing.assert_array_equal(b[col], a[col], err_msg=col)
    assert pd.DataFrame(run_headlines(lean)).equals(pd.DataFrame(run_headlines(full)))


@pytest.mark.parametrize("n", [1, 2, 9, 24, 25, 33, 100])
@pytest.mark.parametrize("scheduler", ["sync", "threads", None, "tcp://10.0.0.5:8786"])
def test_batches_cover_every_run_once_in_order(n, scheduler):
    from geoai.scenario.sweep import _BATCH_MAX, _chunks

    parts = _chunks(n, scheduler)
    assert [i for part in parts for i in part] == list(range(n))
    assert all(1 <= len(part) <= _BATCH_MAX for part in parts)
    if scheduler == "sync":
        assert len(parts) == -(-n // _BATCH_MAX)  # as few as the cap allows
    if scheduler is not None and scheduler.startswith("tcp://"):
        assert len(parts) == n  # a cluster: one run per task, every worker busy
