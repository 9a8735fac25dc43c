"""Residents (居民): harmed by unsolved hazards, callers of the 12345 hotline, judges of outcomes.

A resident acts only when something happens to them: they pass a problem and notice it, they
are hurt by it, or they are called back about their report (回访). Nothing steps them every
hour, which is how a town of 180,000 runs in seconds.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.02, rng=1)
    >>> someone = model.agents_by_type[Resident][0]
    >>> 0.0 <= someone.trust <= 1.0
    True
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

import mesa
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals import ModelSignals
from mesa.mesa_logging import get_module_logger

from institutions.codes import ActorKind, Reason

if TYPE_CHECKING:
    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel


_MESA_MODEL_LOG = get_module_logger("mesa.model")  # where Model.register_agent logs each agent


class Resident(mesa.Agent):
    """A person living in a grid, possibly in a compound (小区).

    Only ``model``, ``unique_id``, ``grid``, ``compound`` and ``trust`` are stored with each
    resident; the fields that most residents never change (``reports``, ``injuries``,
    ``following``, ``followed``, ``repeats``, and Mesa's ``pos``) are class-level defaults, and
    ``self.reports += 1`` gives a resident its own value the first time it changes.
    """

    model: JointEnforcementModel
    pos = None  # Mesa's Agent.__init__ sets it on each agent; residents have no position
    reports: int = 0
    injuries: int = 0
    following: Incident | None = None
    followed: Incident | None = None  # the last problem called about again
    repeats: int = 0  # calls again about ``followed``

    def __init__(self, model: JointEnforcementModel, grid: str, compound: str | None,
                 trust: float) -> None:
        super().__init__(model)
        self.grid = grid
        self.compound = compound
        self.trust = trust

    @classmethod
    def create_batch(cls, model: JointEnforcementModel, n: int, grid: str,
                     compound: str | None, trust: float) -> list[Self]:
        """``n`` residents of ``grid`` (and ``compound``) with ``trust``, registered with ``model``.

        Equivalent to ``[cls(model, grid, compound, trust) for _ in range(n)]``: the same
        agents, in ``model.agents`` and ``model.agents_by_type[cls]`` in the same order, with
        the same unique ids (taken in turn from ``model.agent_id_counter``, as Mesa's
        ``Model.register_agent`` takes them), each removable with ``agent.remove()``.

        Why: Mesa's ``Agent.__init__`` costs about 2.4 µs per agent. ``Model.register_agent``
        runs through the signal-emitting ``@emit`` wrapper, formats a ``logger.debug`` call and
        adds the agent to two agent sets one at a time; for the 9,000 residents of N town at
        scale 0.05 that is about 22 ms of a 60 ms short run. When nobody can observe the
        registration (no subscriber to the model's ("agents", AGENT_ADDED) signal, no batch of
        signals being captured, no dataset tracking the class, Mesa's model logger not at DEBUG,
        neither ``register_agent`` nor ``__init__`` overridden) the instances are made with
        ``cls.__new__``, given their attributes directly and added to the model's agent sets in
        bulk. Otherwise each resident is made the ordinary way, so observers see every one.

        Example:
            >>> from coordination import JointEnforcementModel
            >>> model = JointEnforcementModel(scale=0.02, rng=1)
            >>> first = model.agent_id_counter
            >>> batch = Resident.create_batch(model, 3, model.config.grids[0].id, None, 0.5)
            >>> [r.unique_id - first for r in batch], all(r in model.agents for r in batch)
            ([0, 1, 2], True)
        """
        if n <= 0:
            return []
        if not cls._unobserved(model):
            return [cls(model, grid, compound, trust) for _ in range(n)]
        new = cls.__new__
        first = model.agent_id_counter
        batch = []
        for uid in range(first, first + n):
            resident = new(cls)
            resident.model = model
            resident.unique_id = uid
            resident.grid = grid
            resident.compound = compound
            resident.trust = trust
            batch.append(resident)
        model.agent_id_counter = first + n
        added = dict.fromkeys(batch)
        model._all_agents._agents.update(added)
        try:
            model._agents_by_type[cls]._agents.update(added)
        except KeyError:  # as Model.register_agent makes the set for a new type
            model._agents_by_type[cls] = _HardKeyAgentSet(batch, random=model.random)
        return batch

    @classmethod
    def _unobserved(cls, model: mesa.Model) -> bool:
        """Whether registering agents of ``cls`` with ``model`` has no effect but registration."""
        signalled = not model._suppress and (
            model._batch_context is not None
            or model._has_subscribers("agents", ModelSignals.AGENT_ADDED))
        return not (signalled or cls._datasets
                    or _MESA_MODEL_LOG.isEnabledFor(logging.DEBUG)
                    or type(model).register_agent is not mesa.Model.register_agent
                    or cls.__init__ is not Resident.__init__
                    or not isinstance(model._all_agents, _HardKeyAgentSet))

    @property
    def log_actor(self) -> tuple[ActorKind, str, None]:
        return (ActorKind.RESIDENT, str(self.unique_id), None)

    def adjust_trust(self, delta: float) -> None:
        """Trust in government (公信力) moves with what happens; kept within [0, 1]."""
        new = min(1.0, max(0.0, self.trust + delta))
        self.model.trust_total += new - self.trust
        self.trust = new

    def notice(self, incident: Incident) -> None:
        """Passing a problem: call the hotline with a probability equal to one's trust."""
        if self.model.resident_rng.random() < self.trust:
            self.report(incident, Reason.HOTLINE)

    def report(self, incident: Incident, source: Reason) -> None:
        """Call 12345 (or call again: a repeat report)."""
        if not self.reports:
            self.model.callers.append(self)
        self.reports += 1
        self.model.centre.receive(self.model.workflow.collect(incident, self, source))

    def harm(self, incident: Incident) -> None:
        """Hurt by an unsolved hazard (the passer-by who fell into the open manhole)."""
        self.injuries += 1
        self.adjust_trust(-self.model.config.residents.harm_trust_loss)
        self.model.record_injury(incident, self, Reason.UNSOLVED_HAZARD)

    def hear_outcome(self, incident: Incident, worked_on: bool = False) -> bool:
        """Called back (回访) about a closed case: whether one says one is satisfied.

        Satisfied if the problem is really gone; otherwise with the chance the town's residents
        are satisfied by a superficial fix or by an attentive call alone
        (``satisfied_if_partial``, ``satisfied_if_unsolved``), and, if the handler talked one
        round first (``worked_on``, 做工作), with the chance that works (``persuasion``). Trust
        follows what is there: up when the problem is gone, unchanged when one is content with
        what was done, down otherwise (talked round or not). A dissatisfied resident calls
        again later, up to ``max_repeats`` times about the same problem (and about one problem
        at a time).
        """
        model = self.model
        params = model.config.residents
        if incident.solved:
            self.adjust_trust(params.trust_gain)
            return True
        content = (params.satisfied_if_partial if incident.state == "partial"
                   else params.satisfied_if_unsolved)
        rng = model.resident_rng
        if content and rng.random() < content:
            return True
        self.adjust_trust(-params.trust_loss)
        if worked_on and rng.random() < model.config.institutions.gaming.persuasion:
            return True
        if self.followed is not incident:
            self.followed, self.repeats = incident, 0
        if self.following is None and self.repeats < params.max_repeats:
            self.following = incident
            delay = float(params.repeat_after_hours.sample(rng))
            model.schedule_event(self.follow_up, after=delay)
        return False

    def follow_up(self) -> None:
        """Call again about a problem that is still there (重复工单)."""
        incident, self.following = self.following, None
        if incident is not None and not incident.solved:
            self.repeats += 1
            self.report(incident, Reason.REPEAT_CALL)
