"""报表导出: the standard self-evaluation forms (national or Sichuan), the written report and the one-page
meeting brief, for the projects under the sidebar filters. Files are built when a button is clicked."""
import streamlit as st

from perfboard.export.brief import brief_docx, brief_pdf
from perfboard.export.fonts import FontMissing, find_cjk_font
from perfboard.export.forms import VARIANTS, forms_xlsx
from perfboard.export.report import MAX_SECTION_LIMIT, SECTION_LIMIT, report_docx
from ui import state
from ui import picker, render
from ui.auth import download
from ui.export import DOCX_MIME, PDF_MIME, XLSX_MIME, file_name

K_VARIANT, K_PROJECT, K_FILL, K_ACHIEVEMENT = "rep_variant", "rep_project", "rep_fill", "rep_achievement"
K_SECTIONS = "rep_max_sections"
ALL = "全部"

st.title("报表导出")
f = state.filters()
store = state.store()
# data=download(...): the bytes are built at the click, only for a session still valid then, and the export
# functions check that user's departments again (issues 10, 20)
kept = st.session_state.get(K_PROJECT)
idents, total = picker.projects(f, keep=None if kept in (None, ALL) else kept)
st.caption(f"筛选：{render.md(f.describe())}　·　{total:,} 个项目。导出内容随左侧筛选变化。")
render.illustrative(f)
if not total:
    st.info("当前筛选条件下没有项目。请调整左侧筛选，或先到“数据导入”页面导入数据。", icon=":material/info:")
    st.stop()

st.subheader("项目支出绩效自评表")
names = {pid: f"{year} 年 · {render.option(name)}" for pid, (year, _, name) in idents.items()}
c1, c2, c3 = st.columns([1, 2, 1])
variant = c1.radio("格式", list(VARIANTS), key=K_VARIANT, format_func=lambda v: VARIANTS[v].label)
choices = [ALL, *names]
if st.session_state.get(K_PROJECT, ALL) not in choices:
    st.session_state[K_PROJECT] = ALL
pick = c2.selectbox("项目", choices, key=K_PROJECT,
                    format_func=lambda i: f"全部筛选出的项目（{total:,} 个，每个项目一个工作表）" if i == ALL else names[i])
fill = c3.radio("得分", ["computed", "stored"], key=K_FILL,
                format_func=lambda v: {"computed": "按评分规则计算", "stored": "原样填入填报数据"}[v],
                help="按评分规则计算：执行率按全年执行数÷全年预算数，得分按“设置”中的评分规则（无分值时按默认权重估算并注明）。"
                     "原样填入：填报的执行率和得分，不作计算（便于与原表核对，可原样重新导入）。")
ids = None if pick == ALL else [pick]
too_many = ids is None and total > picker.MAX_EXPORT
st.download_button("下载自评表（.xlsx）", data=download(lambda u: forms_xlsx(store, f, variant, ids, fill, user=u)),
                   file_name=file_name(f"项目支出绩效自评表_{VARIANTS[variant].label}", f, "xlsx"), mime=XLSX_MIME,
                   key="rep_forms_dl", icon=":material/table_view:", on_click="ignore", type="primary",
                   disabled=too_many)
if too_many:
    st.caption(f":orange[一次最多导出 {picker.MAX_EXPORT} 个项目的自评表（每个项目一个工作表），当前 {total:,} 个。"
               "请用左侧筛选缩小范围，或选择单个项目。]")

st.subheader("绩效自评报告")
st.caption("按“一、项目名称 /（一）项目基本情况 /（二）绩效目标完成情况分析 /（三）偏离绩效目标的原因和下一步改进措施”"
           "逐项目生成，可在 Word/WPS 中编辑。缺失的数据以红色括号标出，不会编造。")
limit = st.number_input("逐项目章节上限（个项目）", min_value=0, max_value=MAX_SECTION_LIMIT, value=SECTION_LIMIT, step=100,
                        key=K_SECTIONS,
                        help=f"筛选出的项目不超过此数时逐项目写章节；超过时只写汇总章节（每个项目都计入总数、各部门表和得分表），"
                             f"报告中注明如何取得逐项目章节。0 = 只生成汇总章节。最多 {MAX_SECTION_LIMIT:,}。")
with_achievement = st.checkbox("标出未填写“实际完成情况”的项目", key=K_ACHIEVEMENT,
                               help="填报了“实际完成情况”的项目，（二）始终按原文写；勾选后，未填报的项目在（二）末尾以红字标出。")
with_review = st.checkbox("附上自评复核发现（不含已标记“不采纳”的）", key="rep_with_review",
                          help="仅逐项目报告附上；汇总报告请在“自评复核”页面查看复核发现。")
st.download_button("下载自评报告（.docx）", data=download(lambda u: report_docx(store, f, with_achievement, user=u,
                                                                          include_review=with_review,
                                                                          max_sections=int(limit))),
                   file_name=file_name("绩效自评报告", f, "docx"), mime=DOCX_MIME, key="rep_report_dl",
                   icon=":material/description:", on_click="ignore", type="primary")
if total > limit:
    st.caption(f":orange[当前 {total:,} 个项目，超过逐项目章节上限 {int(limit):,}：报告只写汇总章节（总体情况、各主管部门情况、"
               "各项目得分与等级），每个项目都计入。需要逐项目章节时，请用左侧筛选缩小到上限以内。]")

st.subheader("会议简报")
st.caption("一页 A4 横版：总体数字与同比变化、各项目执行率图、需关注项目及原因。")
try:
    font = find_cjk_font()
    font_problem = None
except FontMissing as exc:
    font, font_problem = None, str(exc)
b1, b2, _ = st.columns([1, 1, 3])
b1.download_button("下载简报（.docx）", data=download(lambda u: brief_docx(store, f, user=u)), file_name=file_name("会议简报", f, "docx"),
                   mime=DOCX_MIME, key="rep_brief_docx", icon=":material/slideshow:", on_click="ignore")
b2.download_button("下载简报（.pdf）", data=download(lambda u: brief_pdf(store, f, user=u)), file_name=file_name("会议简报", f, "pdf"),
                   mime=PDF_MIME, key="rep_brief_pdf", icon=":material/picture_as_pdf:", on_click="ignore",
                   disabled=font is None)
if font_problem:
    st.warning(font_problem + " Word 版简报仍可下载（图表位置会注明原因）。", icon=":material/font_download_off:")
else:
    st.caption(f"PDF 内嵌中文字体：{font.family}。")
