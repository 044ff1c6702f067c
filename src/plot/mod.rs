//! Figures as data and as SVG: the model that `matplotlib.pyplot`'s bindings fill in
//! (`figure`), matplotlib's tick choices (`ticks`), colours and colormaps (`colors`), and the
//! SVG writer (`svg`, with `png` for images). Knows nothing of Python.

pub mod colors;
pub mod figure;
pub mod png;
pub mod svg;
pub mod ticks;

pub use figure::{Artist, Axes, Figure, Patch};
