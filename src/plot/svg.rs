//! Draws a [`Figure`] as a standalone SVG element (no scripts, no external references), laid out
//! as Jupyter's inline backend shows a figure: matplotlib's sizes in points (10 pt tick labels,
//! 12 pt titles, 1.5 pt lines, 3.5 pt ticks), cropped to what is drawn plus 0.1 inch
//! (`bbox_inches='tight'`). Text widths are estimated from DejaVu Sans's advance widths, since
//! the page's font is not known here.

use std::fmt::Write;

use super::colors::Rgba;
use super::figure::{Artist, Axes, Figure, Legend, LegendLoc, LineStyle, Marker, Scale, TickLabel};
use super::png;

const TICK_SIZE: f64 = 10.0;
const TITLE_SIZE: f64 = 12.0;
const LABEL_SIZE: f64 = 10.0;
const TICK_LEN: f64 = 3.5;
const TICK_PAD: f64 = 3.5;
const LABEL_PAD: f64 = 4.0;
const TITLE_PAD: f64 = 6.0;
const FONT: &str = "DejaVu Sans, Bitstream Vera Sans, Arial, Helvetica, sans-serif";

/// The SVG of `figure`. `id` prefixes the element ids (clip paths), so that several figures can
/// share a page.
pub fn render(figure: &Figure, id: &str) -> String {
    let (w, h) = (figure.width * 72.0, figure.height * 72.0);
    let mut c = Canvas { out: String::new(), bbox: Bbox::empty() };
    let boxes = layout(figure, w, h);
    for (i, (ax, b)) in figure.axes.iter().zip(&boxes).enumerate() {
        draw_axes(&mut c, ax, *b, &format!("{id}-ax{i}"));
    }
    if let Some(t) = &figure.suptitle {
        c.text(w / 2.0, 0.02 * h + TITLE_SIZE * 0.76, t, TITLE_SIZE, "middle", Rgba::BLACK, None);
    }
    let b = if c.bbox.is_empty() { Bbox { x0: 0.0, y0: 0.0, x1: w, y1: h } } else { c.bbox.pad(7.2) };
    let title = figure.axes.iter().map(|a| a.title.as_str()).find(|t| !t.is_empty()).or(figure.suptitle.as_deref());
    let label = match title {
        Some(t) => format!("figure: {}", esc(t)),
        None => "figure".to_string(),
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"figure\" role=\"img\" aria-label=\"{label}\" \
         width=\"{}pt\" height=\"{}pt\" viewBox=\"{} {} {} {}\" font-family=\"{FONT}\">\
         <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>{}</svg>",
        num(b.x1 - b.x0),
        num(b.y1 - b.y0),
        num(b.x0),
        num(b.y0),
        num(b.x1 - b.x0),
        num(b.y1 - b.y0),
        num(b.x0),
        num(b.y0),
        num(b.x1 - b.x0),
        num(b.y1 - b.y0),
        c.out
    )
}

/// A rectangle on the page in points, y down.
#[derive(Clone, Copy, Debug)]
struct Bbox {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Bbox {
    fn empty() -> Bbox {
        Bbox { x0: f64::INFINITY, y0: f64::INFINITY, x1: f64::NEG_INFINITY, y1: f64::NEG_INFINITY }
    }
    fn is_empty(&self) -> bool {
        self.x0 > self.x1
    }
    fn add(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        self.x0 = self.x0.min(x0.min(x1));
        self.y0 = self.y0.min(y0.min(y1));
        self.x1 = self.x1.max(x0.max(x1));
        self.y1 = self.y1.max(y0.max(y1));
    }
    fn pad(self, p: f64) -> Bbox {
        Bbox { x0: self.x0 - p, y0: self.y0 - p, x1: self.x1 + p, y1: self.y1 + p }
    }
}

/// The box of an axes on the page: left, top, width, height in points.
#[derive(Clone, Copy, Debug)]
struct AxBox {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

struct Canvas {
    out: String,
    bbox: Bbox,
}

impl Canvas {
    /// Text at a baseline point; `rotate` turns it (degrees) about that point.
    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f64, y: f64, s: &str, size: f64, anchor: &str, color: Rgba, rotate: Option<f64>) {
        let width = text_width(s) * size;
        let x0 = match anchor {
            "middle" => x - width / 2.0,
            "end" => x - width,
            _ => x,
        };
        match rotate {
            Some(_) => self.bbox.add(x - size * 0.76, y - width / 2.0, x + size * 0.24, y + width / 2.0),
            None => self.bbox.add(x0, y - size * 0.76, x0 + width, y + size * 0.24),
        }
        let transform =
            rotate.map(|r| format!(" transform=\"rotate({} {} {})\"", num(r), num(x), num(y))).unwrap_or_default();
        let fill = if color == Rgba::BLACK { String::new() } else { format!(" fill=\"{}\"", color.hex()) };
        let _ = write!(
            self.out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\"{fill}{transform}>{}</text>",
            num(x),
            num(y),
            num(size),
            esc(s)
        );
    }
}

/// Estimated advance width of `s` in ems of DejaVu Sans.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| match c {
            '0'..='9' => 0.636,
            '.' | ',' | ':' | ';' | ' ' | '!' | '|' | '\'' => 0.317,
            '\u{2212}' | '+' | '=' | '<' | '>' => 0.838,
            '-' | '(' | ')' | '[' | ']' => 0.39,
            'i' | 'j' | 'l' => 0.278,
            'f' | 't' | 'r' => 0.4,
            'm' => 0.974,
            'w' => 0.818,
            'M' | 'W' => 0.86,
            'a'..='z' => 0.6,
            'A'..='Z' => 0.7,
            _ => 0.65,
        })
        .sum()
}

/// A number for SVG: at most two decimals, no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn paint(attr: &str, c: Rgba) -> String {
    if c.a >= 1.0 {
        format!(" {attr}=\"{}\"", c.hex())
    } else {
        format!(" {attr}=\"{}\" {attr}-opacity=\"{}\"", c.hex(), num_prec(c.a))
    }
}

fn num_prec(v: f64) -> String {
    let s = format!("{:.3}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Space taken around an axes by its labels: left, right, top, bottom in points.
fn decorations(ax: &Axes, b: AxBox) -> [f64; 4] {
    if !ax.frame_on {
        let top = if ax.title.is_empty() { 0.0 } else { TITLE_PAD + TITLE_SIZE };
        return [0.0, 0.0, top, 0.0];
    }
    let mut left = 0.0;
    if ax.y.visible {
        let (ticks, _) = ax.ticks(false, b.h);
        let widest = ticks.iter().map(|(_, l)| label_width(l)).fold(0.0, f64::max);
        left = TICK_LEN + TICK_PAD + widest * TICK_SIZE;
        if !ax.y.label.is_empty() {
            left += LABEL_PAD + LABEL_SIZE;
        }
    }
    let mut bottom = 0.0;
    if ax.x.visible {
        bottom = TICK_LEN + TICK_PAD + TICK_SIZE;
        if !ax.x.label.is_empty() {
            bottom += LABEL_PAD + LABEL_SIZE;
        }
    }
    let mut top = if ax.title.is_empty() { 0.0 } else { TITLE_PAD + TITLE_SIZE };
    if ax.x_top {
        top += bottom;
        bottom = 0.0;
    }
    [left, TICK_SIZE, top, bottom]
}

fn label_width(l: &TickLabel) -> f64 {
    match l {
        TickLabel::Plain(s) => text_width(s),
        TickLabel::Power(b, e) => text_width(b) + 0.7 * text_width(e),
    }
}

/// Each axes' box, after `tight_layout` and equal aspect.
fn layout(figure: &Figure, w: f64, h: f64) -> Vec<AxBox> {
    let mut boxes: Vec<AxBox> = figure
        .axes
        .iter()
        .map(|a| AxBox { x: a.rect[0] * w, y: (1.0 - a.rect[1] - a.rect[3]) * h, w: a.rect[2] * w, h: a.rect[3] * h })
        .collect();
    let grid = figure.axes.first().and_then(|a| a.grid);
    if figure.tight
        && let Some((rows, cols, _)) = grid
        && figure.axes.iter().all(|a| a.grid.is_some_and(|g| (g.0, g.1) == (rows, cols)))
    {
        let pad = 1.08 * TICK_SIZE;
        let mut dec = [0f64; 4];
        for (a, b) in figure.axes.iter().zip(&boxes) {
            let d = decorations(a, *b);
            for k in 0..4 {
                dec[k] = dec[k].max(d[k]);
            }
        }
        let top0 = pad + if figure.suptitle.is_some() { TITLE_SIZE * 1.5 } else { 0.0 };
        let (rows_f, cols_f) = (rows as f64, cols as f64);
        let cell_w = ((w - 2.0 * pad - (cols_f - 1.0) * pad) / cols_f - dec[0] - dec[1]).max(10.0);
        let cell_h = ((h - top0 - pad - (rows_f - 1.0) * pad) / rows_f - dec[2] - dec[3]).max(10.0);
        for (a, b) in figure.axes.iter().zip(boxes.iter_mut()) {
            let (_, _, i) = a.grid.unwrap_or((1, 1, 0));
            let (r, c) = ((i / cols) as f64, (i % cols) as f64);
            *b = AxBox {
                x: pad + c * (cell_w + dec[0] + dec[1] + pad) + dec[0],
                y: top0 + r * (cell_h + dec[2] + dec[3] + pad) + dec[2],
                w: cell_w,
                h: cell_h,
            };
        }
    }
    for (a, b) in figure.axes.iter().zip(boxes.iter_mut()) {
        if a.equal_aspect {
            let (x0, x1) = a.view_limits(true);
            let (y0, y1) = a.view_limits(false);
            let aspect = ((y1 - y0) / (x1 - x0)).abs();
            if aspect.is_finite() && aspect > 0.0 {
                if b.h / b.w > aspect {
                    let nh = b.w * aspect;
                    b.y += (b.h - nh) / 2.0;
                    b.h = nh;
                } else {
                    let nw = b.h / aspect;
                    b.x += (b.w - nw) / 2.0;
                    b.w = nw;
                }
            }
        }
    }
    boxes
}

/// Data to page coordinates for one axes.
struct Transform {
    b: AxBox,
    x: (f64, f64),
    y: (f64, f64),
    xlog: bool,
    ylog: bool,
}

impl Transform {
    fn t(v: f64, log: bool) -> f64 {
        if log { if v > 0.0 { v.log10() } else { f64::NAN } } else { v }
    }
    fn px(&self, v: f64) -> f64 {
        let (a, b) = (Self::t(self.x.0, self.xlog), Self::t(self.x.1, self.xlog));
        self.b.x + (Self::t(v, self.xlog) - a) / (b - a) * self.b.w
    }
    fn py(&self, v: f64) -> f64 {
        let (a, b) = (Self::t(self.y.0, self.ylog), Self::t(self.y.1, self.ylog));
        self.b.y + self.b.h - (Self::t(v, self.ylog) - a) / (b - a) * self.b.h
    }
}

fn dash(style: LineStyle, width: f64) -> String {
    let pattern: &[f64] = match style {
        LineStyle::Dashed => &[3.7, 1.6],
        LineStyle::DashDot => &[6.4, 1.6, 1.0, 1.6],
        LineStyle::Dotted => &[1.0, 1.65],
        _ => return String::new(),
    };
    let scaled: Vec<String> = pattern.iter().map(|p| num(p * width)).collect();
    format!(" stroke-dasharray=\"{}\"", scaled.join(","))
}

fn draw_axes(c: &mut Canvas, ax: &Axes, b: AxBox, id: &str) {
    let tr = Transform {
        b,
        x: ax.view_limits(true),
        y: ax.view_limits(false),
        xlog: ax.x.scale == Scale::Log,
        ylog: ax.y.scale == Scale::Log,
    };
    c.out.push_str("<g class=\"axes\">");
    if ax.frame_on && !ax.x_top {
        let _ = write!(
            c.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
            num(b.x),
            num(b.y),
            num(b.w),
            num(b.h)
        );
    }
    c.bbox.add(b.x, b.y, b.x + b.w, b.y + b.h);
    let (xticks, xend) = if ax.frame_on && ax.x.visible { ax.ticks(true, b.w) } else { (Vec::new(), String::new()) };
    let (yticks, yend) = if ax.frame_on && ax.y.visible { ax.ticks(false, b.h) } else { (Vec::new(), String::new()) };
    if ax.grid_lines && ax.frame_on {
        for (t, _) in &xticks {
            let x = tr.px(*t);
            let _ = write!(
                c.out,
                "<path d=\"M{} {}V{}\" stroke=\"#b0b0b0\" stroke-width=\"0.8\"/>",
                num(x),
                num(b.y),
                num(b.y + b.h)
            );
        }
        for (t, _) in &yticks {
            let y = tr.py(*t);
            let _ = write!(
                c.out,
                "<path d=\"M{} {}H{}\" stroke=\"#b0b0b0\" stroke-width=\"0.8\"/>",
                num(b.x),
                num(y),
                num(b.x + b.w)
            );
        }
    }
    let _ = write!(
        c.out,
        "<clipPath id=\"{id}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath><g clip-path=\"url(#{id})\">",
        num(b.x),
        num(b.y),
        num(b.w),
        num(b.h)
    );
    for a in &ax.artists {
        draw_artist(c, a, &tr);
    }
    c.out.push_str("</g>");
    if ax.frame_on {
        let _ = write!(
            c.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#000000\" stroke-width=\"0.8\"/>",
            num(b.x),
            num(b.y),
            num(b.w),
            num(b.h)
        );
        draw_ticks(c, ax, &tr, &xticks, &yticks, &xend, &yend);
    }
    if !ax.title.is_empty() {
        c.text(b.x + b.w / 2.0, b.y - TITLE_PAD, &ax.title, TITLE_SIZE, "middle", Rgba::BLACK, None);
    }
    if let Some(legend) = &ax.legend {
        draw_legend(c, ax, legend, &tr);
    }
    c.out.push_str("</g>");
}

#[allow(clippy::too_many_arguments)]
fn draw_ticks(
    c: &mut Canvas,
    ax: &Axes,
    tr: &Transform,
    xticks: &[(f64, TickLabel)],
    yticks: &[(f64, TickLabel)],
    xend: &str,
    yend: &str,
) {
    let b = tr.b;
    let mut d = String::new();
    // A twin's x axis (`twiny`) runs along the top edge, its ticks pointing up.
    let (edge, out) = if ax.x_top { (b.y, -1.0) } else { (b.y + b.h, 1.0) };
    for (t, _) in xticks {
        let _ = write!(d, "M{} {}v{}", num(tr.px(*t)), num(edge), num(out * TICK_LEN));
    }
    for (t, _) in yticks {
        let _ = write!(d, "M{} {}h{}", num(b.x), num(tr.py(*t)), num(-TICK_LEN));
    }
    if !d.is_empty() {
        let _ = write!(c.out, "<path d=\"{d}\" stroke=\"#000000\" stroke-width=\"0.8\"/>");
    }
    let base_x = if ax.x_top {
        b.y - TICK_LEN - TICK_PAD - TICK_SIZE * 0.24
    } else {
        b.y + b.h + TICK_LEN + TICK_PAD + TICK_SIZE * 0.76
    };
    for (t, l) in xticks {
        tick_label(c, tr.px(*t), base_x, l, "middle");
    }
    let mut widest: f64 = 0.0;
    for (t, l) in yticks {
        widest = widest.max(label_width(l) * TICK_SIZE);
        tick_label(c, b.x - TICK_LEN - TICK_PAD, tr.py(*t) + TICK_SIZE * 0.35, l, "end");
    }
    let mut below = if ax.x.visible && !xticks.is_empty() { TICK_LEN + TICK_PAD + TICK_SIZE * 1.0 } else { 0.0 };
    if !xend.is_empty() {
        c.text(b.x + b.w, base_x + TICK_SIZE * 1.2, xend, TICK_SIZE, "end", Rgba::BLACK, None);
        below += TICK_SIZE * 1.2;
    }
    if !yend.is_empty() {
        c.text(b.x, b.y - 3.0, yend, TICK_SIZE, "start", Rgba::BLACK, None);
    }
    if !ax.x.label.is_empty() && ax.x.visible {
        let y = if ax.x_top {
            b.y - below - LABEL_PAD - LABEL_SIZE * 0.24
        } else {
            b.y + b.h + below + LABEL_PAD + LABEL_SIZE * 0.76
        };
        c.text(
            b.x + b.w / 2.0,
            y,
            &ax.x.label,
            LABEL_SIZE,
            "middle",
            Rgba::BLACK,
            None,
        );
    }
    if !ax.y.label.is_empty() && ax.y.visible {
        let left = if yticks.is_empty() { 0.0 } else { TICK_LEN + TICK_PAD + widest };
        let x = b.x - left - LABEL_PAD - LABEL_SIZE * 0.24;
        c.text(x, b.y + b.h / 2.0, &ax.y.label, LABEL_SIZE, "middle", Rgba::BLACK, Some(-90.0));
    }
}

fn tick_label(c: &mut Canvas, x: f64, y: f64, l: &TickLabel, anchor: &str) {
    match l {
        TickLabel::Plain(s) => c.text(x, y, s, TICK_SIZE, anchor, Rgba::BLACK, None),
        TickLabel::Power(base, exp) => {
            let width = label_width(l) * TICK_SIZE;
            let x0 = match anchor {
                "middle" => x - width / 2.0,
                "end" => x - width,
                _ => x,
            };
            c.bbox.add(x0, y - TICK_SIZE, x0 + width, y + TICK_SIZE * 0.24);
            let _ = write!(
                c.out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\">{}<tspan dy=\"{}\" font-size=\"{}\">{}</tspan></text>",
                num(x0),
                num(y),
                num(TICK_SIZE),
                esc(base),
                num(-TICK_SIZE * 0.4),
                num(TICK_SIZE * 0.7),
                esc(exp)
            );
        }
    }
}

fn draw_artist(c: &mut Canvas, a: &Artist, tr: &Transform) {
    match a {
        Artist::Line(l) => {
            if l.style != LineStyle::None && l.width > 0.0 {
                let mut d = String::new();
                let mut pen_down = false;
                for (&x, &y) in l.xs.iter().zip(&l.ys) {
                    let (px, py) = (tr.px(x), tr.py(y));
                    if !px.is_finite() || !py.is_finite() {
                        pen_down = false;
                        continue;
                    }
                    let _ = write!(d, "{}{} {}", if pen_down { "L" } else { "M" }, num(px), num(py));
                    pen_down = true;
                }
                if !d.is_empty() {
                    let _ = write!(
                        c.out,
                        "<path d=\"{d}\" fill=\"none\"{} stroke-width=\"{}\" stroke-linejoin=\"round\" stroke-linecap=\"square\"{}/>",
                        paint("stroke", l.color),
                        num(l.width),
                        dash(l.style, l.width)
                    );
                }
            }
            if let Some(m) = l.marker {
                let face = l.marker_face.unwrap_or(l.color);
                for (&x, &y) in l.xs.iter().zip(&l.ys) {
                    marker(&mut c.out, m, tr.px(x), tr.py(y), l.marker_size, face, l.color);
                }
            }
        }
        Artist::Scatter(s) => {
            for (i, (&x, &y)) in s.xs.iter().zip(&s.ys).enumerate() {
                let size = s.sizes.get(i).or(s.sizes.first()).copied().unwrap_or(36.0).max(0.0).sqrt();
                let color = s.colors.get(i).or(s.colors.first()).copied().unwrap_or(Rgba::BLACK);
                marker(&mut c.out, s.marker, tr.px(x), tr.py(y), size, color, s.edge.unwrap_or(color));
            }
        }
        Artist::Bars(bars) => {
            for (i, r) in bars.rects.iter().enumerate() {
                let (x0, x1) = (tr.px(r[0]), tr.px(r[0] + r[2]));
                let (y0, y1) = (tr.py(r[1]), tr.py(r[1] + r[3]));
                if ![x0, x1, y0, y1].iter().all(|v| v.is_finite()) {
                    continue;
                }
                let color = bars.colors.get(i).or(bars.colors.first()).copied().unwrap_or(Rgba::BLACK);
                let edge = bars.edge.map(|e| format!("{} stroke-width=\"1\"", paint("stroke", e))).unwrap_or_default();
                let _ = write!(
                    c.out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}{edge}/>",
                    num(x0.min(x1)),
                    num(y0.min(y1)),
                    num((x1 - x0).abs()),
                    num((y1 - y0).abs()),
                    paint("fill", color)
                );
            }
        }
        Artist::Image(im) => {
            let (x0, x1) = (tr.px(im.extent[0]), tr.px(im.extent[1]));
            let (ybottom, ytop) = (tr.py(im.extent[2]), tr.py(im.extent[3]));
            if ![x0, x1, ybottom, ytop].iter().all(|v| v.is_finite()) || im.rows == 0 || im.cols == 0 {
                return;
            }
            let pixels: Vec<[u8; 4]> = im.pixels.iter().map(Rgba::bytes).collect();
            let mut flips = Vec::new();
            if x1 < x0 {
                flips.push(format!("translate({} 0) scale(-1 1)", num(x0 + x1)));
            }
            if ytop > ybottom {
                flips.push(format!("translate(0 {}) scale(1 -1)", num(ytop + ybottom)));
            }
            let transform =
                if flips.is_empty() { String::new() } else { format!(" transform=\"{}\"", flips.join(" ")) };
            let _ = write!(
                c.out,
                "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\"{transform} href=\"{}\"/>",
                num(x0.min(x1)),
                num(ytop.min(ybottom)),
                num((x1 - x0).abs()),
                num((ybottom - ytop).abs()),
                png::data_url(im.cols, im.rows, &pixels)
            );
        }
        Artist::Text(t) => {
            let (x, y) = if t.axes_coords {
                (tr.b.x + t.x * tr.b.w, tr.b.y + (1.0 - t.y) * tr.b.h)
            } else {
                (tr.px(t.x), tr.py(t.y))
            };
            if !x.is_finite() || !y.is_finite() {
                return;
            }
            let anchor = match t.ha.as_str() {
                "center" => "middle",
                "right" => "end",
                _ => "start",
            };
            let lines: Vec<&str> = t.text.split('\n').collect();
            let n = lines.len() as f64;
            let first = match t.va.as_str() {
                "top" => y + t.size * 0.76,
                "center" | "center_baseline" => y + t.size * 0.35 - (n - 1.0) * t.size * 0.6,
                "bottom" => y - t.size * 0.24 - (n - 1.0) * t.size * 1.2,
                _ => y - (n - 1.0) * t.size * 1.2,
            };
            if let Some(face) = t.bbox {
                // matplotlib's default box: the text's extent padded by 0.3 of the font size.
                let w = lines.iter().map(|l| text_width(l)).fold(0.0, f64::max) * t.size;
                let x0 = match anchor {
                    "middle" => x - w / 2.0,
                    "end" => x - w,
                    _ => x,
                };
                let pad = 0.3 * t.size;
                let top = first - t.size * 0.76 - pad;
                let height = (n - 1.0) * t.size * 1.2 + t.size + 2.0 * pad;
                let _ = write!(
                    c.out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}/>",
                    num(x0 - pad),
                    num(top),
                    num(w + 2.0 * pad),
                    num(height),
                    paint("fill", face)
                );
            }
            for (i, line) in lines.iter().enumerate() {
                c.text(x, first + i as f64 * t.size * 1.2, line, t.size, anchor, t.color, None);
            }
        }
        Artist::Fill(f) => {
            let pts: Vec<(f64, f64)> = f.points.iter().map(|&(x, y)| (tr.px(x), tr.py(y))).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
            if pts.len() < 3 {
                return;
            }
            let d: Vec<String> = pts.iter().enumerate().map(|(i, (x, y))| format!("{}{} {}", if i == 0 { "M" } else { "L" }, num(*x), num(*y))).collect();
            let _ = write!(c.out, "<path d=\"{} Z\"{}/>", d.join(" "), paint("fill", f.color));
        }
        Artist::Patch(p) => {
            let (x0, x1) = (tr.px(p.rect[0]), tr.px(p.rect[0] + p.rect[2]));
            let (y0, y1) = (tr.py(p.rect[1]), tr.py(p.rect[1] + p.rect[3]));
            if ![x0, x1, y0, y1].iter().all(|v| v.is_finite()) {
                return;
            }
            let fill = p.face.map_or_else(|| " fill=\"none\"".to_string(), |f| paint("fill", f));
            let stroke = p
                .edge
                .map(|e| format!("{} stroke-width=\"{}\"", paint("stroke", e), num(p.width)))
                .unwrap_or_default();
            let _ = write!(
                c.out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{fill}{stroke}/>",
                num(x0.min(x1)),
                num(y0.min(y1)),
                num((x1 - x0).abs()),
                num((y1 - y0).abs())
            );
        }
        Artist::Span(s) => {
            let d = if s.horizontal {
                format!("M{} {}H{}", num(tr.b.x), num(tr.py(s.at)), num(tr.b.x + tr.b.w))
            } else {
                format!("M{} {}V{}", num(tr.px(s.at)), num(tr.b.y), num(tr.b.y + tr.b.h))
            };
            let _ = write!(
                c.out,
                "<path d=\"{d}\"{} stroke-width=\"{}\"{}/>",
                paint("stroke", s.color),
                num(s.width),
                dash(s.style, s.width)
            );
        }
    }
}

/// One marker centred at (x, y), `size` points across.
fn marker(out: &mut String, m: Marker, x: f64, y: f64, size: f64, face: Rgba, edge: Rgba) {
    if !x.is_finite() || !y.is_finite() {
        return;
    }
    let r = size / 2.0;
    let fill = format!("{}{} stroke-width=\"1\"", paint("fill", face), paint("stroke", edge));
    let poly = |out: &mut String, pts: &[(f64, f64)]| {
        let p: Vec<String> = pts.iter().map(|(dx, dy)| format!("{},{}", num(x + dx * r), num(y - dy * r))).collect();
        let _ = write!(out, "<polygon points=\"{}\"{fill}/>", p.join(" "));
    };
    let regular = |n: usize, rot: f64, inner: Option<f64>| -> Vec<(f64, f64)> {
        let count = if inner.is_some() { 2 * n } else { n };
        (0..count)
            .map(|i| {
                let a = rot + std::f64::consts::PI * 2.0 * i as f64 / count as f64;
                let k = if inner.is_some() && i % 2 == 1 { inner.unwrap_or(1.0) } else { 1.0 };
                (k * a.sin(), k * a.cos())
            })
            .collect()
    };
    match m {
        Marker::Circle => {
            let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{fill}/>", num(x), num(y), num(r));
        }
        Marker::Point => {
            let _ = write!(
                out,
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}/>",
                num(x),
                num(y),
                num(r / 2.0),
                paint("fill", face)
            );
        }
        Marker::Pixel => {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"1\"{}/>",
                num(x - 0.5),
                num(y - 0.5),
                paint("fill", face)
            );
        }
        Marker::Square => poly(out, &[(-0.71, -0.71), (0.71, -0.71), (0.71, 0.71), (-0.71, 0.71)]),
        Marker::Diamond => poly(out, &[(0.0, -0.71), (0.71, 0.0), (0.0, 0.71), (-0.71, 0.0)]),
        Marker::ThinDiamond => poly(out, &[(0.0, -0.71), (0.43, 0.0), (0.0, 0.71), (-0.43, 0.0)]),
        Marker::TriangleUp => poly(out, &[(0.0, 1.0), (-0.87, -0.5), (0.87, -0.5)]),
        Marker::TriangleDown => poly(out, &[(0.0, -1.0), (-0.87, 0.5), (0.87, 0.5)]),
        Marker::TriangleLeft => poly(out, &[(-1.0, 0.0), (0.5, 0.87), (0.5, -0.87)]),
        Marker::TriangleRight => poly(out, &[(1.0, 0.0), (-0.5, 0.87), (-0.5, -0.87)]),
        Marker::Star => poly(out, &regular(5, 0.0, Some(0.38))),
        Marker::Pentagon => poly(out, &regular(5, 0.0, None)),
        Marker::Hexagon => poly(out, &regular(6, 0.0, None)),
        Marker::Plus | Marker::X | Marker::VLine | Marker::HLine => {
            let d = match m {
                Marker::Plus => {
                    format!("M{} {}h{}M{} {}v{}", num(x - r), num(y), num(2.0 * r), num(x), num(y - r), num(2.0 * r))
                }
                Marker::X => format!(
                    "M{} {}l{} {}M{} {}l{} {}",
                    num(x - r * 0.71),
                    num(y - r * 0.71),
                    num(r * 1.42),
                    num(r * 1.42),
                    num(x - r * 0.71),
                    num(y + r * 0.71),
                    num(r * 1.42),
                    num(-r * 1.42)
                ),
                Marker::VLine => format!("M{} {}v{}", num(x), num(y - r), num(2.0 * r)),
                _ => format!("M{} {}h{}", num(x - r), num(y), num(2.0 * r)),
            };
            let _ = write!(out, "<path d=\"{d}\"{} stroke-width=\"1\"/>", paint("stroke", edge));
        }
    }
}

fn draw_legend(c: &mut Canvas, ax: &Axes, legend: &Legend, tr: &Transform) {
    if legend.entries.is_empty() {
        return;
    }
    let size = 10.0;
    let row = size * 1.2 + size * 0.5;
    let text_w = legend.entries.iter().map(|(l, _)| text_width(l) * size).fold(0.0, f64::max);
    let title_h = if legend.title.is_some() { row } else { 0.0 };
    let (w, h) = (
        size * (0.4 + 2.0 + 0.8 + 0.4) + text_w + 4.0,
        legend.entries.len() as f64 * row - size * 0.5 + size * 0.8 + title_h,
    );
    let b = tr.b;
    let pad = size * 0.5;
    let place = |loc: LegendLoc| -> (f64, f64) {
        let (left, cx, right) = (b.x + pad, b.x + (b.w - w) / 2.0, b.x + b.w - w - pad);
        let (top, cy, bottom) = (b.y + pad, b.y + (b.h - h) / 2.0, b.y + b.h - h - pad);
        match loc {
            LegendLoc::UpperRight | LegendLoc::Best => (right, top),
            LegendLoc::UpperLeft => (left, top),
            LegendLoc::LowerLeft => (left, bottom),
            LegendLoc::LowerRight => (right, bottom),
            LegendLoc::Right | LegendLoc::CenterRight => (right, cy),
            LegendLoc::CenterLeft => (left, cy),
            LegendLoc::LowerCenter => (cx, bottom),
            LegendLoc::UpperCenter => (cx, top),
            LegendLoc::Center => (cx, cy),
        }
    };
    let (x, y) = if legend.loc == LegendLoc::Best {
        // matplotlib's 'best': the candidate covering the fewest data points, earliest on ties.
        let points: Vec<(f64, f64)> = ax
            .artists
            .iter()
            .flat_map(|a| match a {
                Artist::Line(l) => l.xs.iter().zip(&l.ys).map(|(&x, &y)| (tr.px(x), tr.py(y))).collect::<Vec<_>>(),
                Artist::Scatter(s) => s.xs.iter().zip(&s.ys).map(|(&x, &y)| (tr.px(x), tr.py(y))).collect(),
                _ => Vec::new(),
            })
            .collect();
        let candidates = [
            LegendLoc::UpperRight,
            LegendLoc::UpperLeft,
            LegendLoc::LowerLeft,
            LegendLoc::LowerRight,
            LegendLoc::CenterRight,
            LegendLoc::CenterLeft,
            LegendLoc::CenterRight,
            LegendLoc::LowerCenter,
            LegendLoc::UpperCenter,
            LegendLoc::Center,
        ];
        let count = |(x, y): (f64, f64)| {
            points.iter().filter(|(px, py)| *px >= x && *px <= x + w && *py >= y && *py <= y + h).count()
        };
        candidates.iter().map(|&l| place(l)).min_by_key(|&p| count(p)).unwrap_or_else(|| place(LegendLoc::UpperRight))
    } else {
        place(legend.loc)
    };
    let _ = write!(
        c.out,
        "<g class=\"legend\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"#ffffff\" fill-opacity=\"0.8\" stroke=\"#cccccc\" stroke-width=\"0.8\"/>",
        num(x),
        num(y),
        num(w),
        num(h)
    );
    let mut ty = y + size * 0.4;
    if let Some(t) = &legend.title {
        c.text(x + w / 2.0, ty + size * 0.9, t, size, "middle", Rgba::BLACK, None);
        ty += row;
    }
    for (label, idx) in &legend.entries {
        let mid = ty + size * 0.6;
        let hx = x + size * 0.4;
        match ax.artists.get(*idx) {
            Some(Artist::Line(l)) => {
                if l.style != LineStyle::None {
                    let _ = write!(
                        c.out,
                        "<path d=\"M{} {}h{}\" fill=\"none\"{} stroke-width=\"{}\"{}/>",
                        num(hx),
                        num(mid),
                        num(2.0 * size),
                        paint("stroke", l.color),
                        num(l.width),
                        dash(l.style, l.width)
                    );
                }
                if let Some(m) = l.marker {
                    marker(&mut c.out, m, hx + size, mid, l.marker_size, l.marker_face.unwrap_or(l.color), l.color);
                }
            }
            Some(Artist::Span(s)) => {
                let _ = write!(
                    c.out,
                    "<path d=\"M{} {}h{}\"{} stroke-width=\"{}\"{}/>",
                    num(hx),
                    num(mid),
                    num(2.0 * size),
                    paint("stroke", s.color),
                    num(s.width),
                    dash(s.style, s.width)
                );
            }
            Some(Artist::Scatter(s)) => {
                let color = s.colors.first().copied().unwrap_or(Rgba::BLACK);
                let sz = s.sizes.first().copied().unwrap_or(36.0).sqrt();
                marker(&mut c.out, s.marker, hx + size, mid, sz, color, s.edge.unwrap_or(color));
            }
            Some(Artist::Bars(bars)) => {
                let color = bars.colors.first().copied().unwrap_or(Rgba::BLACK);
                let _ = write!(
                    c.out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}/>",
                    num(hx),
                    num(mid - size * 0.35),
                    num(2.0 * size),
                    num(size * 0.7),
                    paint("fill", color)
                );
            }
            _ => {}
        }
        c.text(hx + size * 2.8, mid + size * 0.35, label, size, "start", Rgba::BLACK, None);
        ty += row;
    }
    c.out.push_str("</g>");
}
