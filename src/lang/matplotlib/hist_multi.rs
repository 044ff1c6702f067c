//! `hist` of several datasets (a list of sequences, or a 2-D array's columns): one set of bin
//! edges over all of them, the datasets' bars side by side in each bin as matplotlib's
//! `histtype='bar'` places them, and its return value: a list of count arrays, the edges and
//! a list of `BarContainer`s.

use super::axes::{PyAxes, histogram};
use super::convert::{self, R, kw, kw_str};
use super::objects::{BarContainer, NdArray};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Value};
use crate::plot::figure::{Artist, Bars};

/// The datasets of `x` when it holds several: the items of a list or tuple whose first item
/// is itself a sequence, or the columns of a 2-D array with more than one column.
pub(super) fn datasets(interp: &mut Interpreter, x: &Value) -> R<Option<Vec<Vec<f64>>>> {
    let items = match x {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        _ => {
            let a = convert::array(interp, x)?;
            if a.ndim() == 2 && a.shape[1] > 1 {
                let (rows, cols) = (a.shape[0], a.shape[1]);
                return Ok(Some(
                    (0..cols)
                        .map(|c| (0..rows).map(|r| a.data[r * cols + c]).collect())
                        .collect(),
                ));
            }
            return Ok(None);
        }
    };
    let mut is_seq = |v: &Value| {
        matches!(v, Value::List(_) | Value::Tuple(_))
            || convert::array(interp, v).is_ok_and(|a| a.ndim() >= 1)
    };
    if items.is_empty() || !is_seq(&items[0]) {
        return Ok(None);
    }
    items
        .iter()
        .map(|v| convert::vector(interp, v))
        .collect::<R<Vec<_>>>()
        .map(Some)
}

/// A list that prints as matplotlib's `silent_list` does (`<a list of 2 BarContainer objects>`).
struct SilentList {
    items: Vec<Value>,
    kind: &'static str,
}

impl NativeObject for SilentList {
    fn type_name(&self) -> &str {
        "silent_list"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.cbook")
    }
    fn repr(&self) -> String {
        format!("<a list of {} {} objects>", self.items.len(), self.kind)
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.items.len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.items.clone())))
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let i = key.expect_int("index")?;
        let n = self.items.len() as i64;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(Exception::new("IndexError", "list index out of range"));
        }
        Ok(Some(self.items[j as usize].clone()))
    }
}

/// `hist([a, b, ...], bins=10, range=None)`: the edges span every dataset's finite values;
/// in each bin the datasets' bars share 80% of the bin's width, left to right.
pub(super) fn hist_datasets(
    interp: &mut Interpreter,
    ax: &PyAxes,
    args: &Args,
    data: Vec<Vec<f64>>,
    bins: Option<Value>,
) -> R<Value> {
    for name in [
        "weights",
        "density",
        "stacked",
        "histtype",
        "orientation",
        "cumulative",
    ] {
        if kw(args, &[name]).is_some() {
            return Err(Exception::unsupported(format!(
                "hist() of several datasets with {name}="
            )));
        }
    }
    let range = match kw(args, &["range"]) {
        Some(r) if !r.is_none() => {
            let v = convert::vector(interp, r)?;
            Some((
                v.first().copied().unwrap_or(0.0),
                v.get(1).copied().unwrap_or(1.0),
            ))
        }
        _ => None,
    };
    let all: Vec<f64> = data.iter().flatten().copied().collect();
    let (_, edges) = histogram(&all, &bins.clone().unwrap_or(Value::Int(10)), range, interp)?;
    let edge_list = Value::list(edges.iter().map(|&e| Value::Float(e)).collect());
    let nx = data.len() as f64;
    let dr = if data.len() > 1 { 0.8 } else { 1.0 };
    let label = kw_str(args, &["label"])?;
    let (mut tops, mut containers) = (Vec::<f64>::new(), Vec::new());
    for (k, d) in data.iter().enumerate() {
        let (counts, _) = histogram(d, &edge_list, None, interp)?;
        let rects: Vec<[f64; 4]> = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let total = edges[i + 1] - edges[i];
                let width = dr * total / nx;
                // matplotlib's bar offset: centred in the bin, the k-th dataset `k` widths on.
                let center =
                    edges[i] + 0.5 * total - 0.5 * dr * total * (1.0 - 1.0 / nx) + k as f64 * width;
                [center - width / 2.0, 0.0, width, c]
            })
            .collect();
        let n = rects.len();
        let color = ax.next_color();
        let i = ax.push(Artist::Bars(Bars {
            rects,
            colors: vec![color],
            edge: None,
            vertical: true,
            label: label.clone(),
        }));
        let bars = (0..n).map(|_| ax.bar_handle(i)).collect();
        tops.extend(&counts);
        containers.push(Value::native(BarContainer { bars }));
    }
    // The counts of equally many bins make one 2-D array, a row per dataset.
    let nb = edges.len() - 1;
    Ok(Value::tuple(vec![
        crate::lang::numpy::from_f64(tops, &[data.len(), nb])?,
        Value::native(NdArray(edges)),
        Value::native(SilentList {
            items: containers,
            kind: "BarContainer",
        }),
    ]))
}
