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

import re
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


REASONS_ZH = [  # the case log's reasons (English, as logged) read in Chinese
    (r"^mandate: sole owner$", "职责清单:唯一责任方"),
    (r"^mandate: one of (\d+)$", r"职责清单:\1 个可能的责任方之一"),
    (r"^leader's order after declines$", "多次退单后领导批示"),
    (r"^(\w+): joint team$", r"\1:组建联合处置小组"),
    (r"^(\w+): owner bound by the meeting$", r"\1:会议明确责任方"),
    (r"^not ours: for (.+)$", r"非本单位职责,应由 \1 处理"),
    (r"^not ours: outside our remit$", "非本单位职责"),
    (r"^no owner in the mandate map$", "职责清单中无责任方"),
    (r"^declined by all of (.+)$", r"被所有责任方退回:\1"),
    (r"^superficial fix passed as handled$", "表面处置被当作已处置通过"),
    (r"^only a superficial fix$", "仅为表面处置"),
    (r"^closed on paper$", "纸面结案未被发现"),
    (r"^nothing was done$", "未作任何处置"),
    (r"^nothing there any more$", "问题已不存在"),
    (r"^fixed$", "已解决"),
    (r"^outcome fixed$", "结果:已解决"),
    (r"^outcome partial$", "结果:仅表面处置"),
    (r"^outcome unsolved$", "结果:未解决"),
    (r"^outcome gone$", "结果:问题已自行消失"),
    (r"^(\d+)/(\d+) callers satisfied$", r"来电人满意 \1/\2"),
    (r"^skill ([\d.]+) in (\w+)$", r"\2 领域专业能力 \1"),
    (r"^duplicate of case (\d+)$", r"与工单 \1 重复"),
]
WEIGHED_ZH = {"weighed": "权衡成本:", "full": "彻底处置", "superficial": "表面处置", "paper": "纸面结案",
              "decline": "退单"}


def reason_zh(reason: str) -> str:
    """A logged reason read in Chinese where its pattern is known (else as logged).

    Example:
        >>> reason_zh("not ours: for greening; weighed full 1.2, decline 2.5")
        '非本单位职责,应由 greening 处理;权衡成本:彻底处置 1.2,退单 2.5'
    """
    parts = []
    for part in reason.split("; "):
        if part.startswith("weighed "):
            costs = [c.split(" ") for c in part.removeprefix("weighed ").split(", ")]
            parts.append(WEIGHED_ZH["weighed"] + ",".join(f"{WEIGHED_ZH.get(k, k)} {v}" for k, v in costs))
            continue
        for pattern, zh in REASONS_ZH:
            if re.match(pattern, part):
                part = re.sub(pattern, zh, part)
                break
        parts.append(part)
    return ";".join(parts)


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
    zr = reason_zh(reason) if lang == "zh" else reason
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
                "merged": (f"a duplicate: {reason}", f"重复工单:{zr}"),
                "rejected": (f"not filed: {reason}", f"不予立案:{zr}")}[outcome]
        return text[1] if zh else text[0]
    if step == "dispatch":
        if outcome == "overdue reminder":
            return "超过处置时限,网格中心督办" if zh else "the deadline passes; the centre sends a reminder"
        if outcome == "stuck":
            return f"无人承接:{zr}" if zh else f"no one will take it: {reason}"
        target = actor_label(model, outcome, lang)
        return f"派单至{target}({zr})" if zh else f"the centre sends it to {target} ({reason})"
    if step == "feedback":
        if outcome == "declined":
            return f"{who}退单:{zr}" if zh else f"{who} sends it back: {reason}"
        return f"{who}反馈办结" if zh else f"{who} reports it done"
    if step == "handle":
        if outcome == "accepted":
            plan, _, weighed = reason.partition("; ")
            what = PLANS[lang].get(plan, plan)
            why = f"({weighed})" if weighed else ""
            if zh:
                return f"{who}签收,决定{what}" + (f"({reason_zh(weighed)})" if weighed else "")
            return f"{who} takes it on and chooses {what} {why}".strip()
        return f"{who}{OUTCOMES[lang].get(outcome, outcome)}" if zh else (
            f"{who} {OUTCOMES[lang].get(outcome, outcome)}")
    if step == "verify":
        if outcome == "closed":
            return f"{who}现场核查({zr}),结案" if zh else f"{who} checks on site ({reason}); case closed"
        return f"{who}现场核查({zr}),返工" if zh else f"{who} checks on site ({reason}); sent back"
    if step == "evaluate":
        return f"综合评价:{outcome}({zr})" if zh else f"rated {outcome} ({reason})"
    if step == "injury":
        if reason.startswith("accident"):
            return f"{who}因无证操作发生安全事故受伤" if zh else f"{who} is hurt in an accident ({reason})"
        return f"{who}受伤" if zh else f"{who} is hurt"
    if step == "escalation":
        zh_name = re.search(r"\(([^()]*[\u4e00-\u9fff][^()]*)\)", reason)
        return f"矛盾升级为{zh_name.group(1) if zh_name else reason}" if zh else f"it escalates into {reason}"
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
