"""Charts drawn on the server as SVG: no chart library to ship, readable without script, sized by
the page (viewBox), with a text alternative for screen readers."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, GAP = 600, 160, 2


def bars(points: list[tuple[str, float]], *, title: str, unit: str = "") -> Markup:
    """One bar per (label, value); labels at the first, middle and last bar."""
    if not any(value for _, value in points):
        return Markup(f'<p class="empty">No {escape(title.lower())} in this range yet.</p>')  # noqa: S704
    top = max(value for _, value in points)
    width = WIDTH / len(points)
    shapes: list[str] = []
    for i, (label, value) in enumerate(points):
        h = (HEIGHT - 20) * value / top
        x = i * width
        shapes.append(
            f'<rect x="{x + GAP / 2:.1f}" y="{HEIGHT - 16 - h:.1f}" width="{max(width - GAP, 1):.1f}"'
            f' height="{h:.1f}"><title>{escape(label)}: {value:g}{escape(unit)}</title></rect>'
        )
    for i in sorted({0, len(points) // 2, len(points) - 1}):
        x = i * width + width / 2
        shapes.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 2}" text-anchor="middle">{escape(points[i][0])}</text>'
        )
    summary = ", ".join(f"{label} {value:g}{unit}" for label, value in points)
    # every value in it is a number or escaped above
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(title)}: {escape(summary)}"><title>{escape(title)}</title>'
        + "".join(shapes)
        + "</svg>"
    )
