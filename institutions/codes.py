"""The codes of the case log: the workflow's steps, their outcomes and reasons, and who acts.

They are the vocabulary of the rules (C town's seven-step workflow, what a department may
answer to a work order, what an on-site check may find), so they live with the rules. Each is
a short readable word; :mod:`coordination.words` gives it in English and Chinese, and
docs/case_log.md says what each means.

Example:
    >>> Step.VERIFY == "verify", Outcome("superficial_fix") is Outcome.SUPERFICIAL_FIX
    (True, True)
"""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """Steps of the case workflow (C town's seven, 一.(二).3.(3)) and events of an incident."""

    OCCURRED = "occurred"  # 发生
    COLLECT = "collect"  # 信息收集
    REGISTER = "register"  # 案卷建立
    DISPATCH = "dispatch"  # 任务派遣
    HANDLE = "handle"  # 任务处理
    FEEDBACK = "feedback"  # 处理反馈
    VERIFY = "verify"  # 核查结案
    EVALUATE = "evaluate"  # 综合评价
    INJURY = "injury"  # 伤害
    ESCALATION = "escalation"  # 矛盾升级


class Outcome(StrEnum):
    """What a step came to."""

    OCCURRED = "occurred"
    REPORTED = "reported"
    FIXED_ON_SPOT = "fixed_on_spot"
    REGISTERED = "registered"
    MERGED = "merged"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    STUCK = "stuck"
    REMINDED = "reminded"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    FULL_FIX = "full_fix"
    SUPERFICIAL_FIX = "superficial_fix"
    PAPER_CLOSURE = "paper_closure"
    FELL_SHORT = "fell_short"
    PROCURED = "procured"  # a facility's owner found, materials and budget in hand (权属, 采购)
    EXTENDED = "extended"  # a deadline extension granted (延期)
    EXTENSION_REFUSED = "extension_refused"
    EXCLUDED = "excluded"  # taken out of the assessed figures as unreasonable (不合理诉求)
    REOPENED = "reopened"  # closed before its deadline and opened again as a new ticket (先结后开)
    DONE = "done"
    CLOSED = "closed"
    REWORK = "rework"
    GOOD = "good"  # 好
    FAIR = "fair"  # 良
    POOR = "poor"  # 差
    WORKED_ON_CALLER = "worked_on_caller"  # 做工作: a caller talked round before the call-back
    INJURED = "injured"
    ESCALATED = "escalated"


class Reason(StrEnum):
    """Why a step came to its outcome (or how a report came in)."""

    # how a report came in (collect)
    HOTLINE = "hotline"
    REPEAT_CALL = "repeat_call"
    PATROL = "patrol"
    PATROL_FIX = "patrol_fix"
    UNLICENSED_FIX = "unlicensed_fix"
    REOPENED_TICKET = "reopened_ticket"  # the centre opens a problem again as a new ticket
    CAMPAIGN = "campaign"  # special rectification (专项整治) of a listed problem
    # filed (register)
    REPEAT_TICKET = "repeat_ticket"  # 重复工单: an earlier ticket was closed, the problem is there
    # not filed (register)
    DUPLICATE = "duplicate"
    ALREADY_SOLVED = "already_solved"
    ANSWERED_BY_HOTLINE = "answered_by_hotline"
    # why this owner, or none (dispatch)
    SOLE_OWNER = "sole_owner"
    ONE_OF_OWNERS = "one_of_owners"
    LEADER_ORDER = "leader_order"
    MEETING_OWNER = "meeting_owner"
    MEETING_JOINT_TEAM = "meeting_joint_team"
    NO_OWNER = "no_owner"
    DECLINED_BY_ALL = "declined_by_all"
    DEADLINE_PASSED = "deadline_passed"
    # declines (feedback)
    NOT_OURS = "not_ours"
    OUTSIDE_REMIT = "outside_remit"
    UNREASONABLE = "unreasonable"  # a ticket claimed unreasonable or out of scope (不合理诉求)
    RECLASSIFICATION_REFUSED = "reclassification_refused"
    # how the response was chosen, and done (handle)
    WEIGHED_COSTS = "weighed_costs"
    COMPLIANT = "compliant"
    ON_THE_SPOT = "on_the_spot"
    JOINT_TEAM = "joint_team"
    SHORT_OF_SKILL = "short_of_skill"
    EXPECTED_LATE = "expected_late"
    DEADLINE_DUE = "deadline_due"  # an order in hand at its deadline, under an on-time KPI
    # what the on-site check saw (verify)
    FIXED = "fixed"
    GONE = "gone"
    SUPERFICIAL_PASSED = "superficial_passed"
    PAPER_PASSED = "paper_passed"
    SUPERFICIAL_CAUGHT = "superficial_caught"
    NOTHING_DONE = "nothing_done"
    # what hurt someone (injury)
    UNSOLVED_HAZARD = "unsolved_hazard"
    UNLICENSED_ACCIDENT = "unlicensed_accident"


class ActorKind(StrEnum):
    """Who acts in a row (``actor_kind``) or receives a work order (``target_kind``)."""

    TOWN = "town"
    RESIDENT = "resident"
    INSPECTOR = "inspector"
    CENTRE = "centre"
    DEPARTMENT = "department"
    PROPERTY_MANAGER = "property_manager"
    JOINT_ENFORCEMENT = "joint_enforcement"
