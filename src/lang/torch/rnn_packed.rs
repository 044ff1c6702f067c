//! `torch.nn.utils.rnn`'s packed sequences: the `PackedSequence` named tuple,
//! `pack_padded_sequence`, `pad_packed_sequence`, `pack_sequence`, `unpack_sequence` and
//! `unpad_sequence`, with PyTorch's argument handling and messages (the engine side is
//! `tensor::rnn_packed`). The recurrent layers take a `PackedSequence` in rnn.rs.

use super::R;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::rnn_packed as engine;
use crate::tensor::{DType, Data, Tensor};

/// `PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)`.
pub struct PackedSeq {
    pub data: Tensor,
    pub sizes: Vec<usize>,
    pub sorted: Option<Vec<i64>>,
    pub unsorted: Option<Vec<i64>>,
}

const FIELDS: [&str; 4] = ["data", "batch_sizes", "sorted_indices", "unsorted_indices"];

fn long(v: &[i64]) -> R<Tensor> {
    Tensor::from_data(Data::I64(v.to_vec()), &[v.len()]).map_err(exc)
}

fn index_value(v: &Option<Vec<i64>>) -> R<Value> {
    Ok(match v {
        Some(v) => tv(long(v)?),
        None => Value::None,
    })
}

impl PackedSeq {
    /// A packed batch in the order `sorted` gives (None: the input was sorted already).
    pub fn new(data: Tensor, sizes: Vec<usize>, sorted: Option<Vec<i64>>) -> PackedSeq {
        // `invert_permutation`: position i of the sorted batch came from sorted[i].
        let unsorted = sorted.as_ref().map(|s| {
            let mut inv = vec![0i64; s.len()];
            for (i, &j) in s.iter().enumerate() {
                inv[j as usize] = i as i64;
            }
            inv
        });
        PackedSeq { data, sizes, sorted, unsorted }
    }

    fn values(&self) -> R<Vec<Value>> {
        let sizes: Vec<i64> = self.sizes.iter().map(|&s| s as i64).collect();
        Ok(vec![
            tv(self.data.clone()),
            tv(long(&sizes)?),
            index_value(&self.sorted)?,
            index_value(&self.unsorted)?,
        ])
    }

    fn with_data(&self, data: Tensor) -> Value {
        Value::native(PackedSeq {
            data,
            sizes: self.sizes.clone(),
            sorted: self.sorted.clone(),
            unsorted: self.unsorted.clone(),
        })
    }
}

/// The packed sequence `v` is, if it is one.
pub fn packed_arg(v: &Value) -> Option<&PackedSeq> {
    v.downcast::<PackedSeq>()
}

impl NativeObject for PackedSeq {
    fn type_name(&self) -> &str {
        "PackedSequence"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.nn.utils.rnn")
    }
    fn repr_in(&self, _: &Value, interp: &mut Interpreter) -> R<Option<String>> {
        let mut parts = Vec::with_capacity(4);
        for (f, v) in FIELDS.iter().zip(self.values()?) {
            parts.push(format!("{f}={}", interp.repr(&v)?));
        }
        Ok(Some(format!("PackedSequence({})", parts.join(", "))))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        if let Some(i) = FIELDS.iter().position(|f| *f == name) {
            return Ok(Some(self.values()?.swap_remove(i)));
        }
        Ok(Some(match name {
            "is_cuda" => Value::Bool(false),
            "is_pinned" => Value::method(this.clone(), name, |_, _| Ok(Value::Bool(false))),
            // Device and dtype moves apply to the data; the indices stay int64 on the CPU.
            "to" | "cpu" | "cuda" | "float" | "double" | "half" | "long" | "int" | "short"
            | "char" | "byte" | "bool" => {
                let method = name.to_string();
                Value::method(this.clone(), name, move |interp, args| {
                    let p = args.this_native::<PackedSeq>()?;
                    let f = interp.get_attr(&tv(p.data.clone()), &method)?;
                    let mut call = Args::new(&method, args.pos.clone());
                    call.kw = args.kw.clone();
                    let out = interp.call(&f, call)?;
                    let data = as_tensor(&out).cloned().ok_or_else(|| {
                        Exception::type_error(format!("PackedSequence.{method}() needs a tensor result"))
                    })?;
                    Ok(p.with_data(data))
                })
            }
            _ => return Ok(None),
        }))
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(4))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.values()?)))
    }
    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        interp.get_item(&Value::tuple(self.values()?), key).map(Some)
    }
}

fn tensor(v: Option<&Value>, fname: &str, param: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument '{param}' must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}

/// `lengths` as `torch.as_tensor(lengths, dtype=torch.int64)` reads it: a 1-D tensor or a
/// sequence of numbers.
fn lengths_arg(interp: &mut Interpreter, v: Option<Value>) -> R<Vec<i64>> {
    let v = v.unwrap_or(Value::None);
    let t = match as_tensor(&v) {
        Some(t) => t.clone(),
        None => super::convert::tensor_from_data(interp, &v, Some(DType::Int64))?,
    };
    if t.dim() != 1 {
        return Err(Exception::runtime_error(format!(
            "'lengths' argument should be a 1D CPU int64 tensor, but got {}D tensor",
            t.dim()
        )));
    }
    Ok(t.to_f64_vec().into_iter().map(|x| x as i64).collect())
}

/// `pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True)`.
fn pack_padded_sequence(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [input, lengths, batch_first, enforce_sorted] =
        args.bind(&["input", "lengths", "batch_first=", "enforce_sorted="])?;
    let input = tensor(input.as_ref(), "pack_padded_sequence", "input")?;
    let lengths = lengths_arg(interp, lengths)?;
    let batch_first = bool_arg(batch_first.as_ref(), false);
    pack(&input, lengths, batch_first, bool_arg(enforce_sorted.as_ref(), true))
}

fn pack(input: &Tensor, lengths: Vec<i64>, batch_first: bool, enforce_sorted: bool) -> R<Value> {
    if lengths.iter().any(|&l| l <= 0) {
        return Err(Exception::runtime_error(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' \
             that is <= 0",
        ));
    }
    let (input, lengths, sorted) = if enforce_sorted {
        (input.clone(), lengths, None)
    } else {
        // `torch.sort(lengths, descending=True)`: a stable order, so equal lengths keep theirs.
        let mut order: Vec<i64> = (0..lengths.len() as i64).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(lengths[i as usize]));
        let batch_dim = if batch_first { 0 } else { 1 };
        let sorted_input = input.index_select(batch_dim, &order).map_err(exc)?;
        let sorted_lengths = order.iter().map(|&i| lengths[i as usize]).collect();
        (sorted_input, sorted_lengths, Some(order))
    };
    let lens: Vec<usize> = lengths.iter().map(|&l| l as usize).collect();
    let (data, sizes) = engine::pack_padded(&input, &lens, batch_first).map_err(exc)?;
    Ok(Value::native(PackedSeq::new(data, sizes, sorted)))
}

fn padded_and_lengths(v: Value) -> R<(Tensor, Value)> {
    match &v {
        Value::Tuple(parts) if parts.len() == 2 => {
            Ok((tensor(Some(&parts[0]), "unpack_sequence", "padded")?, parts[1].clone()))
        }
        _ => Err(Exception::runtime_error("pad_packed_sequence gave no (padded, lengths) pair")),
    }
}

/// `pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None)`.
fn pad_packed_sequence(_: &mut Interpreter, args: Args) -> R<Value> {
    let [seq, batch_first, padding_value, total_length] =
        args.bind(&["sequence", "batch_first=", "padding_value=", "total_length="])?;
    let seq = seq.unwrap_or(Value::None);
    let Some(p) = packed_arg(&seq) else {
        return Err(Exception::type_error(format!(
            "pad_packed_sequence(): expected a PackedSequence, got {}",
            seq.type_name()
        )));
    };
    let batch_first = bool_arg(batch_first.as_ref(), false);
    let value = f64_arg(padding_value.as_ref(), 0.0, "padding_value")?;
    let steps = p.sizes.len();
    let total = match total_length.filter(|v| !v.is_none()) {
        None => steps,
        Some(v) => {
            let t = v.expect_int("total_length")?;
            if t < steps as i64 {
                return Err(Exception::value_error(format!(
                    "Expected total_length to be at least the length of the longest sequence in \
                     input, but got total_length={t} and max sequence length being {steps}"
                )));
            }
            t as usize
        }
    };
    let (padded, lengths) =
        engine::pad_packed(&p.data, &p.sizes, batch_first, value, total).map_err(exc)?;
    let mut lengths: Vec<i64> = lengths.into_iter().map(|l| l as i64).collect();
    let padded = match &p.unsorted {
        Some(u) => {
            lengths = u.iter().map(|&i| lengths[i as usize]).collect();
            padded
                .index_select(if batch_first { 0 } else { 1 }, u)
                .map_err(exc)?
        }
        None => padded,
    };
    Ok(Value::tuple(vec![tv(padded), tv(long(&lengths)?)]))
}

fn tensor_list(interp: &mut Interpreter, v: Option<Value>, fname: &str) -> R<Vec<Tensor>> {
    let v = v.unwrap_or(Value::None);
    interp
        .iterate(&v)?
        .iter()
        .map(|t| {
            as_tensor(t).cloned().ok_or_else(|| {
                Exception::type_error(format!("{fname}(): expected Tensors, got {}", t.type_name()))
            })
        })
        .collect()
}

/// `pack_sequence(sequences, enforce_sorted=True)`: `pad_sequence`, then
/// `pack_padded_sequence` with the sequences' lengths.
fn pack_sequence(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [seqs, enforce_sorted] = args.bind(&["sequences", "enforce_sorted="])?;
    let seqs = tensor_list(interp, seqs, "pack_sequence")?;
    let lengths: Vec<i64> = seqs.iter().map(|t| t.shape().first().copied().unwrap_or(0) as i64).collect();
    let padded = super::nn_utils::pad_sequence(
        interp,
        Args::new("pad_sequence", vec![Value::list(seqs.into_iter().map(tv).collect())]),
    )?;
    let padded = tensor(Some(&padded), "pack_sequence", "sequences")?;
    pack(&padded, lengths, false, bool_arg(enforce_sorted.as_ref(), true))
}

/// `unpack_sequence(packed_sequences)`: the list of the original sequences, unpadded.
fn unpack_sequence(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [seq] = args.bind(&["packed_sequences"])?;
    let mut call = Args::new("pad_packed_sequence", vec![seq.unwrap_or(Value::None)]);
    call.kw.push(("batch_first".into(), Value::Bool(true)));
    let (padded, lengths) = padded_and_lengths(pad_packed_sequence(interp, call)?)?;
    unpad(&padded, &lengths, true)
}

/// `unpad_sequence(padded_sequences, lengths, batch_first=False)`.
fn unpad_sequence(_: &mut Interpreter, args: Args) -> R<Value> {
    let [padded, lengths, batch_first] = args.bind(&["padded_sequences", "lengths", "batch_first="])?;
    let padded = tensor(padded.as_ref(), "unpad_sequence", "padded_sequences")?;
    unpad(&padded, &lengths.unwrap_or(Value::None), bool_arg(batch_first.as_ref(), false))
}

fn unpad(padded: &Tensor, lengths: &Value, batch_first: bool) -> R<Value> {
    let lengths: Vec<i64> = match as_tensor(lengths) {
        Some(t) => t.to_f64_vec().into_iter().map(|x| x as i64).collect(),
        None => return Err(Exception::type_error("unpad_sequence(): lengths must be a Tensor")),
    };
    let batch = if batch_first { padded.clone() } else { padded.transpose(0, 1).map_err(exc)? };
    let mut out = Vec::with_capacity(lengths.len());
    for (i, &l) in lengths.iter().enumerate() {
        // PyTorch: `seq[:length]` of each row, as views of the padded tensor.
        let row = batch.select(0, i as i64).map_err(exc)?;
        out.push(tv(row.narrow(0, 0, l).map_err(exc)?));
    }
    Ok(Value::list(out))
}

/// Adds the packed-sequence functions to `torch.nn.utils.rnn`.
pub fn register(m: &crate::lang::Module) {
    m.set("pack_padded_sequence", Value::builtin("pack_padded_sequence", pack_padded_sequence));
    m.set("pad_packed_sequence", Value::builtin("pad_packed_sequence", pad_packed_sequence));
    m.set("pack_sequence", Value::builtin("pack_sequence", pack_sequence));
    m.set("unpack_sequence", Value::builtin("unpack_sequence", unpack_sequence));
    m.set("unpad_sequence", Value::builtin("unpad_sequence", unpad_sequence));
}
