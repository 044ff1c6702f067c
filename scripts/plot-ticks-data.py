"""Records matplotlib's axis limits, tick locations and tick labels for plotted ranges.

Run with a Python that has matplotlib: `python scripts/plot-ticks-data.py > tests/plot/ticks.tsv`.
Each line: scale, figure width and height (inches), the data's x range and y range (a line
between the two corners), then what matplotlib chose: x limits, x ticks, x labels, y limits,
y ticks, y labels (lists joined by `;`). lessonrun's plot module is tested against these lines.
"""
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt

CASES = [
    (0, 1, 0, 1), (0, 10, -1, 1), (0, 99, 0.2, 3.5), (1, 2000, 0.01, 0.6), (-3, 3, -5e-4, 7e-4),
    (0, 0.001, 100, 1e5), (-1.5, 2.5, -200, 5), (0, 2 * 3.141592653589793, -1, 1), (5, 5.5, 1e6, 3e6),
    (0, 27, 0, 27), (0, 1000, 2.1, 2.4), (-10, -2, 0.5, 0.51), (0, 7, 0, 49), (1, 1e4, 1e-3, 10),
    (0, 49, 0, 1), (0.1, 0.9, 3, 17), (0, 3, -8, -2), (-0.4, 0.4, 0, 200000), (1000.1, 1000.2, 1, 3e-6),
]
SIZES = [(6.4, 4.8), (3.5, 2.5), (12, 2), (2.5, 2.5)]


def ticks(axis, lo, hi):
    inside = [t for t in axis.get_major_ticks() if min(lo, hi) - 1e-9 * abs(hi - lo) <= t.get_loc() <= max(lo, hi) + 1e-9 * abs(hi - lo)]
    return [t.get_loc() for t in inside], [t.label1.get_text() for t in inside]


def fmt(xs):
    return ";".join(repr(float(x)) for x in xs)


for scale in ("linear", "log"):
    for w, h in SIZES:
        for x0, x1, y0, y1 in CASES:
            if scale == "log" and (x0 <= 0 or y0 <= 0):
                continue
            fig, ax = plt.subplots(figsize=(w, h))
            ax.plot([x0, x1], [y0, y1])
            ax.set_xscale(scale)
            ax.set_yscale(scale)
            fig.canvas.draw()
            xl, yl = ax.get_xlim(), ax.get_ylim()
            xt, xlab = ticks(ax.xaxis, *xl)
            yt, ylab = ticks(ax.yaxis, *yl)
            offsets = ax.xaxis.get_major_formatter().get_offset() + "|" + ax.yaxis.get_major_formatter().get_offset()
            print("\t".join([scale, f"{w} {h}", f"{x0!r} {x1!r}", f"{y0!r} {y1!r}", fmt(xl), fmt(xt), ";".join(xlab), fmt(yl), fmt(yt), ";".join(ylab), offsets]))
            plt.close(fig)
