//! Unit tests of `plot::svg`.

use lessonrun::plot::svg::*;
use std::fmt::Write;
use lessonrun::plot::colors::Rgba;
use lessonrun::plot::figure::{Artist, Axes, Figure, Legend, LegendLoc, LineStyle, Marker, Scale, TickLabel};
use lessonrun::plot::png;
use lessonrun::plot::figure::Line;

#[test]
fn a_line_plot_is_an_svg_with_axes_ticks_and_a_title() {
    let mut fig = Figure::new(6.4, 4.8);
    let mut ax = Axes::new(Axes::grid_rect(1, 1, 0));
    let color = ax.next_color();
    ax.artists.push(Artist::Line(Line {
        xs: vec![0.0, 1.0, 2.0],
        ys: vec![1.0, 0.5, 0.25],
        color,
        width: 1.5,
        style: LineStyle::Solid,
        marker: None,
        marker_size: 6.0,
        marker_face: None,
        label: None,
    }));
    ax.title = "loss <train>".into();
    fig.axes.push(ax);
    let svg = render(&fig, "t");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(svg.contains("stroke=\"#1f77b4\""), "the first line takes the cycle's first colour");
    assert!(svg.contains(">loss &lt;train&gt;</text>"), "the title is escaped text");
    for label in ["0.00", "0.25", "2.00", "1.0"] {
        assert!(svg.contains(&format!(">{label}</text>")), "tick label {label} in {svg}");
    }
    assert!(!svg.contains("<script"));
}
