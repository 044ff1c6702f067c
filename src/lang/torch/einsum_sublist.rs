//! `torch.einsum`'s sublist form, `einsum(a, [0, 1], b, [1, 2], [0, 2])`: each operand
//! followed by its subscripts as integers (or `...`), optionally the output's last. Rewritten
//! into the equation string PyTorch builds from it (0-25 as `A`-`Z`, 26-51 as `a`-`z`).

use super::R;
use crate::lang::{Exception, Interpreter, Value};

fn subscripts(interp: &mut Interpreter, v: &Value) -> R<String> {
    let mut out = String::new();
    for s in interp.iterate(v)? {
        match s {
            Value::Ellipsis => out.push_str("..."),
            Value::Int(i) => {
                if !(0..52).contains(&i) {
                    return Err(Exception::value_error(
                        "einsum(): subscript in subscript list is not within the valid range [0, 52)",
                    ));
                }
                let c = if i < 26 {
                    b'A' + i as u8
                } else {
                    b'a' + (i - 26) as u8
                };
                out.push(c as char);
            }
            other => {
                return Err(Exception::type_error(format!(
                    "einsum(): expected a list of integers or Ellipsis as subscripts, got {}",
                    other.type_name()
                )));
            }
        }
    }
    Ok(out)
}

/// The equation and operands of a call in sublist form.
pub fn equation(interp: &mut Interpreter, pos: &[Value]) -> R<(String, Vec<Value>)> {
    let mut inputs = Vec::new();
    let mut ops = Vec::new();
    let mut i = 0;
    while i + 1 < pos.len() {
        ops.push(pos[i].clone());
        inputs.push(subscripts(interp, &pos[i + 1])?);
        i += 2;
    }
    let mut eq = inputs.join(",");
    if i < pos.len() {
        eq.push_str("->");
        eq.push_str(&subscripts(interp, &pos[i])?);
    }
    Ok((eq, ops))
}
