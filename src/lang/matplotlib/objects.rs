//! The Python objects matplotlib hands back: artists (`Line2D`, `Text`, `Legend`...) with
//! matplotlib's reprs, the NumPy object array of `subplots`, NumPy floats and float arrays
//! (`xlim()`, `hist`), whose reprs follow NumPy 2's.

use std::cell::RefCell;

use super::FigRef;
use super::convert::R;
use crate::lang::format::float_repr;
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Value};

/// An artist handed back to Python, named by its matplotlib class path; it points at its
/// place in the figure model so its setters can change what is drawn.
pub struct Handle {
    pub path: &'static str,
    pub fig: Option<FigRef>,
    pub axes: usize,
    pub artist: Option<usize>,
}

impl Handle {
    pub fn value(path: &'static str, fig: Option<FigRef>, axes: usize, artist: Option<usize>) -> Value {
        Value::native(Handle { path, fig, axes, artist })
    }

    fn with_artist<T>(&self, f: impl FnOnce(&mut crate::plot::Artist) -> T) -> Option<T> {
        let fig = self.fig.as_ref()?;
        let mut st = fig.borrow_mut();
        let a = st.fig.axes.get_mut(self.axes)?.artists.get_mut(self.artist?)?;
        Some(f(a))
    }
}

impl NativeObject for Handle {
    fn type_name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(self.path)
    }
    fn module_name(&self) -> Option<&str> {
        self.path.rsplit_once('.').map(|(m, _)| m)
    }
    fn repr_in(&self, this: &Value, _: &mut Interpreter) -> R<Option<String>> {
        Ok(Some(format!("<{} object at {:#x}>", self.path, this.identity())))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        use crate::plot::Artist;
        let me = this.clone();
        let setter = |name: &'static str, f: fn(&mut Interpreter, &mut Artist, &Value) -> R<()>| {
            Value::method(me.clone(), name, move |interp, args| {
                let [v] = args.bind(&["value"])?;
                let h = args.this_native::<Handle>()?;
                let v = v.unwrap_or(Value::None);
                // Convert outside the figure's borrow: conversion may call back into Python.
                let mut scratch = h.with_artist(|a| a.clone());
                if let Some(a) = scratch.as_mut() {
                    f(interp, a, &v)?;
                    h.with_artist(|slot| *slot = a.clone());
                }
                Ok(Value::None)
            })
        };
        Ok(Some(match name {
            "set_label" => setter("set_label", |interp, a, v| {
                let s = interp.to_str(v)?;
                a.set_label(s);
                Ok(())
            }),
            "set_color" => setter("set_color", |interp, a, v| {
                let c = super::convert::color(interp, v)?;
                match a {
                    Artist::Line(l) => l.color = c,
                    Artist::Span(s) => s.color = c,
                    Artist::Scatter(s) => s.colors = vec![c],
                    Artist::Bars(b) => b.colors = vec![c],
                    Artist::Text(t) => t.color = c,
                    Artist::Patch(p) => p.edge = Some(c),
                    Artist::Fill(f) => f.color = c,
                    Artist::Image(_) => {}
                }
                Ok(())
            }),
            "set_ydata" | "set_xdata" => {
                let x = name == "set_xdata";
                Value::method(me.clone(), if x { "set_xdata" } else { "set_ydata" }, move |interp, args| {
                    let [v] = args.bind(&["value"])?;
                    let data = super::convert::vector(interp, &v.unwrap_or(Value::None))?;
                    let h = args.this_native::<Handle>()?;
                    h.with_artist(|a| {
                        if let Artist::Line(l) = a {
                            if x { l.xs = data } else { l.ys = data }
                        }
                    });
                    Ok(Value::None)
                })
            }
            "set_data" => Value::method(me.clone(), "set_data", |interp, args| {
                let [x, y] = args.bind(&["x", "y"])?;
                let xs = super::convert::vector(interp, &x.unwrap_or(Value::None))?;
                let ys = super::convert::vector(interp, &y.unwrap_or(Value::None))?;
                let h = args.this_native::<Handle>()?;
                h.with_artist(|a| {
                    if let Artist::Line(l) = a {
                        l.xs = xs;
                        l.ys = ys;
                    }
                });
                Ok(Value::None)
            }),
            "get_label" => {
                let label = self.with_artist(|a| a.label().map(str::to_string)).flatten().unwrap_or_default();
                Value::method(me.clone(), "get_label", move |_, _| Ok(Value::str(&label)))
            }
            // The axes an artist was drawn in (`plt.imshow(img).axes`).
            "axes" => match &self.fig {
                Some(fig) => Value::native(super::axes::PyAxes { fig: fig.clone(), index: self.axes }),
                None => return Ok(None),
            },
            "set_visible" | "set_hatch" | "set_alpha" | "set_linewidth" | "set_zorder" | "set_clim" | "set_fontsize" | "remove" => {
                Value::method(me.clone(), "set", |_, _| Ok(Value::None))
            }
            _ => return Ok(None),
        }))
    }
}

/// A `Text` artist: its repr shows where it was placed and what it says.
pub struct TextObj {
    pub x: String,
    pub y: String,
    pub text: RefCell<String>,
}

impl TextObj {
    pub fn value(x: &str, y: &str, text: &str) -> Value {
        Value::native(TextObj { x: x.into(), y: y.into(), text: RefCell::new(text.into()) })
    }
}

impl NativeObject for TextObj {
    fn type_name(&self) -> &str {
        "Text"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.text")
    }
    fn repr(&self) -> String {
        format!("Text({}, {}, {})", self.x, self.y, Value::str(&self.text.borrow()).repr())
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "get_text" => Value::method(this.clone(), "get_text", |_, args| {
                Ok(Value::str(&args.this_native::<TextObj>()?.text.borrow()))
            }),
            "get_position" => Value::method(this.clone(), "get_position", |_, _| Ok(Value::None)),
            "set_fontsize" | "set_color" | "set_rotation" | "set_visible" | "set_ha" | "set_va" => {
                Value::method(this.clone(), "set", |_, _| Ok(Value::None))
            }
            _ => return Ok(None),
        }))
    }
}

/// A container of `n` bars (`bar`, `hist`).
pub struct BarContainer {
    pub bars: Vec<Value>,
}

impl NativeObject for BarContainer {
    fn type_name(&self) -> &str {
        "BarContainer"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.container")
    }
    fn repr(&self) -> String {
        format!("<BarContainer object of {} artists>", self.bars.len())
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.bars.len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.bars.clone())))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok((name == "patches").then(|| Value::list(self.bars.clone())))
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let i = key.expect_int("index")?;
        let n = self.bars.len() as i64;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(Exception::new("IndexError", "list index out of range"));
        }
        Ok(Some(self.bars[j as usize].clone()))
    }
}

/// A NumPy float64 scalar, as matplotlib returns limits (`np.float64(1.5)`).
pub struct NpFloat(pub f64);

impl NativeObject for NpFloat {
    fn type_name(&self) -> &str {
        "float64"
    }
    fn module_name(&self) -> Option<&str> {
        Some("numpy")
    }
    fn repr(&self) -> String {
        format!("np.float64({})", float_repr(self.0))
    }
    fn str(&self) -> String {
        float_repr(self.0)
    }
    fn as_number(&self, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::Float(self.0)))
    }
    fn format(&self, _: &Value, spec: &str, _: &mut Interpreter) -> R<Option<String>> {
        crate::lang::format::format_float(self.0, spec).map(Some)
    }
    fn binary_op(
        &self,
        _: &Value,
        op: crate::lang::Op,
        other: &Value,
        reflected: bool,
        interp: &mut Interpreter,
    ) -> R<Option<Value>> {
        let Some(o) = other.as_f64().or_else(|| other.downcast::<NpFloat>().map(|n| n.0)) else {
            return Ok(None);
        };
        let (a, b) = if reflected { (o, self.0) } else { (self.0, o) };
        use crate::lang::Op;
        Ok(Some(match op {
            Op::Bin(bin) => match interp.binary(bin, &Value::Float(a), &Value::Float(b))? {
                Value::Float(f) => Value::native(NpFloat(f)),
                other => other,
            },
            Op::InPlace(_) => return Ok(None),
            Op::Lt => Value::Bool(a < b),
            Op::Le => Value::Bool(a <= b),
            Op::Eq => Value::Bool(a == b),
            Op::Ne => Value::Bool(a != b),
            Op::Gt => Value::Bool(a > b),
            Op::Ge => Value::Bool(a >= b),
        }))
    }
    fn hash(&self) -> Option<u64> {
        Some(self.0.to_bits())
    }
}

/// A 1-D float64 NumPy array (`hist`'s counts and bin edges).
pub struct NdArray(pub Vec<f64>);

impl NdArray {
    /// NumPy 2's repr: values formatted to a shared number of decimals (at most 8, trailing
    /// zeros dropped, padded with spaces), wrapped at 75 columns.
    pub fn repr_values(values: &[f64]) -> String {
        wrap_items(&Self::words(values), "array(", "")
    }

    /// NumPy's `str`: the same numbers, space-separated, no `array(...)`.
    pub fn str_values(values: &[f64]) -> String {
        let words = Self::words(values);
        let mut s = String::new();
        let mut line = String::from("[");
        for (i, w) in words.iter().enumerate() {
            if line.len() + w.len() > 74 && line.len() > 1 {
                s.push_str(line.trim_end());
                s.push('\n');
                line = " ".into();
            }
            line.push_str(w);
            if i + 1 < words.len() {
                line.push(' ');
            }
        }
        s.push_str(&line);
        s.push(']');
        s
    }

    fn words(values: &[f64]) -> Vec<String> {
        let finite_abs: Vec<f64> = values.iter().filter(|v| v.is_finite() && **v != 0.0).map(|v| v.abs()).collect();
        let sci = finite_abs.iter().any(|&v| v >= 1e8) || finite_abs.iter().any(|&v| v < 1e-4);
        if sci {
            values.iter().map(|v| format!("{v:e}")).collect()
        } else {
            let parts: Vec<(String, String)> = values
                .iter()
                .map(|v| {
                    if !v.is_finite() {
                        return (
                            if v.is_nan() {
                                "nan".into()
                            } else if *v > 0.0 {
                                "inf".into()
                            } else {
                                "-inf".into()
                            },
                            String::new(),
                        );
                    }
                    let s = format!("{v:.8}");
                    let (i, f) = s.split_once('.').unwrap_or((&s, ""));
                    (format!("{i}."), f.trim_end_matches('0').to_string())
                })
                .collect();
            let iw = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            let fw = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
            parts.iter().map(|(i, f)| format!("{i:>iw$}{f:<fw$}")).collect()
        }
    }
}

/// Joins NumPy array items as `array([a, b, ...]...` wrapping lines at 75 columns, then
/// appends `suffix` (`, dtype=object`) on the last line if it fits, else on its own line.
pub fn wrap_items(words: &[String], prefix: &str, suffix: &str) -> String {
    let indent = " ".repeat(prefix.len() + 1);
    let mut s = String::new();
    let mut line = format!("{prefix}[");
    for (i, w) in words.iter().enumerate() {
        if line.len() + w.len() > 74 && line.len() > indent.len() {
            s.push_str(line.trim_end());
            s.push('\n');
            line = indent.clone();
        }
        line.push_str(w);
        if i + 1 < words.len() {
            line.push_str(", ");
        }
    }
    line.push(']');
    s.push_str(&line);
    finish(s, prefix, suffix)
}

fn finish(mut s: String, prefix: &str, suffix: &str) -> String {
    if suffix.is_empty() {
        s.push(')');
        return s;
    }
    let last = s.len() - s.rfind('\n').map_or(0, |i| i + 1);
    if last + 1 + suffix.len() + 1 > 75 {
        s.push_str(",\n");
        s.push_str(&" ".repeat(prefix.len()));
    } else {
        s.push_str(", ");
    }
    s.push_str(suffix);
    s.push(')');
    s
}

impl NativeObject for NdArray {
    fn type_name(&self) -> &str {
        "ndarray"
    }
    fn module_name(&self) -> Option<&str> {
        Some("numpy")
    }
    fn repr(&self) -> String {
        NdArray::repr_values(&self.0)
    }
    fn str(&self) -> String {
        NdArray::str_values(&self.0)
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.0.len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.0.iter().map(|&v| Value::native(NpFloat(v))).collect())))
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let i = key.expect_int("index")?;
        let n = self.0.len() as i64;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(Exception::new("IndexError", format!("index {i} is out of bounds for axis 0 with size {n}")));
        }
        Ok(Some(Value::native(NpFloat(self.0[j as usize]))))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "tolist" => Value::method(this.clone(), "tolist", |_, args| {
                Ok(Value::list(args.this_native::<NdArray>()?.0.iter().map(|&v| Value::Float(v)).collect()))
            }),
            "shape" => Value::tuple(vec![Value::Int(self.0.len() as i64)]),
            "sum" => {
                let s: f64 = self.0.iter().sum();
                Value::method(this.clone(), "sum", move |_, _| Ok(Value::native(NpFloat(s))))
            }
            _ => return Ok(None),
        }))
    }
}

/// The NumPy object array of axes that `subplots` returns for a grid.
pub struct AxesArray {
    pub shape: Vec<usize>,
    pub items: Vec<Value>,
}

impl AxesArray {
    fn row(&self, i: usize) -> Value {
        let cols = self.shape[1];
        Value::native(AxesArray { shape: vec![cols], items: self.items[i * cols..(i + 1) * cols].to_vec() })
    }

    fn index(&self, key: &Value, dim: usize) -> R<usize> {
        let i = key.expect_int("index")?;
        let n = self.shape[dim] as i64;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(Exception::new(
                "IndexError",
                format!("index {i} is out of bounds for axis {dim} with size {n}"),
            ));
        }
        Ok(j as usize)
    }

    fn flat(&self) -> Value {
        Value::native(AxesArray { shape: vec![self.items.len()], items: self.items.clone() })
    }
}

impl NativeObject for AxesArray {
    fn type_name(&self) -> &str {
        "ndarray"
    }
    fn module_name(&self) -> Option<&str> {
        Some("numpy")
    }
    fn repr_in(&self, _: &Value, interp: &mut Interpreter) -> R<Option<String>> {
        let mut words = Vec::new();
        for it in &self.items {
            words.push(interp.repr(it)?);
        }
        if self.shape.len() == 1 {
            return Ok(Some(wrap_items(&words, "array(", "dtype=object")));
        }
        let cols = self.shape[1];
        let rows: Vec<String> = words
            .chunks(cols.max(1))
            .map(|r| {
                let s = wrap_items(r, "array([", "");
                // Drop the `array([` stand-in prefix and the `)`: keep `[...]` and its indent.
                s["array([".len()..s.len() - 1].to_string()
            })
            .collect();
        let mut s = String::from("array([");
        s.push_str(&rows.join(",\n       "));
        s.push(']');
        Ok(Some(finish(s, "array(", "dtype=object")))
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.shape[0]))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        if self.shape.len() == 2 {
            return Ok(Some(Value::iter_items((0..self.shape[0]).map(|i| self.row(i)).collect())));
        }
        Ok(Some(Value::iter_items(self.items.clone())))
    }
    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        if let Value::Tuple(t) = key {
            if t.len() != self.shape.len() {
                return Err(Exception::new(
                    "IndexError",
                    format!(
                        "too many indices for array: array is {}-dimensional, but {} were indexed",
                        self.shape.len(),
                        t.len()
                    ),
                ));
            }
            if t.len() == 2 {
                let (i, j) = (self.index(&t[0], 0)?, self.index(&t[1], 1)?);
                return Ok(Some(self.items[i * self.shape[1] + j].clone()));
            }
            return self.get_item(key, &t[0], interp);
        }
        if let Value::Slice(_) = key {
            let rows: Vec<Value> = if self.shape.len() == 2 {
                (0..self.shape[0]).map(|i| self.row(i)).collect()
            } else {
                self.items.clone()
            };
            let picked = interp.get_item(&Value::list(rows), key)?;
            let items = interp.iterate(&picked)?;
            return Ok(Some(if self.shape.len() == 2 {
                let mut flat = Vec::new();
                for r in &items {
                    if let Some(a) = r.downcast::<AxesArray>() {
                        flat.extend(a.items.iter().cloned());
                    }
                }
                Value::native(AxesArray { shape: vec![items.len(), self.shape[1]], items: flat })
            } else {
                Value::native(AxesArray { shape: vec![items.len()], items })
            }));
        }
        let i = self.index(key, 0)?;
        Ok(Some(if self.shape.len() == 2 { self.row(i) } else { self.items[i].clone() }))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "flat" => {
                let f = self.flat();
                Value::iter_items(f.downcast::<AxesArray>().map(|a| a.items.clone()).unwrap_or_default())
            }
            "flatten" | "ravel" => {
                Value::method(this.clone(), "flatten", |_, args| Ok(args.this_native::<AxesArray>()?.flat()))
            }
            "shape" => Value::tuple(self.shape.iter().map(|&d| Value::Int(d as i64)).collect()),
            "ndim" => Value::Int(self.shape.len() as i64),
            "size" => Value::Int(self.items.len() as i64),
            "tolist" => Value::method(this.clone(), "tolist", |_, args| {
                let a = args.this_native::<AxesArray>()?;
                Ok(if a.shape.len() == 2 {
                    Value::list(a.items.chunks(a.shape[1].max(1)).map(|r| Value::list(r.to_vec())).collect())
                } else {
                    Value::list(a.items.clone())
                })
            }),
            "T" if self.shape.len() == 2 => {
                let (r, c) = (self.shape[0], self.shape[1]);
                let items = (0..c)
                    .flat_map(|j| (0..r).map(move |i| (i, j)))
                    .map(|(i, j)| self.items[i * c + j].clone())
                    .collect();
                Value::native(AxesArray { shape: vec![c, r], items })
            }
            _ => return Ok(None),
        }))
    }
}
