"""`python -m perfboard monitor`: the in-year monitoring snapshot (issue 17) as text or as the JSON object."""
from __future__ import annotations

import json
import sys


def add_parser(sub, db_arg, filter_args) -> None:
    p = sub.add_parser("monitor", help="运行监控：执行进度与序时进度、指标进度、风险项目（与“执行监控”页面一致）")
    db_arg(p)
    filter_args(p)              # --year: the monitoring year (default: the latest with a snapshot)
    p.add_argument("--period", type=int, choices=range(1, 13), metavar="M",
                   help="监控期：截至第 M 月（默认：该年度最新的监控期）")
    p.add_argument("--json", action="store_true")


def run(a) -> int:
    from .cli_common import EXIT_OK, EXIT_USAGE, open_store, scoped_filters
    from .monitoring import monitor_json_chunks, pick_period
    with open_store(a) as store:
        filters = scoped_filters(store, a)[0]
        if a.json and pick_period(store, a.year if a.year is not None else filters.year, a.period) is not None:
            for piece in monitor_json_chunks(store, filters, a.year, a.period):      # streamed: 200,000 items
                sys.stdout.write(piece)
            sys.stdout.write("\n")
            return EXIT_OK
        out = json.loads("".join(monitor_json_chunks(store, filters, a.year, a.period)))
    if out["time_progress"] is None:
        what = (f"{a.year} 年度" if a.year else "") + (f"1—{a.period}月" if a.period else "")
        print(f"错误：没有{what}的运行监控数据：请先导入项目支出绩效目标执行监控表（python -m perfboard import 文件.xlsx）。",
              file=sys.stderr)
        return EXIT_USAGE
    if a.json:
        print(json.dumps(out, ensure_ascii=False))
        return EXIT_OK
    risky = [i for i in out["items"] if i["at_risk"]]
    print(f"{out['year']} 年 1—{out['period_month']}月运行监控：序时进度 {out['time_progress']:.1%}；"
          f"{len(out['items'])} 个项目，其中风险项目 {len(risky)} 个。")
    for i in out["items"]:
        rate = "—" if i["execution_rate"] is None else f"{i['execution_rate']:.2%}"
        line = f"[{i['light']}] {i['department']} {i['name']}：执行率 {rate}"
        if i["at_risk"]:
            line += "；风险：" + "；".join(i["risk_reasons"])
        print(line)
    return EXIT_OK
