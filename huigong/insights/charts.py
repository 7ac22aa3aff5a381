"""Small server-side charts as inline SVG for the PDF report (WeasyPrint draws SVG; ECharts needs a
browser). Bars and lines with Chinese labels, nothing more."""

from __future__ import annotations

from html import escape

COLORS = ["#b3261e", "#1f6feb", "#2da44e", "#bf8700", "#8250df", "#0a7ea4"]
FONT = "Noto Sans CJK SC, sans-serif"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1
    mag = 10 ** (len(str(int(v))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * mag:
            return step * mag
    return 10 * mag


def _fmt(v: float) -> str:
    if abs(v) >= 10000:
        return f"{v / 10000:.1f}万"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def bar_chart(
    labels: list[str], values: list[float], *, width: int = 640, height: int = 240, color: str = COLORS[0]
) -> str:
    """Horizontal bars, one per label (child unions), values printed at the bar's end."""
    n = max(len(labels), 1)
    row = min(26, (height - 20) / n)
    height = int(row * n + 20)
    left, right = 150, 70
    top = max(values, default=0)
    scale = (width - left - right) / (top or 1)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11">'
        )
    ]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = 10 + i * row
        w = max(v * scale, 0)
        text = lab if len(lab) <= 12 else lab[:11] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + row * 0.65:.1f}" text-anchor="end" fill="#333">{escape(text)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + row * 0.15:.1f}" width="{w:.1f}" height="{row * 0.7:.1f}" fill="{color}"/>'
        )
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + row * 0.65:.1f}" fill="#333">{_fmt(v)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: float, hi: float, n: int = 4) -> tuple[float, float, list[float]]:
    """Round axis bounds and n+1 evenly spaced ticks covering lo..hi (lo is 0 for counts and money)."""
    lo = min(lo, 0)
    span = _nice_max((hi - lo) / n) * n if hi > lo else n
    return lo, lo + span, [lo + span * i / n for i in range(n + 1)]


def line_chart(
    months: list[str],
    series: list[tuple[str, list[float]]],
    *,
    width: int = 640,
    height: int = 220,
    running_label: str = "",
) -> str:
    """Lines over months with a value axis per series: the first series on the left axis, the second
    (another unit, e.g. a stock beside a flow) on the right one, each labelled in its series' colour.
    `running_label` marks the last month as still running: its segment is dashed, its point hollow and
    the label is printed under the axis, so a half month does not read as a collapse."""
    left, right, top_pad, bottom = 52, 56, 28, 34 if running_label else 26
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    n = max(len(months), 2)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10">'
        )
    ]
    base_y = top_pad + plot_h
    parts.append(f'<line x1="{left}" y1="{base_y}" x2="{left + plot_w}" y2="{base_y}" stroke="#999"/>')
    for i, m in enumerate(months):
        if i % 2 == 0 or i == len(months) - 1:
            x = left + plot_w * i / (n - 1)
            label = m[2:] + ("*" if running_label and i == len(months) - 1 else "")
            parts.append(
                f'<text x="{x:.1f}" y="{base_y + 14}" text-anchor="middle" fill="#555">{escape(label)}</text>'
            )
    if running_label:
        parts.append(
            f'<text x="{left + plot_w}" y="{height - 4}" text-anchor="end" fill="#555">* {escape(running_label)}</text>'
        )
    lx = left
    for si, (name, values) in enumerate(series):
        color = COLORS[si % len(COLORS)]
        parts.append(
            f'<rect x="{lx}" y="6" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="15" fill="#333">{escape(name)}</text>'
        )
        lx += 28 + 12 * len(name)
        lo, hi, ticks = _ticks(min(values, default=0), max(values, default=0))
        span = hi - lo
        if si < 2:  # an axis for the first two series: left, then right
            ax = left if si == 0 else left + plot_w
            anchor, dx = ("end", -4) if si == 0 else ("start", 4)
            parts.append(f'<line x1="{ax}" y1="{top_pad}" x2="{ax}" y2="{base_y}" stroke="{color}"/>')
            for t in ticks:
                y = base_y - (t - lo) / span * plot_h
                parts.append(f'<line x1="{ax - 2}" y1="{y:.1f}" x2="{ax + 2}" y2="{y:.1f}" stroke="{color}"/>')
                parts.append(
                    f'<text x="{ax + dx}" y="{y + 3:.1f}" text-anchor="{anchor}" fill="{color}">{_fmt(t)}</text>'
                )
        pts = [(left + plot_w * i / (n - 1), base_y - (v - lo) / span * plot_h) for i, v in enumerate(values)]
        if not pts:
            continue
        solid = pts[:-1] if running_label and len(pts) > 1 else pts
        if len(solid) > 1:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in solid)
            parts.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        if running_label and len(pts) > 1:
            (x1, y1), (x2, y2) = pts[-2], pts[-1]
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
                f'stroke-width="2" stroke-dasharray="4 3"/>'
                f'<circle cx="{x2:.1f}" cy="{y2:.1f}" r="3" fill="#fff" stroke="{color}" stroke-width="1.5"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
