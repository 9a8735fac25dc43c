"""Special rectification (专项整治) of the problems that keep coming back as repeat tickets.

A ticket about a problem whose earlier ticket was closed while the problem was still there is a
repeat ticket (重复工单). The paper calls them the centre's hardest problem: "热线工单中的重复工单
一直是老大难问题 … 职能部门一时难以解决" (C town), and all three towns answer the problems that
last with special rectification: C town's weekly special meeting on leftover tickets (专项解决),
D street's coordination meetings and joint operations on long-standing problems (历史遗留问题),
N town's concentrated campaigns, three weeks to pick the departments, the places (拟定需要集中整治
的地方) and the tools, for two hours of enforcement. In the model each repeat ticket puts its
problem on the town's list; a meeting that takes repeat tickets, or the next joint operation,
takes problems off it, those with the most repeat tickets first, as far as its capacity goes.
What a town's institutions can clear is what ends a problem that its handlers only ever patch.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(preset="d_street", scale=0.05, rng=1)
    >>> model.run_for(24 * 180)                      # half a year
    >>> model.campaigns.listed_ever, model.campaigns.cleared
    (10, 4)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coordination.incidents import Incident
    from coordination.model import JointEnforcementModel


class Campaigns:
    """The town's list of problems for special rectification (专项整治清单)."""

    def __init__(self, model: JointEnforcementModel) -> None:
        self.model = model
        self._listed: dict[int, Incident] = {}
        self.listed_ever = 0  # times a problem was put on the list
        self.cleared = 0  # listed problems fixed in a joint operation

    def __len__(self) -> int:
        return len(self._listed)

    def add(self, incident: Incident) -> None:
        """A repeat ticket about ``incident``: put it on the list (once) and ask for a joint
        operation if none is being prepared."""
        if incident.id not in self._listed:
            self._listed[incident.id] = incident
            self.listed_ever += 1
        self.model.joint.prepare()

    def take(self) -> list[Incident]:
        """The listed problems still there, most repeat tickets first (then the earliest
        listed); the problems solved meanwhile leave the list."""
        for key in [k for k, inc in self._listed.items() if inc.solved]:
            del self._listed[key]
        return sorted(self._listed.values(), key=lambda inc: -inc.repeat_tickets)

    def remove(self, incident: Incident) -> None:
        """Taken up (by a meeting or an operation): off the list until it comes back."""
        self._listed.pop(incident.id, None)
