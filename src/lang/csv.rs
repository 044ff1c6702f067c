//! The `csv` module's writer: `csv.writer(f, delimiter=..., quotechar=..., lineterminator=...)`
//! with `writerow`/`writerows`, quoting as `QUOTE_MINIMAL` does (a field holding the
//! delimiter, the quote character or a line break is quoted, its quotes doubled), each row
//! written through the file's own `write`.

use std::rc::Rc;

use super::native::{Args, NativeObject};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

struct Writer {
    file: Value,
    delimiter: String,
    quotechar: String,
    lineterminator: String,
}

impl Writer {
    /// One row as CPython's writer formats it.
    fn format(&self, it: &mut Interpreter, row: &Value) -> R<String> {
        let fields = it.iterate(row).map_err(|_| {
            Exception::new(
                "_csv.Error",
                format!("iterable expected, not {}", row.type_name()),
            )
        })?;
        let mut out = Vec::with_capacity(fields.len());
        for f in fields {
            let s = match &f {
                Value::None => String::new(),
                Value::Str(s) => s.to_string(),
                Value::Float(_) => f.repr(),
                other => it.to_str(other)?,
            };
            let special = s.contains(&*self.delimiter)
                || s.contains(&*self.quotechar)
                || s.contains(['\r', '\n']);
            out.push(if special {
                let doubled = s.replace(&*self.quotechar, &self.quotechar.repeat(2));
                format!("{q}{doubled}{q}", q = self.quotechar)
            } else {
                s
            });
        }
        // A row of one empty field is written as `""`, so it reads back as a field.
        if out.len() == 1 && out[0].is_empty() {
            out[0] = self.quotechar.repeat(2);
        }
        Ok(out.join(&self.delimiter) + &self.lineterminator)
    }

    fn write(&self, it: &mut Interpreter, text: String) -> R<Value> {
        let write = it.get_attr(&self.file, "write")?;
        it.call(&write, Args::new("write", vec![Value::str(&text)]))
    }
}

impl NativeObject for Writer {
    fn type_name(&self) -> &str {
        "writer"
    }
    fn module_name(&self) -> Option<&str> {
        Some("_csv")
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "writerow" => Some(Value::method(this.clone(), name, |it, args| {
                let [row] = args.bind(&["row"])?;
                let w = args.this_native::<Writer>()?;
                let line = w.format(it, &row.unwrap_or(Value::None))?;
                w.write(it, line)
            })),
            "writerows" => Some(Value::method(this.clone(), name, |it, args| {
                let [rows] = args.bind(&["rows"])?;
                let w = args.this_native::<Writer>()?;
                for row in it.iterate(&rows.unwrap_or(Value::None))? {
                    let line = w.format(it, &row)?;
                    w.write(it, line)?;
                }
                Ok(Value::None)
            })),
            _ => None,
        })
    }
}

/// A one-character option (`delimiter`, `quotechar`) checked as CPython's `_csv` checks it.
fn one_char(v: Option<Value>, name: &str, default: &str) -> R<String> {
    match &v {
        None => Ok(default.to_string()),
        Some(Value::Str(s)) if s.chars().count() == 1 => Ok(s.to_string()),
        Some(Value::Str(_)) => Err(Exception::type_error(format!(
            "\"{name}\" must be a 1-character string"
        ))),
        Some(other) => Err(Exception::type_error(format!(
            "\"{name}\" must be string, not {}",
            other.type_name()
        ))),
    }
}

pub fn install(it: &mut Interpreter) {
    let m = Module::new("csv");
    m.set(
        "writer",
        Value::builtin("writer", |_, args| {
            let [
                file,
                _dialect,
                delimiter,
                quotechar,
                lineterminator,
                _quoting,
            ] = args.bind(&[
                "csvfile",
                "dialect=",
                "delimiter=",
                "quotechar=",
                "lineterminator=",
                "quoting=",
            ])?;
            let lineterminator = match lineterminator {
                None => "\r\n".to_string(),
                Some(v) => v.to_str(),
            };
            Ok(Value::native(Writer {
                file: file.unwrap_or(Value::None),
                delimiter: one_char(delimiter, "delimiter", ",")?,
                quotechar: one_char(quotechar, "quotechar", "\"")?,
                lineterminator,
            }))
        }),
    );
    for (name, v) in [
        ("QUOTE_MINIMAL", 0),
        ("QUOTE_ALL", 1),
        ("QUOTE_NONNUMERIC", 2),
        ("QUOTE_NONE", 3),
    ] {
        m.set(name, Value::Int(v));
    }
    it.modules.insert("csv".into(), Value::Module(Rc::new(m)));
}
