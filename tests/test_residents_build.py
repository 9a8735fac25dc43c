"""Residents made in batches (Resident.create_batch) are the same Mesa agents as ones made singly."""

from __future__ import annotations

import pandas as pd
import pytest
from mesa.experimental.mesa_signals import ModelSignals

from agents import Resident
from coordination import JointEnforcementModel
from experiments.output import to_json


class ObservedModel(JointEnforcementModel):
    """The same town with an observer of agent additions subscribed before any agent is made."""

    def _build_agents(self) -> None:
        self.seen: list = []
        self.observe("agents", ModelSignals.AGENT_ADDED, self._saw)
        super()._build_agents()

    def _saw(self, signal) -> None:
        self.seen.append(signal.additional_kwargs["args"][0])


def _residents(model: JointEnforcementModel) -> list[tuple]:
    return [(r.unique_id, r.grid, r.compound, r.trust) for r in model.agents_by_type[Resident]]


@pytest.fixture
def counted_inits(monkeypatch):
    """How many times Resident.__init__ (the ordinary, one-at-a-time path) runs."""
    calls = []
    ordinary = Resident.__init__

    def counting(self, *args, **kwargs):
        calls.append(1)
        ordinary(self, *args, **kwargs)

    monkeypatch.setattr(Resident, "__init__", counting)
    return calls


def test_every_resident_is_a_registered_mesa_agent_with_its_own_id():
    model = JointEnforcementModel(scale=0.05, rng=1)
    residents = list(model.agents_by_type[Resident])
    assert len(residents) == model.n_residents == 9000
    assert all(r in model.agents for r in residents)
    assert len({r.unique_id for r in residents}) == len(residents)
    assert len({a.unique_id for a in model.agents}) == len(model.agents)
    by_grid = [r for people in model.residents_by_grid.values() for r in people]
    assert by_grid == residents
    assert all(r.model is model and r.pos is None for r in residents)


def test_batch_build_gives_the_same_agents_and_ids_as_an_ordinary_build(counted_inits):
    fast = JointEnforcementModel(scale=0.05, rng=1)
    assert counted_inits == []  # no resident went through Agent.__init__
    ordinary = ObservedModel(scale=0.05, rng=1)
    assert len(counted_inits) == ordinary.n_residents  # the observer forced the ordinary path
    assert _residents(fast) == _residents(ordinary)
    assert fast.agent_id_counter == ordinary.agent_id_counter
    assert ([(type(a), a.unique_id) for a in fast.agents]
            == [(type(a), a.unique_id) for a in ordinary.agents])


def test_a_resident_made_in_a_batch_can_be_removed():
    model = JointEnforcementModel(scale=0.02, rng=1)
    before = len(model.agents)
    first = model.agent_id_counter
    batch = Resident.create_batch(model, 4, model.config.grids[0].id, None, 0.5)
    assert [r.unique_id for r in batch] == list(range(first, first + 4))
    assert model.agent_id_counter == first + 4 and len(model.agents) == before + 4
    gone = batch[1]
    gone.remove()
    assert gone not in model.agents and gone not in model.agents_by_type[Resident]
    assert len(model.agents) == before + 3
    built = model.agents_by_type[Resident][0]
    built.remove()
    assert built not in model.agents and len(model.agents) == before + 2


def test_an_observer_of_agent_additions_is_told_of_every_resident():
    model = ObservedModel(scale=0.05, rng=1)
    residents = [a for a in model.seen if isinstance(a, Resident)]
    assert residents == list(model.agents_by_type[Resident])
    assert len(residents) == model.n_residents
    model.seen.clear()
    batch = Resident.create_batch(model, 3, model.config.grids[0].id, None, 0.5)
    assert model.seen == batch


def test_an_observer_subscribed_later_sees_later_batches():
    model = JointEnforcementModel(scale=0.02, rng=1)
    seen = []

    class Watcher:
        def saw(self, signal):
            seen.append(signal.additional_kwargs["args"][0])

    watcher = Watcher()
    model.observe("agents", ModelSignals.AGENT_ADDED, watcher.saw)
    batch = Resident.create_batch(model, 5, model.config.grids[0].id, "somewhere", 0.3)
    assert seen == batch
    model.unobserve("agents", ModelSignals.AGENT_ADDED, watcher.saw)
    seen.clear()
    Resident.create_batch(model, 2, model.config.grids[0].id, None, 0.3)
    assert seen == []


def test_a_short_run_gives_the_same_figures_either_way():
    fast, ordinary = JointEnforcementModel(scale=0.05, rng=1), ObservedModel(scale=0.05, rng=1)
    for model in (fast, ordinary):
        model.run_for(24 * 20)
    assert to_json(fast.metrics()) == to_json(ordinary.metrics())
    pd.testing.assert_frame_equal(fast.case_log(), ordinary.case_log())
    assert fast.trust_total == ordinary.trust_total


def test_an_observer_is_told_of_a_batch_made_inside_a_batch_of_signals():
    model = ObservedModel(scale=0.02, rng=1)
    model.seen.clear()
    with model.batch():
        batch = Resident.create_batch(model, 3, model.config.grids[0].id, None, 0.5)
        assert model.seen == []  # signals are held until the batch ends
    assert model.seen == batch
