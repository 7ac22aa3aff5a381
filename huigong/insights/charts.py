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


def line_chart(
    months: list[str], series: list[tuple[str, list[float]]], *, width: int = 640, height: int = 220
) -> str:
    """Lines over months, each series scaled to its own maximum (they have different units), with the
    last value printed; a legend on top."""
    left, right, top_pad, bottom = 40, 60, 28, 26
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    n = max(len(months), 2)
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10">'
        )
    ]
    parts.append(
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" stroke="#999"/>'
    )
    for i, m in enumerate(months):
        if i % 2 == 0 or i == len(months) - 1:
            x = left + plot_w * i / (n - 1)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#555">{escape(m[2:])}</text>'
            )
    lx = left
    for si, (name, values) in enumerate(series):
        color = COLORS[si % len(COLORS)]
        parts.append(
            f'<rect x="{lx}" y="6" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="15" fill="#333">{escape(name)}</text>'
        )
        lx += 28 + 12 * len(name)
        lo, hi = min(values, default=0), max(values, default=0)
        lo = min(lo, 0)
        span = _nice_max(hi - lo) if hi > lo else 1
        pts = [
            (left + plot_w * i / (n - 1), top_pad + plot_h - (v - lo) / span * plot_h)
            for i, v in enumerate(values)
        ]
        if pts:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            parts.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
            x, y = pts[-1]
            parts.append(f'<text x="{x + 4:.1f}" y="{y + 3:.1f}" fill="{color}">{_fmt(values[-1])}</text>')
    parts.append("</svg>")
    return "".join(parts)
