"""Every string of the dashboard in English and Chinese, and the words for the model's names.

Example:
    >>> t("step", "zh"), t("step", "en")
    ('前进', 'Step')
    >>> t("day_n", "en", n=12)
    'Day 12'
    >>> lever_label("institutions.authority.kind", "zh")
    '中心的权威'
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

STRINGS: dict[str, tuple[str, str]] = {
    # shell
    "app_title": ("gridgov: joint enforcement in grid management", "gridgov:网格化管理中的联勤联动"),
    "explore": ("Explore", "探索"),
    "compare": ("Compare", "比较"),
    "train": ("Train", "培训"),
    "sweep": ("Sweep results", "扫描结果"),
    "language": ("Language", "语言"),
    # run controls
    "preset": ("Town (preset)", "城镇(预设)"),
    "seed": ("Seed", "随机种子"),
    "scale": ("Scale (1 = the town at 1:1)", "规模(1 = 原样大小)"),
    "step": ("Step", "前进"),
    "step_days": ("Days per step", "每步天数"),
    "play": ("Play", "播放"),
    "pause": ("Pause", "暂停"),
    "reset": ("Reset", "重置"),
    "reset_help": ("Reset starts a new run with the settings on the left.",
                   "“重置”按左侧设置重新开始运行。"),
    "apply_now": ("Put levers in force now", "立即实施这些设置"),
    "pending": ("Settings changed: press Reset to start over with them, or put the levers in force now.",
                "设置已改动:按“重置”以新设置重新开始,或立即在本次运行中实施。"),
    "day_n": ("Day {n}", "第 {n} 天"),
    "reform": ("Reform", "改革"),
    "switch_on": ("Switch on now", "立即实施"),
    "switched_on": ("Switched on", "已实施"),
    "in_force": ("Reforms in force", "实施中的改革"),
    "reforms_from_start": ("Reforms from day 0", "从第 0 天起实施的改革"),
    "none": ("(none)", "(无)"),
    "not_a_number": ("'{value}' is not a number", "“{value}”不是数字"),
    "not_whole": ("'{value}' is not a whole number", "“{value}”不是整数"),
    "out_of_range": ("{value} is out of range; allowed: {allowed}", "{value} 超出范围;允许:{allowed}"),
    "seed_allowed": ("a whole number >= 0", "大于等于 0 的整数"),
    "scale_allowed": ("a number > 0 and <= 1", "大于 0 且不超过 1 的数"),
    # levers
    "levers": ("Levers", "制度杠杆"),
    "sec_authority": ("Authority of the centre", "网格中心的权威"),
    "sec_mandates": ("Mandates", "职责"),
    "sec_assessment": ("Assessment and KPIs", "考核与指标"),
    "sec_meetings": ("Joint-duty meetings", "联勤联动会议"),
    "sec_joint": ("Joint enforcement", "联合执法"),
    "sec_staffing": ("Staffing (at 1:1)", "人员配置(原样规模)"),
    "sec_training": ("Training and outsourcing", "培训与外包"),
    "sec_participation": ("Participation", "社会参与"),
    "sec_targeting": ("Differentiation", "差别化治理"),
    "meeting_on": ("held", "召开"),
    # map and charts
    "town_map": ("The town", "城镇地图"),
    "charts": ("As it unfolds", "运行过程"),
    "st_waiting": ("reported, awaiting dispatch", "已立案待派遣"),
    "st_dispatched": ("dispatched", "已派遣"),
    "st_declined": ("declined / stuck", "被退单 / 无人承接"),
    "st_handling": ("being handled", "处置中"),
    "st_checking": ("awaiting check / rework", "待核查 / 返工"),
    "st_closed_unfixed": ("closed, not fixed", "已结案但未解决"),
    "st_unreported": ("not reported yet", "尚未上报"),
    "hazard": ("hazard to passers-by", "对行人有危险"),
    "overdue_edge": ("thick edge: overdue", "粗边:已超期"),
    "compound": ("compound", "小区"),
    "inspector": ("inspector", "巡查员"),
    "planted": ("the planted case", "设定的案件"),
    "open_overdue": ("Open and overdue cases", "在办与超期案件"),
    "open": ("open", "在办"),
    "overdue": ("overdue", "超期"),
    "closure_vs_real": ("Closure vs real resolution", "结案率与真实解决率"),
    "closure": ("closure rate", "结案率"),
    "real": ("real resolution", "真实解决率"),
    "injuries_chart": ("Residents hurt (cumulative)", "居民受伤(累计)"),
    "trust_chart": ("Resident trust", "居民信任"),
    "declines_chart": ("Declines, closures on paper", "退单与纸面结案(累计)"),
    "declines": ("declines", "退单"),
    "paper": ("closures on paper", "纸面结案"),
    "workload_chart": ("Share of work orders", "各部门工单占比"),
    "day": ("day", "天"),
    "no_orders": ("no work orders yet", "尚无工单"),
    # referral network and case inspector
    "referrals": ("Referral network", "转派网络"),
    "referrals_help": ("Cases that moved between departments; an arrow's width and number are hops.",
                       "在部门之间转派的案件;箭头粗细与数字为转派次数。"),
    "no_referrals": ("No case has moved between departments yet.", "尚无案件在部门之间转派。"),
    "case_inspector": ("Case inspector", "案件查看"),
    "case_pick": ("Case (most passed-on first)", "案件(转派最多者在前)"),
    "case_number": ("or a case number", "或输入案件编号"),
    "no_case": ("No case {value} in this run", "本次运行中没有案件 {value}"),
    "no_cases": ("No cases yet: step the model.", "尚无案件:请先运行模型。"),
    "when": ("when", "时间"),
    "what_step": ("step", "环节"),
    "actor": ("who", "执行者"),
    "what": ("what happened, and why", "经过与原因"),
    "metrics": ("Now", "当前"),
    # compare
    "setting_a": ("Setting A", "方案 A"),
    "setting_b": ("Setting B", "方案 B"),
    "same_seed": ("Same town, same seed, same incidents: only the institutions differ.",
                  "同一城镇、同一随机种子、同样的事件:只有制度不同。"),
    "difference": ("Difference B − A as it unfolds", "运行中的差值 B − A"),
    "replications": ("Replications (as `gridgov compare`)", "重复实验(同 `gridgov compare`)"),
    "reps": ("Replications", "重复次数"),
    "days": ("Days", "天数"),
    "run_reps": ("Run replications", "运行重复实验"),
    "running": ("Running {n} runs…", "正在运行 {n} 次…"),
    "reps_help": ("Mean with 95% interval per setting; B − A paired over the same seeds.",
                  "每个方案的均值与 95% 区间;B − A 为相同种子下的配对差值。"),
    "reps_allowed": ("a whole number from 2 to 100", "2 到 100 之间的整数"),
    "days_allowed": ("a whole number from 1 to 730", "1 到 730 之间的整数"),
    # train
    "scenario": ("Scenario", "情景"),
    "run_scenario": ("Run the scenario", "运行情景"),
    "source": ("From the paper", "论文原文"),
    "failure": ("The failure", "失败表现"),
    "failed_yes": ("It happened: {failure}", "发生了:{failure}"),
    "failed_no": ("It did not happen this time ({failure})", "这次没有发生({failure})"),
    "event_n": ("Event {i} of {n}", "第 {i} 个事件,共 {n} 个"),
    "previous": ("Previous", "上一步"),
    "next": ("Next", "下一步"),
    "replay_under": ("Replay under a reform", "在改革下重演"),
    "replay": ("Replay", "重演"),
    "as_is": ("As it is", "现行制度"),
    "under": ("Under {reform}", "实施 {reform} 后"),
    "timeline": ("Timeline", "时间线"),
    "town_then": ("The town at that moment", "此刻的城镇"),
    # sweep results
    "sweep_folder": ("Sweep folder (the --out of `gridgov sweep`)",
                     "扫描结果文件夹(`gridgov sweep` 的 --out)"),
    "open_folder": ("Open", "打开"),
    "metric": ("Metric", "指标"),
    "param_x": ("Parameter", "参数"),
    "param_y": ("Second parameter (heat map)", "第二个参数(热图)"),
    "runs_read": ("{runs} runs at {points} points ({failed} failed)",
                  "共 {runs} 次运行,{points} 个设计点({failed} 次失败)"),
    "sensitivity": ("Sensitivity indices", "敏感性指数"),
    "index_sobol": ("Sobol' indices: first order (S1) and total (ST), with 95% intervals",
                    "Sobol 指数:一阶(S1)与总效应(ST),含 95% 区间"),
    "index_morris": ("Morris effects (mu*), with 95% intervals", "Morris 效应(mu*),含 95% 区间"),
    "no_sensitivity": ("No sensitivity analysis in this folder (run `gridgov analyze DIR --sobol`).",
                       "此文件夹中没有敏感性分析(运行 `gridgov analyze DIR --sobol`)。"),
    "no_runs": ("This sweep has no finished runs yet.", "此扫描尚无完成的运行。"),
    "mean_ci": ("mean and 95% interval", "均值与 95% 区间"),
    "ci_width": ("95% interval ±", "95% 区间 ±"),
}

METRICS: dict[str, tuple[str, str]] = {
    "cases_reported": ("cases reported", "上报数"),
    "cases_registered": ("cases registered", "立案数"),
    "cases_closed": ("cases closed", "结案数"),
    "closure_rate": ("closure rate", "结案率"),
    "on_time_rate": ("on-time rate", "按期处置率"),
    "real_resolution_rate": ("real resolution rate", "真实解决率"),
    "rework_rate": ("rework rate", "返工率"),
    "paper_closures": ("closures on paper", "纸面结案"),
    "superficial_fixes": ("superficial fixes", "表面处置"),
    "declines": ("declines", "退单"),
    "mean_hops": ("mean hops", "平均派遣次数"),
    "open_cases": ("open cases", "在办案件"),
    "overdue_cases": ("overdue cases", "超期案件"),
    "injuries": ("injuries", "受伤人数"),
    "escalations": ("escalations", "矛盾升级"),
    "repeat_reports": ("repeat reports", "重复上报"),
    "median_hours_to_close": ("median hours to close", "结案时长中位数(小时)"),
    "workload_hhi": ("workload concentration (HHI)", "工作量集中度(HHI)"),
    "officer_hours": ("officer hours", "人员工时"),
    "meeting_hours": ("meeting hours", "会议工时"),
    "resident_trust": ("resident trust", "居民信任"),
}

LEVERS: dict[str, tuple[str, str]] = {
    "institutions.authority.kind": ("authority of the centre", "中心的权威"),
    "institutions.authority.order_penalty": ("cost of defying an order", "违抗指令的代价"),
    "institutions.authority.escalate_after_declines": ("declines before a leader steps in",
                                                       "几次退单后由领导指定"),
    "institutions.authority.covers_property_managers": ("covers property managers", "覆盖物业公司"),
    "institutions.mandates.clarity": ("mandate clarity", "职责清晰度"),
    "institutions.mandates.refined_types": ("refined event types", "细化事件类型"),
    "institutions.assessment.kind": ("assessment", "考核方式"),
    "institutions.assessment.stakes": ("stakes of a KPI point", "考核分量"),
    "institutions.assessment.ranking_multiplier": ("public ranking multiplier", "公开排名倍数"),
    "institutions.assessment.weights.on_time": ("KPI weight: on time", "指标权重:按期"),
    "institutions.assessment.weights.rework": ("KPI weight: rework", "指标权重:返工"),
    "institutions.assessment.weights.declines": ("KPI weight: declines", "指标权重:退单"),
    "institutions.assessment.weights.verified_resolution": ("KPI weight: verified resolution",
                                                            "指标权重:核实解决"),
    "institutions.assessment.weights.closures": ("KPI weight: closures", "指标权重:结案数"),
    "institutions.joint_enforcement.mode": ("joint enforcement", "联合执法方式"),
    "institutions.joint_enforcement.lead_days": ("ad hoc lead time (days)", "临时组织用时(天)"),
    "institutions.joint_enforcement.operation_hours": ("hours of an operation", "每次行动时长(小时)"),
    "institutions.joint_enforcement.operation_officers": ("officers in an operation", "每次行动人数"),
    "institutions.joint_enforcement.preparation_hours": ("preparation hours", "准备工时"),
    "institutions.training.competence_gain": ("competence gain from training", "培训提升的能力"),
    "institutions.outsourcing.contractors": ("contractors", "外包人员"),
    "institutions.outsourcing.competence": ("contractors' competence", "外包人员能力"),
    "institutions.participation.volunteers_per_10k": ("volunteers per 10,000 residents", "每万人志愿者"),
    "institutions.participation.volunteer_competence": ("volunteers' competence", "志愿者能力"),
    "institutions.participation.report_boost": ("reporting boost", "居民上报倍数"),
    "institutions.targeting": ("targeting", "治理方式"),
    "centre.intake_seats": ("centre intake seats (受理员)", "受理员席位"),
    "centre.dispatch_seats": ("centre dispatch seats (派遣员)", "派遣员席位"),
    "meetings.capacity": ("cases per meeting", "每次会议议案数"),
    "meetings.every_days": ("every (days)", "间隔(天)"),
}

CHOICES: dict[str, tuple[str, str]] = {
    "none": ("none (persuasion only)", "无(只能协调)"),
    "command": ("command (D street)", "指挥(D 街道)"),
    "escalation": ("escalation to a leader", "提交领导"),
    "as_listed": ("as listed (overlapping)", "按清单(重叠)"),
    "clear": ("clear (one owner)", "明确(唯一责任方)"),
    "outcome_subjective": ("outcome only, subjective", "只看结果,主观评价"),
    "centre_process": ("process KPIs, centre only", "仅中心的过程指标"),
    "department_kpis": ("department KPIs", "部门考核指标"),
    "public_ranking": ("public ranking", "公开排名"),
    "ad_hoc": ("ad hoc (three weeks)", "临时组织(三周)"),
    "standing": ("standing team", "常设队伍"),
    "uniform": ("uniform", "一刀切"),
    "differentiated": ("differentiated", "差别化"),
    "daily_handover": ("daily handover (早交班)", "早交班"),
    "weekly_special": ("weekly special meeting", "每周专题会"),
    "joint_conference": ("joint conference (联席会议)", "联席会议"),
}


REFORM_NAMES: dict[str, tuple[str, str]] = {
    "baseline": ("as it is", "现行制度"),
    "joint_meetings": ("joint-duty meetings", "联勤联动会议"),
    "clear_mandates": ("clear mandates", "明确职责"),
    "department_kpis": ("department KPIs", "部门考核"),
    "centre_authority": ("centre authority", "中心指挥权"),
    "standing_joint_enforcement": ("standing joint enforcement", "常态化联合执法"),
    "training": ("training", "培训"),
    "outsourcing": ("outsourcing", "专业外包"),
    "differentiated_governance": ("differentiated governance", "差别化治理"),
    "community_participation": ("community participation", "社会参与"),
    "closure_kpi_only": ("closure KPI only", "只考核结案"),
}


def t(key: str, lang: Lang = "en", **values: object) -> str:
    """The UI string ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = STRINGS[key][1 if lang == "zh" else 0]
    return text.format(**values) if values else text


def _pick(table: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    pair = table.get(key)
    if pair is None:
        return key.rsplit(".", 1)[-1].replace("_", " ")
    return pair[1 if lang == "zh" else 0]


def metric_label(name: str, lang: Lang = "en") -> str:
    """A metric's name as a reader says it (``real_resolution_rate`` → 真实解决率)."""
    return _pick(METRICS, name, lang)


def lever_label(path: str, lang: Lang = "en") -> str:
    """A lever's dotted config path as a reader says it."""
    return _pick(LEVERS, path, lang)


def reform_label(name: str, lang: Lang = "en") -> str:
    """A named reform (``A`` or ``A+B``) as a reader says it.

    Example:
        >>> reform_label("clear_mandates+training", "zh")
        '明确职责 + 培训'
    """
    return " + ".join(_pick(REFORM_NAMES, part, lang) for part in name.split("+"))


def choice_label(value: str, lang: Lang = "en") -> str:
    """A lever setting (``department_kpis``) as a reader says it."""
    return _pick(CHOICES, value, lang)
