//! Unit tests for the interpreter's contract: spans shifted by base, errors, limits, natives.

mod bigint;
mod cycles;
mod format;
mod glob;
mod lexer;
mod os;
mod os_files;
mod parser;
mod trash;
mod unicodedata;


use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use lessonrun::lang::ast::{BinOp, UnaryOp};
use lessonrun::lang::*;
use lessonrun::source::Span;

fn run(interp: &mut Interpreter, code: &str) -> (String, Option<LangError>) {
    let mut out = String::new();
    let err = interp.run_cell(code, 0, &mut out).err();
    (out, err)
}

#[test]
fn error_spans_are_file_offsets() {
    let mut it = Interpreter::new();
    let code = "x = 1\ny = x + undefined\n";
    let base = 500;
    let mut out = String::new();
    let e = it.run_cell(code, base, &mut out).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Exception);
    assert_eq!(e.last_line(), "NameError: name 'undefined' is not defined");
    let start = code.find("undefined").unwrap() + base;
    assert_eq!(e.span, Span::new(start, start + "undefined".len()));
    assert_eq!(e.traceback[0].function, "<module>");
}

#[test]
fn syntax_error_spans_are_file_offsets() {
    let mut it = Interpreter::new();
    let mut out = String::new();
    let e = it.run_cell("a = (1,\n", 40, &mut out).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.span, Span::new(44, 45));
    assert_eq!(e.to_string(), "SyntaxError: '(' was never closed");
}

#[test]
fn traceback_lists_frames_innermost_last() {
    let mut it = Interpreter::new();
    let code = "def inner():\n    return 1 / 0\ndef outer():\n    return inner()\nouter()\n";
    let (_, e) = run(&mut it, code);
    let e = e.unwrap();
    let names: Vec<&str> = e.traceback.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(names, ["<module>", "outer", "inner"]);
    let div = code.find("1 / 0").unwrap();
    assert_eq!(e.span, Span::new(div, div + 5));
    assert_eq!(e.traceback[2].span, e.span);
    let call = code.find("inner()\nouter").unwrap();
    assert_eq!(e.traceback[1].span, Span::new(call, call + "inner()".len()));
}

#[test]
fn cells_share_globals() {
    let mut it = Interpreter::new();
    run(&mut it, "def sq(v):\n    return v * v\nn = 4\n");
    let (out, e) = run(&mut it, "print(sq(n))\nn + 1\n");
    assert!(e.is_none());
    assert_eq!(out, "16\n5\n");
}

#[test]
fn recursion_limit_is_an_exception_not_a_crash() {
    let h = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let mut it = Interpreter::new();
            let (_, e) = run(&mut it, "def f(n):\n    return f(n + 1)\nf(0)\n");
            let e = e.unwrap();
            (e.last_line(), e.traceback.len())
        })
        .unwrap();
    let (line, frames) = h.join().unwrap();
    assert_eq!(line, "RecursionError: maximum recursion depth exceeded");
    assert!(frames > 900);
}

#[test]
fn deeply_nested_expression_is_a_syntax_error() {
    // The lead runs cells on a big stack; the parser's nesting limit keeps that bounded.
    let h = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let mut it = Interpreter::new();
            let code = format!("x = {}1{}\n", "(".repeat(300), ")".repeat(300));
            let (_, e) = run(&mut it, &code);
            let ok = format!("x = {}1{}\n", "(".repeat(150), ")".repeat(150));
            let (_, e2) = run(&mut it, &ok);
            (e.map(|e| e.kind), e2.is_none())
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), (Some(ErrorKind::Syntax), true));
}

#[test]
fn time_limit_stops_infinite_loops() {
    let mut it = Interpreter::new();
    it.set_time_limit(Some(Duration::from_millis(50)));
    let (_, e) = run(&mut it, "while True:\n    pass\n");
    let e = e.unwrap();
    assert_eq!(e.kind, ErrorKind::Limit);
    assert_eq!(e.py_type, "TimeoutError");
    // `try` cannot swallow the limit.
    let (_, e) = run(&mut it, "try:\n    while True:\n        pass\nexcept BaseException:\n    print('no')\n");
    assert_eq!(e.unwrap().kind, ErrorKind::Limit);
}

#[test]
fn unsupported_features_are_named() {
    let mut it = Interpreter::new();
    for code in ["x = range(2 ** 64)\n", "async def f():\n    pass\n"] {
        let (_, e) = run(&mut it, code);
        let e = e.unwrap();
        assert_eq!(e.kind, ErrorKind::Limit, "{code}");
        assert!(e.message.contains("unsupported"), "{code}: {}", e.message);
    }
}

// ---- the native protocol, exercised the way the torch binding will use it ----

/// A toy "tensor": a vector of floats with +, *, unary -, indexing, len, iteration, format.
struct Vec1(RefCell<Vec<f64>>);

impl NativeObject for Vec1 {
    fn type_name(&self) -> &str {
        "Vec1"
    }
    fn module_name(&self) -> Option<&str> {
        Some("toy")
    }
    fn repr(&self) -> String {
        let items: Vec<String> = self.0.borrow().iter().map(|v| format!("{v:.1}")).collect();
        format!("vec([{}])", items.join(", "))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(match name {
            "size" => Some(Value::Int(self.0.borrow().len() as i64)),
            "sum" => Some(Value::method(this.clone(), "sum", |_, args| {
                let [dim] = args.bind(&["dim="])?;
                if dim.is_some() {
                    return Err(Exception::new("IndexError", "Dimension out of range"));
                }
                let v = args.this_native::<Vec1>()?;
                Ok(Value::Float(v.0.borrow().iter().sum()))
            })),
            "add_" => Some(Value::method(this.clone(), "add_", |_, args| {
                let [other] = args.bind(&["other"])?;
                let k = other.and_then(|o| o.as_f64()).unwrap_or(0.0);
                let v = args.this_native::<Vec1>()?;
                v.0.borrow_mut().iter_mut().for_each(|x| *x += k);
                Ok(args.this.clone().unwrap_or(Value::None))
            })),
            _ => None,
        })
    }
    fn binary_op(&self, this: &Value, op: Op, other: &Value, reflected: bool, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        let k = match other.as_f64() {
            Some(k) => k,
            None => return Ok(None),
        };
        let f: fn(f64, f64) -> f64 = match op {
            Op::Bin(BinOp::Add) | Op::InPlace(BinOp::Add) => |a, b| a + b,
            Op::Bin(BinOp::Mul) => |a, b| a * b,
            Op::Bin(BinOp::Sub) => |a, b| a - b,
            _ => return Ok(None),
        };
        if let Op::InPlace(_) = op {
            self.0.borrow_mut().iter_mut().for_each(|x| *x = f(*x, k));
            return Ok(Some(this.clone()));
        }
        let out = self.0.borrow().iter().map(|&x| if reflected { f(k, x) } else { f(x, k) }).collect();
        Ok(Some(Value::native(Vec1(RefCell::new(out)))))
    }
    fn unary_op(&self, _: &Value, op: UnaryOp, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(match op {
            UnaryOp::Neg => Some(Value::native(Vec1(RefCell::new(self.0.borrow().iter().map(|x| -x).collect())))),
            _ => None,
        })
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        let i = key.expect_int("index")?;
        let v = self.0.borrow();
        let j = if i < 0 { i + v.len() as i64 } else { i };
        v.get(j as usize)
            .map(|x| Some(Value::Float(*x)))
            .ok_or_else(|| Exception::new("IndexError", format!("index {i} is out of bounds for dimension 0 with size {}", v.len())))
    }
    fn len(&self, _: &mut Interpreter) -> Result<Option<usize>, Exception> {
        Ok(Some(self.0.borrow().len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(Some(Value::iter_items(self.0.borrow().iter().map(|x| Value::Float(*x)).collect())))
    }
    fn format(&self, _: &Value, spec: &str, _: &mut Interpreter) -> Result<Option<String>, Exception> {
        let v = self.0.borrow();
        if v.len() != 1 {
            return Ok(None);
        }
        lessonrun::lang::format::format_value(&Value::Float(v[0]), spec).map(Some)
    }
    fn as_number(&self, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        let v = self.0.borrow();
        Ok((v.len() == 1).then(|| Value::Float(v[0])))
    }
}

/// A context manager that records enter/exit, like torch.no_grad.
struct Guard(Rc<Cell<i32>>);

impl NativeObject for Guard {
    fn type_name(&self) -> &str {
        "Guard"
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        self.0.set(self.0.get() + 1);
        Ok(Some(Value::None))
    }
    fn exit(&self, _: &Value, exc: Option<&Exception>, _: &mut Interpreter) -> Result<bool, Exception> {
        self.0.set(self.0.get() + 10);
        Ok(exc.is_some_and(|e| e.py_type() == "KeyError"))
    }
}

fn toy_interp(depth: Rc<Cell<i32>>) -> Interpreter {
    let mut it = Interpreter::new();
    let toy = Module::new("toy");
    toy.set(
        "vec",
        Value::builtin("vec", |it, args| {
            let [data, scale] = args.bind(&["data", "*", "scale="])?;
            let scale = scale.and_then(|s| s.as_f64()).unwrap_or(1.0);
            let items = it.iterate(&data.unwrap_or(Value::None))?;
            let xs = items
                .iter()
                .map(|v| v.expect_f64("data").map(|x| x * scale))
                .collect::<Result<Vec<f64>, Exception>>()?;
            Ok(Value::native(Vec1(RefCell::new(xs))))
        }),
    );
    toy.set("guard", Value::builtin("guard", move |_, _| Ok(Value::native(Guard(depth.clone())))));
    let toy_type = TypeObj::new("Vec1", None, None);
    toy.set("Vec1", Value::Type(toy_type));
    let sub = Module::new("toy.sub");
    sub.set("answer", Value::Int(42));
    it.register_module("toy", Value::Module(Rc::new(toy)));
    it.register_module("toy.sub", Value::Module(Rc::new(sub)));
    it
}

#[test]
fn native_module_functions_and_operators() {
    let depth = Rc::new(Cell::new(0));
    let mut it = toy_interp(depth.clone());
    let code = "import toy\nfrom toy.sub import answer\nimport toy.sub as s\n\
        v = toy.vec([1, 2, 3], scale=2)\n\
        print(v, v + 1, 10 - v, -v, v * 0.5, len(v), v[0], v[-1], v.size, v.sum())\n\
        print([x for x in v], sum(v), isinstance(v, toy.Vec1), type(v), answer, s.answer)\n\
        w = v\n\
        w += 1\n\
        print(v is w, v, v.add_(1) is v, v)\n\
        one = toy.vec([2.5])\n\
        print(f'{one:.3f}', float(one), int(one), round(float(one)))\n\
        v\n";
    let (out, e) = run(&mut it, code);
    assert!(e.is_none(), "{e:?}");
    assert_eq!(
        out,
        "vec([2.0, 4.0, 6.0]) vec([3.0, 5.0, 7.0]) vec([8.0, 6.0, 4.0]) vec([-2.0, -4.0, -6.0]) \
         vec([1.0, 2.0, 3.0]) 3 2.0 6.0 3 12.0\n\
         [2.0, 4.0, 6.0] 12.0 True <class 'toy.Vec1'> 42 42\n\
         True vec([4.0, 6.0, 8.0]) True vec([4.0, 6.0, 8.0])\n\
         2.500 2.5 2 2\n\
         vec([4.0, 6.0, 8.0])\n"
    );
}

#[test]
fn native_errors_get_the_call_span_and_python_wording() {
    let mut it = toy_interp(Rc::new(Cell::new(0)));
    let cases = [
        ("import toy\ntoy.vec()\n", "TypeError: vec() missing 1 required positional argument: 'data'"),
        ("import toy\ntoy.vec([1], 2)\n", "TypeError: vec() takes 1 positional argument but 2 were given"),
        ("import toy\ntoy.vec([1], bad=2)\n", "TypeError: vec() got an unexpected keyword argument 'bad'"),
        ("import toy\ntoy.vec(['a'])\n", "TypeError: must be real number, not str"),
        ("import toy\ntoy.vec([1])[5]\n", "IndexError: index 5 is out of bounds for dimension 0 with size 1"),
        ("import toy\ntoy.vec([1]) + 'a'\n", "TypeError: unsupported operand type(s) for +: 'Vec1' and 'str'"),
        ("import toy\ntoy.vec([1]).nope\n", "AttributeError: 'Vec1' object has no attribute 'nope'"),
        ("import toy\ntoy.vec([1])()\n", "TypeError: 'Vec1' object is not callable"),
        ("import toy\nf'{toy.vec([1, 2]):.2f}'\n", "TypeError: unsupported format string passed to Vec1.__format__"),
        ("import toy.missing\n", "ModuleNotFoundError: No module named 'toy.missing'"),
        ("from toy import nothing\n", "ImportError: cannot import name 'nothing' from 'toy' (unknown location)"),
    ];
    for (code, want) in cases {
        let (_, e) = run(&mut it, code);
        let e = e.unwrap_or_else(|| panic!("no error for {code}"));
        assert_eq!(e.last_line(), want, "{code}");
        let line2 = code.find('\n').unwrap() + 1;
        if code[line2..].starts_with("toy") {
            assert!(e.span.start >= line2, "{code}: span {:?}", e.span);
        }
    }
}

#[test]
fn native_context_manager() {
    let depth = Rc::new(Cell::new(0));
    let mut it = toy_interp(depth.clone());
    let (out, e) = run(&mut it, "import toy\nwith toy.guard():\n    print('inside')\n");
    assert!(e.is_none());
    assert_eq!(out, "inside\n");
    assert_eq!(depth.get(), 11);
    // exit sees the exception and may swallow it (this guard swallows KeyError only).
    let (_, e) = run(&mut it, "with toy.guard():\n    {}['k']\nprint('after')\n");
    assert!(e.is_none());
    let (_, e) = run(&mut it, "with toy.guard():\n    1 / 0\n");
    assert_eq!(e.unwrap().py_type, "ZeroDivisionError");
    assert_eq!(depth.get(), 33);
    let (_, e) = run(&mut it, "with 5:\n    pass\n");
    assert_eq!(e.unwrap().last_line(), "TypeError: 'int' object does not support the context manager protocol");
}

#[test]
fn natives_call_back_into_python() {
    let mut it = Interpreter::new();
    it.set_global(
        "apply_all",
        Value::builtin("apply_all", |it, args| {
            let [f, items] = args.bind(&["f", "items"])?;
            let (f, items) = (f.unwrap_or(Value::None), items.unwrap_or(Value::None));
            let mut out = Vec::new();
            for v in it.iterate(&items)? {
                out.push(it.call_positional(&f, vec![v])?);
            }
            Ok(Value::list(out))
        }),
    );
    let (out, e) = run(&mut it, "def params():\n    return (p for p in [1, 2, 3])\nprint(apply_all(lambda x: x * 10, params()))\n");
    assert!(e.is_none(), "{e:?}");
    assert_eq!(out, "[10, 20, 30]\n");
}

#[test]
fn sandbox_imports_say_the_module_is_not_available() {
    for module in ["shutil", "shelve", "pickle", "socket", "numpy", "xml.dom"] {
        let mut it = Interpreter::new();
        let (_, e) = run(&mut it, &format!("import {module}\n"));
        let e = e.expect("import must fail");
        assert_eq!(e.py_type, "ModuleNotFoundError", "{module}");
        let top = module.split('.').next().unwrap_or(module);
        assert!(
            e.message.starts_with(&format!("No module named '{top}': it is not available in lessons")),
            "{module}: {}",
            e.message
        );
        assert!(e.message.contains("math") && e.message.contains("random"), "{}", e.message);
    }
    // Packages that the reference environment lacks too fail there with CPython's plain message.
    for (module, missing) in [("torchvision", "torchvision"), ("pandas", "pandas"), ("torchvision.models", "torchvision")] {
        let mut it = Interpreter::new();
        let (_, e) = run(&mut it, &format!("import {module}\n"));
        let e = e.expect("import must fail");
        assert_eq!((e.py_type.as_str(), e.message.as_str()), ("ModuleNotFoundError", format!("No module named '{missing}'").as_str()));
    }
    // Caught as ImportError, as lesson code written for CPython would.
    let mut it = Interpreter::new();
    let (out, e) = run(&mut it, "try:\n    import shutil\nexcept ImportError as e:\n    print(type(e).__name__)\n");
    assert!(e.is_none());
    assert_eq!(out, "ModuleNotFoundError\n");
}

#[test]
fn sandbox_has_no_io_builtins() {
    for name in ["open", "input", "__import__", "breakpoint", "exit", "quit"] {
        let mut it = Interpreter::new();
        let (_, e) = run(&mut it, &format!("{name}('x')\n"));
        let e = e.expect("must fail");
        assert_eq!(e.last_line(), format!("NameError: name '{name}' is not defined"));
    }
}

#[test]
fn exec_errors_point_at_the_call_with_the_strings_line() {
    let mut it = Interpreter::new();
    let code = "x = 1\nexec('a = 1\\nb = c')\n";
    let mut out = String::new();
    let e = it.run_cell(code, 100, &mut out).unwrap_err();
    assert_eq!(e.last_line(), "NameError: name 'c' is not defined");
    // The span is the exec call in the file, not an offset inside the string.
    assert_eq!(&code[e.span.start - 100..e.span.end - 100], "exec('a = 1\\nb = c')");
    let names: Vec<&str> = e.traceback.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(names, ["<module>", "<string> line 2, column 5"]);
}

#[test]
fn class_method_frames_are_in_the_traceback() {
    let mut it = Interpreter::new();
    let code = "class A:\n    def f(self):\n        return self.g()\n    def g(self):\n        return 1 / 0\nA().f()\n";
    let (_, e) = run(&mut it, code);
    let e = e.expect("must fail");
    let names: Vec<&str> = e.traceback.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(names, ["<module>", "f", "g"]);
    assert_eq!(e.last_line(), "ZeroDivisionError: division by zero");
}

#[test]
fn random_matches_cpython_after_seed() {
    let mut it = Interpreter::new();
    let (out, e) = run(&mut it, "import random\nrandom.seed(0)\nprint(random.random(), random.randint(1, 100))\n");
    assert!(e.is_none(), "{e:?}");
    // CPython 3.11: random.seed(0); random.random(), random.randint(1, 100)
    assert_eq!(out, "0.8444218515250481 98\n");
}
