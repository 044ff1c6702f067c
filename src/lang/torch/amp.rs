//! `torch.amp.GradScaler` and `torch.cuda.amp.GradScaler` as they are on a machine without
//! CUDA: a scaler for `'cuda'` disables itself there (PyTorch warns and goes on), and a disabled
//! scaler passes everything through (`scale(loss)` is `loss`, `step(opt)` is `opt.step()`),
//! which is how training scripts written for float16 GPUs (nanoGPT's `train.py`) run on a CPU.
//! An enabled CPU scaler (`GradScaler('cpu')`) is not provided.

use std::rc::Rc;

use super::class;
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Dict, Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// A disabled gradient scaler, remembering the device it was made for.
struct GradScaler {
    device: String,
}

impl NativeObject for GradScaler {
    fn type_name(&self) -> &str {
        "GradScaler"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.amp.grad_scaler")
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let m =
            |f: fn(&mut Interpreter, Args) -> R<Value>| Some(Value::method(this.clone(), name, f));
        Ok(match name {
            "scale" => m(|_, args| {
                let [outputs] = args.bind(&["outputs"])?;
                Ok(outputs.unwrap_or(Value::None))
            }),
            "unscale_" => m(|_, args| {
                let [_optimizer] = args.bind(&["optimizer"])?;
                Ok(Value::None)
            }),
            // `step(optimizer, *args, **kwargs)`: the optimizer's own step, its result returned.
            "step" => m(|it, mut args| {
                if args.pos.is_empty() {
                    return Err(Exception::type_error(
                        "step() missing 1 required positional argument: 'optimizer'",
                    ));
                }
                let optimizer = args.pos.remove(0);
                let step = it.get_attr(&optimizer, "step")?;
                it.call(
                    &step,
                    Args {
                        fname: "step".into(),
                        this: None,
                        pos: args.pos,
                        kw: args.kw,
                    },
                )
            }),
            "update" => m(|_, args| {
                let [_new_scale] = args.bind(&["new_scale="])?;
                Ok(Value::None)
            }),
            "get_scale" => m(|_, args| {
                let [] = args.bind(&[])?;
                Ok(Value::Float(1.0))
            }),
            "is_enabled" => m(|_, args| {
                let [] = args.bind(&[])?;
                Ok(Value::Bool(false))
            }),
            // A disabled scaler's state is empty, and loading one is checked for nothing more.
            "state_dict" => m(|_, args| {
                let [] = args.bind(&[])?;
                Ok(Value::dict(Dict::new()))
            }),
            "load_state_dict" => m(|_, args| {
                let [_state_dict] = args.bind(&["state_dict"])?;
                Ok(Value::None)
            }),
            "_device" => Some(Value::str(&self.device)),
            "_enabled" => Some(Value::Bool(false)),
            _ => None,
        })
    }
}

/// The constructor's checks: an enabled scaler on a device lessonrun can scale on is refused
/// with a clear message; on `'cuda'`, which this machine lacks, the scaler is disabled.
fn make(device: String, enabled: bool) -> R<Value> {
    if enabled && device != "cuda" {
        return Err(Exception::unsupported(format!(
            "GradScaler('{device}', enabled=True): lessonrun has only the disabled scaler (use enabled=False)"
        )));
    }
    Ok(Value::native(GradScaler { device }))
}

fn scaler_args(it: &mut Interpreter, args: &Args, with_device: bool) -> R<(String, bool)> {
    let names: &[&str] = &[
        "device=",
        "init_scale=",
        "growth_factor=",
        "backoff_factor=",
        "growth_interval=",
        "enabled=",
    ];
    let [device, _init, _growth, _backoff, _interval, enabled] = if with_device {
        args.bind(names)?
    } else {
        let [i, g, b, n, e] = args.bind(&names[1..])?;
        [None, i, g, b, n, e]
    };
    let device = match &device {
        None => "cuda".to_string(),
        Some(Value::Str(s)) => s.to_string(),
        Some(v) => {
            return Err(Exception::type_error(format!(
                "GradScaler(): device must be str, not {}",
                v.type_name()
            )));
        }
    };
    let enabled = match enabled {
        None => true,
        Some(v) => it.truthy(&v)?,
    };
    Ok((device, enabled))
}

/// Installs `torch.amp` (and its `GradScaler`) into `torch` and `GradScaler` into `torch.cuda.amp`;
/// returns the modules to register for import.
pub fn install(torch: &Module) -> Vec<(&'static str, Value)> {
    let amp = Module::new("torch.amp");
    amp.set(
        "GradScaler",
        class("GradScaler", "torch.amp.grad_scaler", |it, args| {
            let (device, enabled) = scaler_args(it, &args, true)?;
            make(device, enabled)
        }),
    );
    let amp = Value::Module(Rc::new(amp));
    torch.set("amp", amp.clone());
    let cuda_amp = Module::new("torch.cuda.amp");
    // Deprecated in PyTorch (a FutureWarning, which goes to no output): `GradScaler('cuda', ...)`.
    cuda_amp.set(
        "GradScaler",
        class("GradScaler", "torch.cuda.amp.grad_scaler", |it, args| {
            let (_, enabled) = scaler_args(it, &args, false)?;
            make("cuda".into(), enabled)
        }),
    );
    let cuda_amp = Value::Module(Rc::new(cuda_amp));
    let out = vec![("torch.amp", amp), ("torch.cuda.amp", cuda_amp.clone())];
    if let Some(Value::Module(cuda)) = &torch.get("cuda") {
        cuda.set("amp", cuda_amp);
    }
    out
}
