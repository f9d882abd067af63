"""设置 › 自评复核规则: each rule's severity and the thresholds of perfboard.review, changed by administrators
(perfboard.review.save_review_settings: validated, audited in settings_log like every setting)."""
from __future__ import annotations

import streamlit as st

from perfboard import auth, review
from ui import state

K_FORM = "review_rules"


def panel() -> None:
    store = state.store()
    cfg = review.review_settings(store)
    st.subheader("自评复核规则")
    st.caption("“自评复核”页面、命令行 review 和复核底稿使用的规则等级与阈值。保存在数据库中，对所有用户生效，修改记入“修改记录 › 设置修改”。")
    from ui.auth import current_user
    admin = auth.can(current_user(), "admin")
    with st.expander("查看规则与阈值" if not admin else "修改规则等级与阈值"):
        st.dataframe([{"规则": f"{r.title}（{r.code}）", "维度": r.dimension, "等级": cfg["severity"][r.code],
                       "说明": r.description, "核验依据": r.basis} for r in review.RULES.values()],
                     hide_index=True, width="stretch")
        if not admin:
            st.info("只有管理员可以修改设置。", icon=":material/lock:")
            return
        with st.form(K_FORM):
            cols = st.columns(4)
            severity = {}
            for k, (code, r) in enumerate(review.RULES.items()):
                severity[code] = cols[k % 4].selectbox(r.title, review.SEVERITIES,
                                                       index=review.SEVERITIES.index(cfg["severity"][code]),
                                                       key=f"rv_sev_{code}", help=code)
            c1, c2 = st.columns(2)
            numbers = {}
            for k, key in enumerate(("score_inflation_min_projects", "score_inflation_min_judged", "thin_min_output",
                                     "copied_min_chars", "copied_window", "copied_max_pairs")):
                numbers[key] = (c1 if k % 2 == 0 else c2).number_input(
                    review.SETTINGS_ZH[key], min_value=1, step=1, value=int(cfg[key]), key=f"rv_set_{key}")
            similarity = c1.number_input(review.SETTINGS_ZH["copied_similarity"], min_value=1.0, max_value=100.0,
                                         step=1.0, value=float(cfg["copied_similarity"]), key="rv_set_similarity")
            full = c2.number_input(review.SETTINGS_ZH["full_score"], min_value=1.0, step=1.0,
                                   value=float(cfg["full_score"]), key="rv_set_full")
            required = st.multiselect("必须具备的一级指标", list(review.LEVEL1_CLASSES), default=cfg["required_level1"],
                                      key="rv_set_required")
            words = st.text_area("模糊表述（每行一个，年度指标值含有即判为不可考核）", "\n".join(cfg["vague_words"]),
                                 key="rv_set_words")
            quant = st.text_input("必须给出数值的二级指标（含有这些字，用顿号分隔）", "、".join(cfg["quantitative_level2"]),
                                  key="rv_set_quant")
            if st.form_submit_button("保存", type="primary"):
                new = {"severity": severity, **numbers, "copied_similarity": similarity, "full_score": full,
                       "required_level1": required,
                       "vague_words": [w.strip() for w in words.splitlines() if w.strip()],
                       "quantitative_level2": [w.strip() for w in quant.split("、") if w.strip()]}
                try:
                    changed = review.save_review_settings(store, new, state.user_name())
                except (ValueError, auth.PermissionDenied) as exc:
                    st.error(str(exc))
                else:
                    state.flash("已保存自评复核规则。" if changed else "自评复核规则没有变化。")
                    st.rerun()
