//! `nn.Softmax2d` (softmax over the channel dimension, `dim=-3`, of a 3-d or 4-d input) and
//! `nn.ChannelShuffle`/`F.channel_shuffle` (`torch.channel_shuffle`), as PyTorch writes them.

use std::any::Any;

use super::class;
use super::convert::{as_tensor, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::channel_shuffle::channel_shuffle;

type R<T> = Result<T, Exception>;

fn input(args: &Args, what: &str) -> R<Tensor> {
    let [x] = args.bind(&["input"])?;
    x.as_ref()
        .and_then(as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error(format!("{what}: argument 'input' must be Tensor")))
}

struct Softmax2d;

impl ExtLayer for Softmax2d {
    fn name(&self) -> &str {
        "Softmax2d"
    }
    fn repr(&self) -> String {
        "Softmax2d()".to_string()
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let x = input(args, "softmax()")?;
        let d = x.dim();
        if d != 3 && d != 4 {
            return Err(Exception::value_error(format!(
                "Softmax2d: expected input to be 3D or 4D, got {d}D instead"
            )));
        }
        Ok(tv(x.softmax(-3).map_err(exc)?))
    }
    fn get_attr(&self, _: &str) -> Option<Value> {
        None
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(Softmax2d))
    }
}

struct ChannelShuffle {
    groups: i64,
}

impl ExtLayer for ChannelShuffle {
    fn name(&self) -> &str {
        "ChannelShuffle"
    }
    fn repr(&self) -> String {
        format!("ChannelShuffle(groups={})", self.groups)
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let x = input(args, "channel_shuffle()")?;
        Ok(tv(channel_shuffle(&x, self.groups).map_err(exc)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        (name == "groups").then_some(Value::Int(self.groups))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(ChannelShuffle {
            groups: self.groups,
        }))
    }
}

/// Adds `nn.Softmax2d` and `nn.ChannelShuffle`.
pub fn register(m: &Module) {
    m.set(
        "Softmax2d",
        class("Softmax2d", "torch.nn", |_, args| {
            args.bind::<0>(&[])?;
            Ok(ext_module(Softmax2d))
        }),
    );
    m.set(
        "ChannelShuffle",
        class("ChannelShuffle", "torch.nn", |_, args| {
            let [g] = args.bind(&["groups"])?;
            let g = g
                .ok_or_else(|| {
                    Exception::type_error(
                        "ChannelShuffle.__init__() missing 1 required positional argument: 'groups'",
                    )
                })?
                .expect_int("groups")?;
            Ok(ext_module(ChannelShuffle { groups: g }))
        }),
    );
}

/// Adds `F.channel_shuffle(input, groups)`.
pub fn add_functional(m: &Module) {
    m.set(
        "channel_shuffle",
        Value::builtin("channel_shuffle", |_, args| {
            let [x, g] = args.bind(&["input", "groups"])?;
            let x = x.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                Exception::type_error("channel_shuffle(): argument 'input' must be Tensor")
            })?;
            let g = g
                .ok_or_else(|| {
                    Exception::type_error("channel_shuffle() missing required argument 'groups'")
                })?
                .expect_int("groups")?;
            Ok(tv(channel_shuffle(&x, g).map_err(exc)?))
        }),
    );
}
