//! A NumPy subset as the module `numpy`: `ndarray` over engine tensors (so `tensor.numpy()`
//! and `torch.from_numpy` share memory), NumPy's dtypes, promotion, printing, summation order
//! and legacy `numpy.random`. What is not here raises AttributeError naming the function.

mod array;
mod funcs;
mod linalg;
mod mathfuncs;
mod methods;
mod ops;
mod print;
mod random;
mod random_more;
mod shaping;
mod sorting;

use std::rc::Rc;

use crate::lang::native::NativeObject;
use crate::lang::value::{NativeFn, TypeObj};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Tensor};

pub use array::{NdArray, as_array};

use array::{R, build, scalar_elems};

/// `tensor.numpy()`: an array sharing the tensor's buffer. A tensor that requires grad is
/// refused with PyTorch's error.
pub fn from_tensor(t: &Tensor) -> Result<Value, Exception> {
    if t.requires_grad() {
        return Err(Exception::runtime_error(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
        ));
    }
    Ok(array::array(t.detach()))
}

/// A float64 ndarray of row-major `data` in `shape`: for producers of array data such as
/// plotting (`hist`'s counts of several datasets).
pub fn from_f64(data: Vec<f64>, shape: &[usize]) -> Result<Value, Exception> {
    let t = Tensor::from_data(crate::tensor::Data::F64(data), shape).map_err(|e| Exception::value_error(e.to_string()))?;
    Ok(array::array(t))
}

/// The tensor an ndarray value holds (`torch.from_numpy`), sharing its buffer.
pub fn to_tensor(v: &Value) -> Option<Tensor> {
    as_array(v).map(Tensor::detach)
}

/// An ndarray's (or NumPy scalar's) elements as f64 in row-major order, with its shape: for
/// consumers of array data such as plotting. None when `v` is not a NumPy value.
pub fn f64_data(v: &Value) -> Option<(Vec<f64>, Vec<usize>)> {
    as_array(v).map(|t| (array::elems(t).f64s(), t.shape()))
}

/// `dtype('float32')`: what `a.dtype` returns. Equal to the scalar type (`np.float32`), to
/// another dtype of the same kind and to its name.
pub struct NpDType(pub DType);

impl NativeObject for NpDType {
    fn type_name(&self) -> &str {
        "dtype"
    }
    fn module_name(&self) -> Option<&str> {
        Some("numpy")
    }
    fn repr(&self) -> String {
        format!("dtype('{}')", print::dtype_name(self.0))
    }
    fn str(&self) -> String {
        print::dtype_name(self.0).to_string()
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::str(print::dtype_name(self.0))),
            _ => None,
        })
    }
    fn binary_op(
        &self,
        _: &Value,
        op: crate::lang::Op,
        other: &Value,
        _: bool,
        _: &mut Interpreter,
    ) -> R<Option<Value>> {
        let eq = match dtype_of(other) {
            Ok(d) => d == self.0,
            Err(_) => false,
        };
        Ok(match op {
            crate::lang::Op::Eq => Some(Value::Bool(eq)),
            crate::lang::Op::Ne => Some(Value::Bool(!eq)),
            _ => None,
        })
    }
    fn hash(&self) -> Option<u64> {
        Some(self.0 as u64)
    }
}

pub fn dtype_value(d: DType) -> Value {
    Value::native(NpDType(d))
}

fn dtype_by_name(name: &str) -> Option<DType> {
    Some(match name {
        "float64" | "float" | "double" | "f8" => DType::Float64,
        "float32" | "single" | "f4" => DType::Float32,
        "float16" | "half" | "f2" => DType::Float16,
        "int64" | "int" | "int_" | "i8" | "long" => DType::Int64,
        "int32" | "i4" | "intc" => DType::Int32,
        "int16" | "i2" => DType::Int16,
        "int8" | "i1" => DType::Int8,
        "uint8" | "u1" => DType::UInt8,
        "uint16" | "u2" => DType::UInt16,
        "bool" | "bool_" | "?" => DType::Bool,
        _ => return None,
    })
}

/// A `dtype=` argument: a NumPy dtype or scalar type, a name, or Python's float/int/bool.
pub fn dtype_of(v: &Value) -> R<DType> {
    let name = match v {
        Value::Type(t) => t.name.to_string(),
        Value::Str(s) => s.to_string(),
        other => match other.downcast::<NpDType>() {
            Some(d) => return Ok(d.0),
            None => {
                return Err(Exception::type_error(format!(
                    "Cannot interpret '{}' as a data type",
                    v.type_name()
                )));
            }
        },
    };
    dtype_by_name(&name)
        .ok_or_else(|| Exception::type_error(format!("data type '{name}' not understood")))
}

/// `np.float32` and friends: types whose call makes a NumPy scalar (or converts an array).
fn scalar_type(name: &'static str, dtype: DType) -> Value {
    let ctor: NativeFn = Rc::new(move |it: &mut Interpreter, args: crate::lang::Args| {
        let [v] = args.bind(&["value="])?;
        let v = v.unwrap_or(Value::Int(0));
        let t = match array::py_scalar(&v) {
            Some(s) => build(scalar_elems(s), &[], dtype)?,
            None => array::from_py(it, &v, Some(dtype))?,
        };
        Ok(array::result(t))
    });
    Value::Type(Rc::new(TypeObj::build(
        name.into(),
        Some("numpy".into()),
        None,
        Some(ctor),
        Default::default(),
    )))
}

/// Makes `numpy` (and `numpy.random`) importable.
pub fn install(it: &mut Interpreter) {
    let m = Module::new("numpy");
    funcs::install(&m);
    shaping::install(&m);
    mathfuncs::install(&m);
    sorting::install(&m);
    linalg::install(it, &m);
    for (name, d) in [
        ("float64", DType::Float64),
        ("float32", DType::Float32),
        ("float16", DType::Float16),
        ("int64", DType::Int64),
        ("int32", DType::Int32),
        ("int16", DType::Int16),
        ("int8", DType::Int8),
        ("uint8", DType::UInt8),
        ("uint16", DType::UInt16),
        ("bool_", DType::Bool),
    ] {
        m.set(name, scalar_type(name, d));
    }
    m.set("bool", scalar_type("bool", DType::Bool));
    m.set("double", scalar_type("float64", DType::Float64));
    m.set("int_", scalar_type("int64", DType::Int64));
    m.set(
        "ndarray",
        Value::Type(Rc::new(TypeObj::build(
            "ndarray".into(),
            Some("numpy".into()),
            None,
            None,
            Default::default(),
        ))),
    );
    m.set(
        "dtype",
        Value::builtin("dtype", |_, args| {
            let [d] = args.bind(&["dtype"])?;
            Ok(dtype_value(dtype_of(d.as_ref().unwrap_or(&Value::None))?))
        }),
    );
    m.set("pi", Value::Float(std::f64::consts::PI));
    m.set("e", Value::Float(std::f64::consts::E));
    m.set("inf", Value::Float(f64::INFINITY));
    m.set("nan", Value::Float(f64::NAN));
    m.set("newaxis", Value::None);
    m.set("__version__", Value::str("2.4.6"));
    let random = Value::Module(Rc::new(random::module()));
    m.set("random", random.clone());
    it.register_module("numpy", Value::Module(Rc::new(m)));
    it.register_module("numpy.random", random);
}
