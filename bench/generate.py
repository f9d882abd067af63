"""Deterministic synthetic PerfBoard data in the flat import format, for benchmarks.

    python bench/generate.py --projects 10000 --years 1 --departments 20 --seed 7 --out bench/out/flat.xlsx

Shapes follow real data: Chinese project names carrying their year, departments and funding
sources, 8-15 indicators per project with the real mix of directions and qualitative rows,
execution rates mostly near 100% with a tail, some deviations, and across years continuing,
new and discontinued projects."""
from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_HEADERS = ["年度", "主管部门", "实施单位", "项目编码", "项目名称", "资金来源", "年初预算数（万元）",
                   "全年预算数（万元）", "全年执行数（万元）", "执行率", "项目概况", "年度总体目标", "实际完成情况",
                   "偏离原因", "改进措施"]
INDICATOR_HEADERS = ["年度", "项目编码", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                     "分值", "得分", "评价结论", "偏差原因分析及改进措施"]

DEPT_STEMS = ["教育", "科学技术", "工业和信息化", "民政", "财政", "人力资源和社会保障", "自然资源", "生态环境",
              "住房和城乡建设", "交通运输", "水务", "农业农村", "商务", "文化和旅游", "卫生健康", "应急管理",
              "审计", "市场监督管理", "体育", "统计", "医疗保障", "林业和草原", "乡村振兴", "数据"]
CITIES = ["张掖市", "酒泉市", "武威市", "金昌市", "嘉峪关市", "白银市", "天水市", "平凉市", "庆阳市", "定西市"]
TOPICS = ["科技计划项目", "招商引资", "科技活动周", "人才培养", "信息系统运维", "设备购置", "专项调查", "宣传培训",
          "基础设施维护", "奖补资金", "课题研究", "监督检查", "应急物资储备", "平台建设", "示范基地建设",
          "公共服务补助", "技术推广", "质量检测", "档案数字化", "志愿服务"]
FUNDING = ["市级财政资金", "省级转移支付资金", "中央转移支付资金", "上年结转资金", "其他资金"]
QUANT = [("产出指标", "数量指标", "{}数量", "项"), ("产出指标", "数量指标", "培训人数", "人"),
         ("产出指标", "质量指标", "验收合格率", "%"), ("产出指标", "时效指标", "完成时限", "月"),
         ("产出指标", "成本指标", "项目总成本", "万元"), ("效益指标", "社会效益指标", "受益人数", "人"),
         ("效益指标", "经济效益指标", "带动投资", "万元"), ("满意度指标", "服务对象满意度指标", "服务对象满意度", "%")]
QUAL = [("产出指标", "时效指标", "资金拨付及时性", "及时拨付", "资金已及时拨付"),
        ("效益指标", "社会效益指标", "社会影响力", "效果明显", "显著扩大了影响力"),
        ("效益指标", "可持续影响指标", "长效机制建设", "建立长效机制", "已建立")]


@dataclass
class Frames:
    projects: pd.DataFrame       # columns PROJECT_HEADERS
    indicators: pd.DataFrame     # columns INDICATOR_HEADERS


def generate(projects_per_year: int = 1000, years: int = 1, departments: int = 20, seed: int = 7,
             first_year: int = 2024, continue_share: float = 0.85) -> Frames:
    """Projects for `years` consecutive years ending at first_year + years - 1."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    depts = [f"{CITIES[i % len(CITIES)]}{DEPT_STEMS[i % len(DEPT_STEMS)]}局" + (f"{i // len(DEPT_STEMS)}" if i >= len(DEPT_STEMS) else "")
             for i in range(departments)]
    start = first_year - years + 1
    # a pool of project "lineages": each continues across years with probability continue_share
    lineage = [(f"P{k:07d}", rng.choice(depts), rng.choice(TOPICS), rng.choice(FUNDING)) for k in range(projects_per_year)]
    next_id = projects_per_year
    prows, irows = [], []
    for y in range(start, start + years):
        if y > start:
            keep = [l for l in lineage if rng.random() < continue_share]
            while len(keep) < projects_per_year:
                keep.append((f"P{next_id:07d}", rng.choice(depts), rng.choice(TOPICS), rng.choice(FUNDING)))
                next_id += 1
            lineage = keep
        budgets = np.round(nrng.lognormal(mean=3.0, sigma=1.2, size=len(lineage)), 2) + 0.5
        rates = np.where(nrng.random(len(lineage)) < 0.8, 1.0, np.clip(nrng.normal(0.85, 0.15, len(lineage)), 0.05, 1.15))
        for k, ((code, dept, topic, fund), budget, rate) in enumerate(zip(lineage, budgets, rates)):
            spent = round(float(budget) * float(rate), 3)
            name = f"{y}年{topic}（{code[-4:]}）"
            deviates = spent < budget
            prows.append([y, dept, "", code, name, fund, float(budget), float(budget), spent,
                          round(spent / budget, 3) if rng.random() < 0.7 else None,
                          f"{topic}项目概况", f"完成{topic}年度任务", "按计划实施",
                          "按照过“紧日子”要求节约开支" if deviates and rng.random() < 0.7 else "",
                          "加强预算执行监控" if deviates and rng.random() < 0.5 else ""])
            for j in range(rng.randint(8, 15)):
                if rng.random() < 0.75:
                    l1, l2, l3, unit = rng.choice(QUANT)
                    target = rng.choice([10, 20, 25, 50, 95, 100])
                    op = rng.choice(["≥", "≥", "=", "≤"])
                    actual = target if rng.random() < 0.85 else round(target * rng.uniform(0.6, 1.1))
                    irows.append([y, code, name, l1, l2, l3.format(topic) + f"{j}", f"{op}{target}{unit}",
                                  f"{actual}{unit}", None, None, "", "" if actual >= target else "进度滞后"])
                else:
                    l1, l2, l3, tgt, act = rng.choice(QUAL)
                    irows.append([y, code, name, l1, l2, l3 + f"{j}", tgt, act, None, None, "达成", ""])
    return Frames(pd.DataFrame(prows, columns=PROJECT_HEADERS), pd.DataFrame(irows, columns=INDICATOR_HEADERS))


def write_workbook(frames: Frames, path: str | Path) -> Path:
    """Write the flat workbook fast (xlsxwriter, constant memory)."""
    import xlsxwriter
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    for title, df in (("项目", frames.projects), ("绩效指标", frames.indicators)):
        ws = wb.add_worksheet(title)
        ws.write_row(0, 0, list(df.columns))
        for r, row in enumerate(df.itertuples(index=False), start=1):
            for c, v in enumerate(row):
                if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                else:
                    ws.write_number(r, c, float(v))
    wb.close()
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=1000, help="projects per year")
    ap.add_argument("--years", type=int, default=1)
    ap.add_argument("--departments", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="bench/out/flat.xlsx")
    a = ap.parse_args()
    f = generate(a.projects, a.years, a.departments, a.seed)
    write_workbook(f, a.out)
    print(f"{a.out}: {len(f.projects)} projects, {len(f.indicators)} indicators")


if __name__ == "__main__":
    main()
