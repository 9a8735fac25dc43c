"""Who acts: residents, grid inspectors, the grid centre, departments and property managers.

Each is a Mesa agent that reaches the world through ``self.model``.
"""

from agents.grid_center import GridCenter
from agents.inspector import GridInspector, InspectorTeamAgents
from agents.organisation import Department, PropertyManager, WorkOrderHandler
from agents.resident import Resident

__all__ = [
    "Department",
    "GridCenter",
    "GridInspector",
    "InspectorTeamAgents",
    "PropertyManager",
    "Resident",
    "WorkOrderHandler",
]
