//! The figure model: a figure of axes, each holding artists (lines, scatters, bars, images,
//! texts) and the state of its two axes. It computes what matplotlib computes at draw time:
//! view limits (data limits with 5% margins, sticky edges for bars and images), ticks and
//! their labels. The Python bindings fill it in; `svg` draws it.

use super::colors::Rgba;
use super::ticks;

/// A function from axis values to where they are placed (log10 on log axes), or back.
type Map = fn(f64) -> f64;

/// A figure: its size in inches and its axes, in creation order.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    pub width: f64,
    pub height: f64,
    pub axes: Vec<Axes>,
    pub suptitle: Option<String>,
    /// `tight_layout()` was called: spacing is fitted to the axes' labels.
    pub tight: bool,
}

impl Figure {
    pub fn new(width: f64, height: f64) -> Figure {
        Figure { width, height, axes: Vec::new(), suptitle: None, tight: false }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
}

/// One axis (x or y) of an axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Limits set by `set_xlim` (either end may be left to autoscaling).
    pub lim: (Option<f64>, Option<f64>),
    pub scale: Scale,
    pub label: String,
    /// `get_xaxis().set_visible(False)` hides ticks and labels.
    pub visible: bool,
    /// Ticks set by `set_xticks`/`xticks`, with optional labels.
    pub ticks: Option<Vec<(f64, Option<String>)>>,
    /// `margins()`: the fraction of the data range added at each end.
    pub margin: f64,
}

impl Default for Axis {
    fn default() -> Self {
        Axis { lim: (None, None), scale: Scale::Linear, label: String::new(), visible: true, ticks: None, margin: 0.05 }
    }
}

/// Where a legend goes (`loc=`); `Best` picks the corner with the fewest data points under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegendLoc {
    Best,
    UpperRight,
    UpperLeft,
    LowerLeft,
    LowerRight,
    Right,
    CenterLeft,
    CenterRight,
    LowerCenter,
    UpperCenter,
    Center,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Legend {
    pub loc: LegendLoc,
    /// (label, sample of the artist: its index in `Axes::artists`).
    pub entries: Vec<(String, usize)>,
    pub title: Option<String>,
}

/// One plotting area.
#[derive(Clone, Debug, PartialEq)]
pub struct Axes {
    /// Left, bottom, width, height as fractions of the figure (before `tight` or aspect).
    pub rect: [f64; 4],
    /// Position in a subplot grid (rows, cols, index from 0), for `tight_layout`.
    pub grid: Option<(usize, usize, usize)>,
    pub artists: Vec<Artist>,
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub grid_lines: bool,
    /// `axis('off')`: no spines, ticks or labels.
    pub frame_on: bool,
    pub legend: Option<Legend>,
    /// Images make the axes keep their data aspect (`aspect='equal'`) and the y axis run down.
    pub equal_aspect: bool,
    pub y_inverted: bool,
    /// How many colours of the default cycle lines and patches took so far.
    pub cycle: usize,
    /// A 3-D axes (`projection='3d'`), whose artists are already projected onto the page.
    pub view3d: Option<View3d>,
    /// A twin made by `twiny()`: its x axis runs along the top, it has no y axis of its own and
    /// no background, so the axes it twins shows through.
    pub x_top: bool,
}

/// What a 3-D axes keeps: the data ranges its box was fitted to, by its first 3-D artist.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct View3d {
    pub ranges: Option<[[f64; 2]; 3]>,
}

impl Axes {
    pub fn new(rect: [f64; 4]) -> Axes {
        Axes {
            rect,
            grid: None,
            artists: Vec::new(),
            title: String::new(),
            x: Axis::default(),
            y: Axis::default(),
            grid_lines: false,
            frame_on: true,
            legend: None,
            equal_aspect: false,
            y_inverted: false,
            cycle: 0,
            view3d: None,
            x_top: false,
        }
    }

    /// The rect of cell `index` of a `rows`×`cols` grid with matplotlib's default subplot
    /// parameters (left .125, right .9, bottom .11, top .88, wspace and hspace .2).
    pub fn grid_rect(rows: usize, cols: usize, index: usize) -> [f64; 4] {
        let (left, right, bottom, top, wspace, hspace) = (0.125, 0.9, 0.11, 0.88, 0.2, 0.2);
        let (r, c) = (index / cols, index % cols);
        let w = (right - left) / (cols as f64 + wspace * (cols as f64 - 1.0));
        let h = (top - bottom) / (rows as f64 + hspace * (rows as f64 - 1.0));
        [left + c as f64 * w * (1.0 + wspace), top - h - r as f64 * h * (1.0 + hspace), w, h]
    }

    /// The next colour of the default cycle.
    pub fn next_color(&mut self) -> Rgba {
        let c = super::colors::cycle(self.cycle);
        self.cycle += 1;
        c
    }

    /// `cla()`: everything drawn and set goes, the position stays.
    pub fn clear(&mut self) {
        *self = Axes { rect: self.rect, grid: self.grid, x_top: self.x_top, ..Axes::new(self.rect) };
    }

    /// The data limits of the artists along x (`horizontal`) or y, with the values at which
    /// margins stop (sticky edges: a bar's base, an image's border).
    fn data_limits(&self, horizontal: bool) -> (Option<(f64, f64)>, Vec<f64>) {
        let log = if horizontal { self.x.scale } else { self.y.scale } == Scale::Log;
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let mut sticky = Vec::new();
        let mut take = |v: f64| {
            if v.is_finite() && (!log || v > 0.0) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        };
        for a in &self.artists {
            match a {
                Artist::Line(l) => l.xs_or_ys(horizontal).iter().for_each(|&v| take(v)),
                Artist::Scatter(s) => (if horizontal { &s.xs } else { &s.ys }).iter().for_each(|&v| take(v)),
                Artist::Bars(b) => {
                    for r in &b.rects {
                        let (start, len) = if horizontal { (r[0], r[2]) } else { (r[1], r[3]) };
                        take(start);
                        take(start + len);
                        if b.vertical != horizontal {
                            sticky.push(start);
                        }
                    }
                }
                Artist::Image(im) => {
                    let (a, b) = if horizontal { (im.extent[0], im.extent[1]) } else { (im.extent[2], im.extent[3]) };
                    take(a);
                    take(b);
                    sticky.push(a);
                    sticky.push(b);
                }
                Artist::Span(s) if s.horizontal != horizontal => take(s.at),
                Artist::Patch(p) => {
                    let (start, len) = if horizontal { (p.rect[0], p.rect[2]) } else { (p.rect[1], p.rect[3]) };
                    take(start);
                    take(start + len);
                }
                Artist::Fill(f) => {
                    for &(x, y) in &f.points {
                        take(if horizontal { x } else { y });
                    }
                }
                _ => {}
            }
        }
        ((lo <= hi).then_some((lo, hi)), sticky)
    }

    /// The view limits along one axis, as matplotlib's autoscaling computes them.
    pub fn view_limits(&self, horizontal: bool) -> (f64, f64) {
        let axis = if horizontal { &self.x } else { &self.y };
        let log = axis.scale == Scale::Log;
        let (data, sticky) = self.data_limits(horizontal);
        let (lo, hi) = match data {
            Some((lo, hi)) => {
                let (tf, inv): (Map, Map) =
                    if log { (f64::log10, |v| 10f64.powf(v)) } else { (|v| v, |v| v) };
                let (lo, hi) = if log && lo == hi { (lo / 10.0, hi * 10.0) } else { ticks::nonsingular(lo, hi, 0.05) };
                let (tlo, thi) = (tf(lo), tf(hi));
                let m = (thi - tlo) * axis.margin;
                let mut new_lo = inv(tlo - m);
                let mut new_hi = inv(thi + m);
                // Margins stop at a sticky edge the data reaches.
                let tol = 1e-5 * lo.abs().max(hi.abs()).max((hi - lo).abs());
                let below = sticky.iter().copied().filter(|&s| s < lo + tol).fold(f64::NEG_INFINITY, f64::max);
                let above = sticky.iter().copied().filter(|&s| s > hi - tol).fold(f64::INFINITY, f64::min);
                new_lo = new_lo.max(below);
                new_hi = new_hi.min(above);
                (new_lo, new_hi)
            }
            None if log => (1.0, 10.0),
            None => (0.0, 1.0),
        };
        let lo = axis.lim.0.unwrap_or(lo);
        let hi = axis.lim.1.unwrap_or(hi);
        if !horizontal && self.y_inverted && axis.lim == (None, None) { (hi, lo) } else { (lo, hi) }
    }

    /// The ticks shown along one axis (those inside the view) and their labels, plus the text
    /// shown at the axis end. `length_pt` is the axis's length on the page.
    pub fn ticks(&self, horizontal: bool, length_pt: f64) -> (Vec<(f64, TickLabel)>, String) {
        let axis = if horizontal { &self.x } else { &self.y };
        let (a, b) = self.view_limits(horizontal);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let slack = (hi - lo).abs() * 1e-10;
        let inside = |t: f64| t >= lo - slack && t <= hi + slack;
        if let Some(fixed) = &axis.ticks {
            let locs: Vec<f64> = fixed.iter().map(|t| t.0).collect();
            let (auto, end) = ticks::scalar_labels(&locs, (lo, hi));
            let out = fixed
                .iter()
                .zip(auto)
                .filter(|((t, _), _)| inside(*t))
                .map(|((t, l), a)| (*t, TickLabel::Plain(l.clone().unwrap_or(a))))
                .collect();
            let end = if fixed.iter().any(|t| t.1.is_some()) { String::new() } else { end };
            return (out, end);
        }
        let nbins = ticks::auto_bins(length_pt, horizontal);
        if axis.scale == Scale::Log {
            let locs = ticks::log_locator(lo, hi, nbins);
            let out = locs
                .into_iter()
                .filter(|&t| inside(t))
                .map(|t| {
                    let (base, exp) = ticks::log_label(t);
                    (t, TickLabel::Power(base, exp))
                })
                .collect();
            return (out, String::new());
        }
        let locs = ticks::max_n_locator(lo, hi, nbins);
        let (labels, end) = ticks::scalar_labels(&locs, (lo, hi));
        let out =
            locs.into_iter().zip(labels).filter(|(t, _)| inside(*t)).map(|(t, l)| (t, TickLabel::Plain(l))).collect();
        (out, end)
    }
}

/// A tick's label: plain text, or a power (`10` with a superscript) on log axes.
#[derive(Clone, Debug, PartialEq)]
pub enum TickLabel {
    Plain(String),
    Power(String, String),
}

impl TickLabel {
    /// Its width in characters of the tick font, for layout.
    pub fn chars(&self) -> f64 {
        match self {
            TickLabel::Plain(s) => s.chars().count() as f64,
            TickLabel::Power(b, e) => b.chars().count() as f64 + 0.7 * e.chars().count() as f64,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStyle {
    Solid,
    Dashed,
    DashDot,
    Dotted,
    None,
}

/// Marker shapes of format strings and `marker=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Point,
    Pixel,
    Circle,
    Square,
    Diamond,
    ThinDiamond,
    TriangleUp,
    TriangleDown,
    TriangleLeft,
    TriangleRight,
    Star,
    Plus,
    X,
    Pentagon,
    Hexagon,
    VLine,
    HLine,
}

impl Marker {
    pub fn from_char(c: char) -> Option<Marker> {
        Some(match c {
            '.' => Marker::Point,
            ',' => Marker::Pixel,
            'o' => Marker::Circle,
            's' => Marker::Square,
            'D' => Marker::Diamond,
            'd' => Marker::ThinDiamond,
            '^' | '2' => Marker::TriangleUp,
            'v' | '1' => Marker::TriangleDown,
            '<' | '3' => Marker::TriangleLeft,
            '>' | '4' => Marker::TriangleRight,
            '*' => Marker::Star,
            '+' | 'P' => Marker::Plus,
            'x' | 'X' => Marker::X,
            'p' => Marker::Pentagon,
            'h' | 'H' | '8' => Marker::Hexagon,
            '|' => Marker::VLine,
            '_' => Marker::HLine,
            _ => return None,
        })
    }

    /// Markers drawn as strokes only (no fill).
    pub fn is_stroke(self) -> bool {
        matches!(self, Marker::Plus | Marker::X | Marker::VLine | Marker::HLine)
    }
}

/// Something drawn in an axes.
#[derive(Clone, Debug, PartialEq)]
pub enum Artist {
    Line(Line),
    Scatter(Scatter),
    Bars(Bars),
    Image(Image),
    Text(Text),
    /// `axhline`/`axvline`: a line across the whole axes at a data coordinate.
    Span(Span),
    /// `add_patch(Rectangle(...))`.
    Patch(Patch),
    /// `fill_between`: a filled polygon.
    Fill(Fill),
}

impl Artist {
    pub fn label(&self) -> Option<&str> {
        match self {
            Artist::Line(l) => l.label.as_deref(),
            Artist::Scatter(s) => s.label.as_deref(),
            Artist::Bars(b) => b.label.as_deref(),
            Artist::Span(s) => s.label.as_deref(),
            _ => None,
        }
    }

    pub fn set_label(&mut self, label: String) {
        match self {
            Artist::Line(l) => l.label = Some(label),
            Artist::Scatter(s) => s.label = Some(label),
            Artist::Bars(b) => b.label = Some(label),
            Artist::Span(s) => s.label = Some(label),
            _ => {}
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub color: Rgba,
    /// Points.
    pub width: f64,
    pub style: LineStyle,
    pub marker: Option<Marker>,
    /// Points.
    pub marker_size: f64,
    pub marker_face: Option<Rgba>,
    pub label: Option<String>,
}

impl Line {
    fn xs_or_ys(&self, horizontal: bool) -> &[f64] {
        if horizontal { &self.xs } else { &self.ys }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scatter {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// Marker areas in points², one for all or one per point.
    pub sizes: Vec<f64>,
    /// One colour for all or one per point.
    pub colors: Vec<Rgba>,
    pub marker: Marker,
    pub edge: Option<Rgba>,
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bars {
    /// x, y, width, height of each bar.
    pub rects: Vec<[f64; 4]>,
    pub colors: Vec<Rgba>,
    pub edge: Option<Rgba>,
    pub vertical: bool,
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub rows: usize,
    pub cols: usize,
    /// Row-major, the first row at the top.
    pub pixels: Vec<Rgba>,
    /// left, right, bottom, top in data coordinates (matplotlib's `extent`).
    pub extent: [f64; 4],
}

#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub x: f64,
    pub y: f64,
    pub text: String,
    pub color: Rgba,
    /// Points.
    pub size: f64,
    /// `ha`: left, center, right.
    pub ha: String,
    /// `va`: baseline, bottom, center, top.
    pub va: String,
    /// Coordinates are fractions of the axes (`transform=ax.transAxes`), not data.
    pub axes_coords: bool,
    /// `bbox=dict(facecolor=...)`: the colour of a box drawn behind the text.
    pub bbox: Option<Rgba>,
}

/// A rectangle patch in data coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Patch {
    /// x, y (the corner nearest the origin), width, height.
    pub rect: [f64; 4],
    /// None: not filled (`fill=False`).
    pub face: Option<Rgba>,
    pub edge: Option<Rgba>,
    /// Points.
    pub width: f64,
}

/// A filled polygon (`fill_between`'s region), its points in data coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Fill {
    pub points: Vec<(f64, f64)>,
    pub color: Rgba,
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub horizontal: bool,
    pub at: f64,
    pub color: Rgba,
    pub width: f64,
    pub style: LineStyle,
    pub label: Option<String>,
}
