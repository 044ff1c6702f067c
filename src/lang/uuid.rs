//! `uuid.uuid4()`: names for files a lesson saves (the saved-tensors-hooks tutorial names its
//! temporary files with it). CPython draws the 122 random bits from the OS; here they are a
//! count, so a lesson's output is reproducible, with the version and variant bits of a
//! random UUID.

use std::cell::Cell;
use std::rc::Rc;

use super::native::NativeObject;
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

thread_local! {
    static NEXT: Cell<u64> = const { Cell::new(0) };
}

/// A UUID as its 32 hex digits.
struct Uuid(String);

impl Uuid {
    fn dashed(&self) -> String {
        let h = &self.0;
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

impl NativeObject for Uuid {
    fn type_name(&self) -> &str {
        "UUID"
    }
    fn module_name(&self) -> Option<&str> {
        Some("uuid")
    }
    fn repr(&self) -> String {
        format!("UUID('{}')", self.dashed())
    }
    fn str(&self) -> String {
        self.dashed()
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "hex" => Some(Value::str(&self.0)),
            "version" => Some(Value::Int(4)),
            _ => None,
        })
    }
}

/// Registers `uuid` with `it`.
pub fn install(it: &mut Interpreter) {
    let m = Module::new("uuid");
    m.set(
        "uuid4",
        Value::builtin("uuid4", |_, args| {
            args.bind::<0>(&[])?;
            let n = NEXT.with(|c| {
                let v = c.get();
                c.set(v + 1);
                v
            });
            // Version 4 in the thirteenth digit, variant 10 in the seventeenth.
            Ok(Value::native(Uuid(format!(
                "00000000{:04x}4000{:04x}{:012x}",
                (n >> 48) & 0xffff,
                0x8000,
                n & 0xffff_ffff_ffff
            ))))
        }),
    );
    it.modules.insert("uuid".into(), Value::Module(Rc::new(m)));
}
