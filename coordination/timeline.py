"""A case's story in plain language, in English or Chinese: what happened, who did it, why.

Trainers replay a planted problem step by step; researchers read any incident the same way.

Example:
    >>> from coordination import JointEnforcementModel
    >>> model = JointEnforcementModel(scale=0.05, rng=1)
    >>> cover = model.plant("manhole_cover_compound", "g1", day=1.5, compound="g1-a1")
    >>> model.run_for(24 * 10)
    >>> story = timeline(model, cover.id, lang="zh")
    >>> story["text"].iloc[0]
    '小区 g1-a1 出现窨井盖缺失(小区)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:
    from coordination.model import JointEnforcementModel

Lang = Literal["en", "zh"]

PLANS = {
    "en": {"full": "a full fix", "superficial": "a superficial fix", "paper": "to close it on paper",
           "on the spot": "to deal with it on the spot"},
    "zh": {"full": "彻底处置", "superficial": "表面处置", "paper": "纸面结案",
           "on the spot": "简易问题快速处置(现场处置)"},
}
OUTCOMES = {
    "en": {"full fix": "fixed it",
           "superficial fix": "did the minimum (a warning sign, a word with the parties)",
           "closed on paper": "reported it done without doing anything",
           "fixed on the spot": "fixed it on the spot",
           "fell short": "tried to fix it properly but, short of the skill it needs, only partly solved it"},
    "zh": {"full fix": "已彻底处置", "superficial fix": "仅作警示或表面处置",
           "closed on paper": "未处置即报办结",
           "fixed on the spot": "已现场处置",
           "fell short": "尝试彻底处置,但缺乏专业能力,仅部分解决"},
}


def actor_label(model: JointEnforcementModel, actor: str, lang: Lang = "en") -> str:
    """A log actor as a person reads it: ``department:cheng_guan`` → 城管中队."""
    kind, _, rest = actor.partition(":")
    cfg = model.config
    if kind == "department":
        d = next((d for d in cfg.departments if d.id == rest), None)
        return (d.name_zh or d.name or rest) if lang == "zh" and d else (d.name or rest if d else rest)
    if kind == "property_manager":
        p = next((p for p in cfg.property_managers if p.id == rest), None)
        return (p.name or rest) if p else rest
    if kind == "inspector":
        team = rest.partition(":")[0]
        t = next((t for t in model.inspector_teams if t.spec.id == team), None)
        name = t.spec.name if t and t.spec.name else team
        return f"{name} 巡查员" if lang == "zh" else f"an inspector ({name})"
    if kind == "resident":
        return f"居民 {rest}" if lang == "zh" else f"resident {rest}"
    names = {"centre": ("the grid centre", "网格中心"), "town": ("", ""),
             "joint_enforcement": ("the joint-enforcement team", "联合执法队")}
    en, zh = names.get(actor, (actor, actor))
    return zh if lang == "zh" else en


def _sentence(model: JointEnforcementModel, row: pd.Series, lang: Lang) -> str:
    step, outcome, reason = row["step"], row["outcome"], row["reason"] or ""
    who = actor_label(model, row["actor"], lang)
    kinds = {k.id: k for k in model.config.incident_kinds}
    kind = kinds.get(row["kind"])
    name = (kind.name_zh or kind.name or kind.id) if lang == "zh" else (kind.name or kind.id)
    zh = lang == "zh"
    if step == "occurred":
        place = f"小区 {reason}" if reason != "street" else f"网格 {row['grid']} 街面"
        where = f"in compound {reason}" if reason != "street" else f"on a street of grid {row['grid']}"
        return f"{place} 出现{name}" if zh else f"{name} appears {where}"
    if step == "collect":
        source = {"hotline": ("a resident calls 12345", "居民拨打 12345 反映"),
                  "repeat": ("the resident calls 12345 again", "居民再次来电催办"),
                  "patrol": (f"{who} finds it on patrol and reports it", f"{who}巡查发现并上报"),
                  "patrol_fixed": (f"{who} fixes it on the spot and reports it",
                                   f"{who}现场处置并上报"),
                  "patrol_fixed_unlicensed": (
                      f"{who} fixes it on the spot without the licence it needs, and reports it",
                      f"{who}无证现场处置(无证操作)并上报")}.get(reason, (reason, reason))
        return source[1] if zh else source[0]
    if step == "register":
        case = row["case_id"]
        text = {"registered": (f"the grid centre opens case {case}", f"网格中心立案(工单 {case})"),
                "merged": (f"a duplicate: {reason}", f"重复工单:{reason}"),
                "rejected": (f"not filed: {reason}", f"不予立案:{reason}")}[outcome]
        return text[1] if zh else text[0]
    if step == "dispatch":
        if outcome == "overdue reminder":
            return "超过处置时限,网格中心督办" if zh else "the deadline passes; the centre sends a reminder"
        if outcome == "stuck":
            return f"无人承接:{reason}" if zh else f"no one will take it: {reason}"
        target = actor_label(model, outcome, lang)
        return f"派单至{target}({reason})" if zh else f"the centre sends it to {target} ({reason})"
    if step == "feedback":
        if outcome == "declined":
            return f"{who}退单:{reason}" if zh else f"{who} sends it back: {reason}"
        return f"{who}反馈办结" if zh else f"{who} reports it done"
    if step == "handle":
        if outcome == "accepted":
            plan, _, weighed = reason.partition("; ")
            what = PLANS[lang].get(plan, plan)
            why = f"({weighed})" if weighed else ""
            if zh:
                return f"{who}签收,决定{what}{why}"
            return f"{who} takes it on and chooses {what} {why}".strip()
        return f"{who}{OUTCOMES[lang].get(outcome, outcome)}" if zh else (
            f"{who} {OUTCOMES[lang].get(outcome, outcome)}")
    if step == "verify":
        if outcome == "closed":
            return f"{who}现场核查({reason}),结案" if zh else f"{who} checks on site ({reason}); case closed"
        return f"{who}现场核查({reason}),返工" if zh else f"{who} checks on site ({reason}); sent back"
    if step == "evaluate":
        return f"综合评价:{outcome}({reason})" if zh else f"rated {outcome} ({reason})"
    if step == "injury":
        if reason.startswith("accident"):
            return f"{who}因无证操作发生安全事故受伤" if zh else f"{who} is hurt in an accident ({reason})"
        return f"{who}受伤" if zh else f"{who} is hurt"
    if step == "escalation":
        return f"矛盾升级为{reason}" if zh else f"it escalates into {reason}"
    return f"{step}: {outcome}"


def timeline(model: JointEnforcementModel, incident_id: int, lang: Lang = "en") -> pd.DataFrame:
    """Every logged event of one incident and its cases, in time order, told in ``lang``."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang: '{lang}' is not allowed; allowed: en, zh")
    log = model.case_log()
    rows = log[log["incident_id"] == incident_id].sort_values("time", kind="stable").copy()
    rows["when"] = [f"day {int(t // 24)} {int(t % 24):02d}:{int(t * 60 % 60):02d}"
                    for t in rows["time"]]
    rows["text"] = [_sentence(model, row, lang) for _, row in rows.iterrows()]
    return rows[["when", "time", "case_id", "step", "step_zh", "actor", "text"]].reset_index(
        drop=True)
