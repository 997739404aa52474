"""The load rehearsal's report: ``report.json``, ``report.md`` and ``report.html`` with charts.

The charts are drawn by matplotlib (Agg, no display) into SVG files under ``charts/`` and inlined in the
HTML page: requests per second over the rehearsal, latency (p50 and p95 of each second) over the
rehearsal, the latency histogram of each operation, and errors and 429s over the rehearsal. matplotlib
is imported only here, when a report is written, so that the lab's start-up never pays for it.
"""
from __future__ import annotations

import html
import io
import json
from pathlib import Path

CHARTS = {
    "requests": "Requests per second",
    "latency": "Latency over time (p50 and p95 of each second)",
    "histogram": "Latency per operation",
    "errors": "Errors and 429s per second",
}


def write_report(result, report_dir: Path | str) -> dict[str, Path]:
    """Write the three report files and the charts; their paths by kind."""
    folder = Path(report_dir)
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    report = result.to_json()
    charts = draw_charts(result, report)
    paths = {"json": folder / "report.json", "md": folder / "report.md", "html": folder / "report.html"}
    for name, svg in charts.items():
        (folder / "charts" / f"{name}.svg").write_text(svg, encoding="utf-8")
    paths["json"].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown(report), encoding="utf-8")
    paths["html"].write_text(page(report, charts), encoding="utf-8")
    return paths


# --------------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------------
def draw_charts(result, report: dict) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "svg.hashsalt": "entra-lab"})
    series = report["series"]
    t = [row["t"] for row in series]
    bounds = [(c.began, c.began + c.wall, c.name) for c in result.cycles if c.kind != "incremental"]
    charts = {}

    def shade(ax):
        for start, end, name in bounds:
            ax.axvspan(start, max(end, start + 0.5), color="#e8eef7", zorder=0)
            ax.text(start, 1.0, f" {name}", transform=ax.get_xaxis_transform(), va="top", fontsize=7,
                    color="#555")

    fig, ax = plt.subplots(figsize=(8, 3))
    shade(ax)
    ax.plot(t, [row["requests"] for row in series], lw=1, color="#1f5fa8", drawstyle="steps-post")
    rate = report["rehearsal"].get("requestRateLimit")
    if rate:
        ax.axhline(rate, ls="--", lw=0.8, color="#a33", label=f"rate cap {rate:g}/s")
        ax.legend(loc="upper right", frameon=False)
    ax.set(xlabel="seconds since the rehearsal began", ylabel="requests / s", title=CHARTS["requests"])
    charts["requests"] = _svg(fig, plt)

    fig, ax = plt.subplots(figsize=(8, 3))
    shade(ax)
    ax.plot(t, [row["p50Ms"] for row in series], lw=1, color="#1f5fa8", label="p50")
    ax.plot(t, [row["p95Ms"] for row in series], lw=1, color="#d9822b", label="p95")
    ax.set(xlabel="seconds since the rehearsal began", ylabel="ms", title=CHARTS["latency"])
    ax.legend(loc="upper right", frameon=False)
    charts["latency"] = _svg(fig, plt)

    latencies: dict[str, list[float]] = {}
    for cycle in result.cycles:
        for op, values in cycle.latencies.items():
            latencies.setdefault(op, []).extend(v * 1000 for v in values)
    fig, ax = plt.subplots(figsize=(8, 3))
    if latencies:
        low = max(min(min(v) for v in latencies.values()), 0.01)
        high = max(max(max(v) for v in latencies.values()), low * 10)
        import numpy as np

        edges = np.geomspace(low, high, 50)
        for op, values in sorted(latencies.items(), key=lambda kv: -len(kv[1])):
            ax.hist(values, bins=edges, histtype="step", lw=1.2, label=f"{op} ({len(values):,})")
        ax.set_xscale("log")
        ax.legend(loc="upper right", frameon=False, fontsize=7)
    ax.set(xlabel="latency (ms, log scale)", ylabel="requests", title=CHARTS["histogram"])
    charts["histogram"] = _svg(fig, plt)

    fig, ax = plt.subplots(figsize=(8, 3))
    shade(ax)
    ax.plot(t, [row["throttled"] for row in series], lw=1, color="#a33", label="429", drawstyle="steps-post")
    ax.plot(t, [row["errors"] for row in series], lw=1, color="#555", label="other errors", drawstyle="steps-post")
    ax.set(xlabel="seconds since the rehearsal began", ylabel="answers / s", title=CHARTS["errors"])
    ax.legend(loc="upper right", frameon=False)
    charts["errors"] = _svg(fig, plt)
    return charts


def _svg(fig, plt) -> str:
    buffer = io.StringIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: without the XML declaration and DOCTYPE


# --------------------------------------------------------------------------------------------------
# Markdown and HTML
# --------------------------------------------------------------------------------------------------
def _cycle_rows(report: dict) -> list[list[str]]:
    rows = []
    for c in report["cycles"]:
        p = c["projection"]
        fit = {"yes": "yes", "no": "no", "depends": "depends on the pace", None: "—"}[p["fitsInterval"]]
        rows.append([c["name"], f"{c['objects']:,}", f"{c['requests']:,}", f"{c['wallSeconds']:.2f}",
                     f"{c['requestsPerSecond'] or 0:,.1f}", f"{c['throttled']:,}",
                     f"{sum(c['errors'].values()):,}", f"{c['retries']:,}", str(c["escrows"] if c["escrows"] is not None
                                                                             else "—"),
                     c["quarantine"] or "—", f"{p['minMinutes']:,.1f}–{p['maxMinutes']:,.1f}", fit])
    return rows


CYCLE_HEADERS = ["cycle", "objects", "requests", "wall s", "req/s", "429", "errors", "retries", "escrowed",
                 "quarantine", "real Entra (min)", "fits 40 min"]


def _latency_rows(report: dict) -> list[list[str]]:
    rows = []
    for c in report["cycles"]:
        if c["kind"] == "incremental":
            continue
        for op, v in c["latencyMs"].items():
            rows.append([c["name"], op, f"{v['count']:,}", _f(v["p50"]), _f(v["p95"]), _f(v["p99"]), _f(v["maxMs"])])
    return rows


LATENCY_HEADERS = ["cycle", "operation", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"]


def _f(value) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _headline(report: dict) -> list[str]:
    r, s = report["rehearsal"], report["summary"]
    initial = report["cycles"][0] if report["cycles"] else None
    lines = [f"Target: {r['target']} ({'vendor mode, prefix ' + r['prefix'] if r['vendorMode'] else 'built-in'}); "
             f"{r['users']:,} users in {r['groups']:,} groups; export concurrency {r['exportConcurrency']}, "
             f"rate cap {r['requestRateLimit'] or 'none'}, 429 handling {r['tooManyRequestsMode']}, "
             f"dialect {r['dialect']}."]
    if initial:
        lines.append(f"Initial cycle: {initial['objects']:,} objects, {initial['requests']:,} requests in "
                     f"{initial['wallSeconds']:.1f} s ({initial['requestsPerSecond'] or 0:,.1f} req/s), "
                     f"{initial['throttled']:,} answered 429, {initial['escrows'] or 0:,} escrowed. At real Entra's "
                     f"published pace ({r['paceMinutesPerObject'][0]}–{r['paceMinutesPerObject'][1]} minutes per "
                     f"object) it takes {initial['projection']['minMinutes']:,.0f}–"
                     f"{initial['projection']['maxMinutes']:,.0f} minutes.")
    fit = s["incrementalFit"]
    if s["incrementalCycles"]:
        lines.append(f"Incremental cycles ({s['incrementalCycles']}): within the {r['intervalMinutes']}-minute "
                     f"interval at real Entra's pace {fit['yes']} surely, {fit['depends']} depending on the pace, "
                     f"{fit['no']} not.")
    lines.append(f"Whole rehearsal: {s['requests']:,} requests in {s['wallSeconds']:.1f} s, {s['throttled']:,} "
                 f"answered 429, {s['errors']:,} errors, {s['retries']:,} retries within cycles.")
    if report.get("cleanup"):
        c = report["cleanup"]
        lines.append(f"Cleanup: {c['removed']:,} objects with the prefix {c['prefix']} removed"
                     + (f", {c['failed']} could not be removed." if c["failed"] else "."))
    if s.get("stopped"):
        lines.append(f"The rehearsal was {s['stopped']}.")
    return lines


NOTES = ("Projection [chosen]: real Entra's published pace for an initial cycle, 0.01 to 0.08 minutes per "
         "object, applied to the objects each cycle processed (incremental cycles too); an incremental cycle "
         "fits when even the slow end stays within the 40-minute interval, and 'depends' when only the fast "
         "end does. Measured times are the lab's wall clock against this target.")


def markdown(report: dict) -> str:
    out = ["# Load rehearsal", ""]
    out += [line for line in _headline(report)] + [""]
    out += ["## Cycles", "", _md_table(CYCLE_HEADERS, _cycle_rows(report)), ""]
    out += ["## Latency per operation", "", _md_table(LATENCY_HEADERS, _latency_rows(report)), ""]
    errors = {}
    for c in report["cycles"]:
        for code, n in c["errors"].items():
            errors[code] = errors.get(code, 0) + n
    out += ["## Errors by code", ""]
    out += [_md_table(["code", "answers"], [[k, f"{v:,}"] for k, v in sorted(errors.items())])
            if errors else "None.", ""]
    out += ["## Charts", ""] + [f"![{title}](charts/{name}.svg)" for name, title in CHARTS.items()] + [""]
    out += [NOTES, ""]
    return "\n".join(out)


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def page(report: dict, charts: dict[str, str]) -> str:
    def table(headers, rows):
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    figures = "".join(f'<figure aria-label="{html.escape(title)}">{charts[name]}<figcaption>{html.escape(title)}'
                      "</figcaption></figure>" for name, title in CHARTS.items() if name in charts)
    headline = "".join(f"<p>{html.escape(line)}</p>" for line in _headline(report))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Load rehearsal</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .25em .6em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
figure {{ margin: 1.5em 0; }} figure svg {{ max-width: 100%; height: auto; }}
figcaption {{ color: #555; font-size: 12px; }}
</style></head><body>
<h1>Load rehearsal</h1>
{headline}
<h2>Cycles</h2>
{table(CYCLE_HEADERS, _cycle_rows(report))}
<h2>Latency per operation</h2>
{table(LATENCY_HEADERS, _latency_rows(report))}
<h2>Charts</h2>
{figures}
<p>{html.escape(NOTES)}</p>
</body></html>
"""
