"""Unsaved indicator-table edits per project, kept in the session across project and page switches, and
the widgets of the 指标填报 page that read and write them."""
from __future__ import annotations

import streamlit as st

from perfboard import editing
from perfboard.editing import Draft, ProjectState
from ui import state

RATE = "reported_rate"
TEXT_FIELDS = ("goal", "achievement", "deviation_reason", "improvement")
MONEY_FIELDS = ("initial_budget", "budget", "spent")


def _drafts() -> dict[str, Draft]:
    return st.session_state.setdefault(state.K_EDIT_DRAFTS, {})


def identity_key(year, department, name) -> str:
    return f"{int(year)}|{department}|{name}"


def others_unsaved(current: ProjectState) -> list[str]:
    """Names of the other projects with unsaved changes in this session."""
    mine = identity_key(*current.identity)
    return [f"{k.split('|')[0]} 年 · {k.split('|', 2)[2]}（{d.pending()} 处）" for k, d in _drafts().items()
            if k != mine and d.pending()]


def draft_for(current: ProjectState) -> Draft:
    """The session's draft of a project; a clean draft follows the stored data when it changes, an
    unsaved one is kept (saving it will then be refused as a conflict)."""
    drafts = _drafts()
    key = identity_key(*current.identity)
    d = drafts.get(key)
    if d is None or d.state.project_id != current.project_id and not d.pending():
        d = drafts[key] = Draft.of(current, d.generation + 1 if d else 0)
    elif d.state.token != current.token and not d.pending():
        d = drafts[key] = Draft.of(current, d.generation + 1)
    return d


def reset(current: ProjectState) -> None:
    """Drop the draft's edits and start over from `current` (after a save, or to discard)."""
    drafts = _drafts()
    key = identity_key(*current.identity)
    old = drafts.get(key)
    drafts[key] = Draft.of(current, old.generation + 1 if old else 0)


def _field_key(d: Draft, field: str) -> str:
    return f"pf_{d.state.project_id}_{d.generation}_{field}"


def project_fields(d: Draft) -> None:
    """The project-level fields, written back into the draft on every run."""
    for f in (*MONEY_FIELDS, RATE, *TEXT_FIELDS):
        k = _field_key(d, f)
        if k not in st.session_state:            # first view, or the page switch dropped the widget
            v = d.fields.get(f)
            st.session_state[k] = (None if v is None else round(v * 100, 6)) if f == RATE else v
    cols = st.columns(4)
    for col, f in zip(cols, MONEY_FIELDS):
        col.number_input(editing.PROJECT_FIELDS[f], key=_field_key(d, f), step=0.01, format="%.4f")
    cols[3].number_input("填报执行率（%）", key=_field_key(d, RATE), step=0.1, format="%.2f",
                         help="自评表上写的执行率，与按 全年执行数÷全年预算数 计算的结果比对")
    left, right = st.columns(2)
    for col, f in zip((left, right, left, right), TEXT_FIELDS):
        col.text_area(editing.PROJECT_FIELDS[f], key=_field_key(d, f), height=110)
    for f in (*MONEY_FIELDS, *TEXT_FIELDS):
        d.fields[f] = st.session_state[_field_key(d, f)]
    shown = st.session_state[_field_key(d, RATE)]
    before = d.fields.get(RATE)
    if shown is None:
        d.fields[RATE] = None
    elif before is None or round(before * 100, 6) != round(shown, 6):
        d.fields[RATE] = round(shown / 100, 10)


def indicator_table(d: Draft, levels: dict) -> None:
    """The indicator table in a data editor; the edited rows go back into the draft."""
    key = state.editor_key(d.state.project_id, d.generation)
    inputs = st.session_state.setdefault(state.K_EDITOR_INPUT, {})
    if key not in st.session_state or key not in inputs:
        # A new widget (first view, page switch, after a save) starts from the draft as it is now; a live
        # widget must keep receiving the rows it was created with, its edits are deltas against them.
        inputs[key] = [dict(r) for r in d.rows]
    l1, l2 = editing.level_choices(levels, d.rows)
    h = editing.EDITOR_COLUMNS
    sel = st.column_config.SelectboxColumn
    edited = st.data_editor(
        editing.editor_frame(inputs[key]), key=key, num_rows="dynamic", hide_index=True, placeholder="", width="stretch",
        column_order=list(h.values()),
        column_config={
            editing.ID_COLUMN: None,
            h["level1"]: sel(options=l1, width=84, required=True),
            h["level2"]: sel(options=l2, width=96),
            h["level3"]: st.column_config.TextColumn(width=170, required=True),
            h["direction"]: sel(options=editing.DIRECTION_CHOICES, width=72,
                                help="≥ ＞ ≤ ＜ ＝ 为定量指标，按完成比例计分；“定性”指标须选择判定"),
            h["target_text"]: st.column_config.TextColumn(width=92, help="如 ≥25项、=100%、≤90万元、及时拨付"),
            h["target_unit"]: st.column_config.TextColumn(width=72),
            h["actual_text"]: st.column_config.TextColumn(width=110),
            h["weight"]: st.column_config.NumberColumn(min_value=0.0, max_value=100.0, step=0.5, format="%.2f",
                                                       width=60),
            h["judgement"]: sel(options=editing.JUDGEMENT_CHOICES, width=80,
                                help="人工判定，优先于按数值的判定。系数：达成 100%，部分达成、未达成按评分设置"),
            h["deviation_note"]: st.column_config.TextColumn(width=110),
        })
    d.rows = editing.rows_from_editor(edited)
