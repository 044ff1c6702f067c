//! `torch.einsum` as PyTorch computes it without opt_einsum: operands contracted left to right,
//! each pair as permute + reshape + batched matmul (or a broadcast multiply when nothing is
//! summed), built from differentiable ops so autograd comes for free.

use super::{Result, Tensor, TensorError};

/// An operand with one subscript letter per dim.
struct Term {
    t: Tensor,
    labels: Vec<char>,
}

/// `torch.einsum(equation, *operands)`.
pub fn einsum(equation: &str, operands: &[Tensor]) -> Result<Tensor> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let expanded;
    let (eq, operands) = if eq.contains('.') {
        let (e, ops) = expand_ellipsis(&eq, operands)?;
        expanded = ops;
        (e, &expanded[..])
    } else {
        (eq, operands)
    };
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (eq.clone(), None),
    };
    let inputs: Vec<&str> = lhs.split(',').collect();
    if inputs.len() < operands.len() {
        return Err(TensorError::runtime("einsum(): more operands were provided than specified in the equation"));
    }
    if inputs.len() > operands.len() {
        return Err(TensorError::runtime("einsum(): fewer operands were provided than specified in the equation"));
    }
    let mut terms = Vec::with_capacity(operands.len());
    for (i, (s, t)) in inputs.iter().zip(operands).enumerate() {
        let labels: Vec<char> = s.chars().collect();
        if let Some(c) = labels.iter().find(|c| !c.is_ascii_alphabetic()) {
            return Err(TensorError::runtime(format!("einsum(): invalid subscript given at index {} in the equation string, subscripts must be in [a-zA-Z]", lhs.find(*c).unwrap_or(0))));
        }
        if labels.len() != t.dim() {
            return Err(TensorError::runtime(format!(
                "einsum(): the number of subscripts in the equation ({}) does not match the number of dimensions ({}) for operand {i} and no ellipsis was given",
                labels.len(),
                t.dim()
            )));
        }
        terms.push(diagonals(Term { t: t.clone(), labels })?);
    }
    let output: Vec<char> = match rhs {
        Some(r) => {
            let out: Vec<char> = r.chars().collect();
            for (k, c) in out.iter().enumerate() {
                if !c.is_ascii_alphabetic() {
                    return Err(TensorError::runtime("einsum(): invalid subscript given in the output, subscripts must be in [a-zA-Z]"));
                }
                if out[..k].contains(c) {
                    return Err(TensorError::runtime(format!("einsum(): output subscript {c} appears more than once in the output")));
                }
                if !inputs.iter().any(|s| s.contains(*c)) {
                    return Err(TensorError::runtime(format!("einsum(): output subscript {c} does not appear in the equation for any input operand")));
                }
            }
            out
        }
        None => {
            // Implicit output: the letters used exactly once, in alphabetical order.
            let mut once: Vec<char> = lhs.chars().filter(|c| c.is_ascii_alphabetic() && lhs.matches(*c).count() == 1).collect();
            once.sort_unstable();
            once
        }
    };
    check_sizes(&terms)?;
    let mut rest = terms.into_iter();
    let Some(mut cur) = rest.next() else {
        return Err(TensorError::runtime("einsum(): must provide at least one operand"));
    };
    let later: Vec<Term> = rest.collect();
    for (k, next) in later.iter().enumerate() {
        let mut keep = output.clone();
        for t in &later[k..] {
            keep.extend(&t.labels);
        }
        cur = sum_unused(cur, &keep)?;
        let mut keep_next = output.clone();
        keep_next.extend(&cur.labels);
        for t in &later[k + 1..] {
            keep_next.extend(&t.labels);
        }
        let next = sum_unused(Term { t: next.t.clone(), labels: next.labels.clone() }, &keep_next)?;
        let mut keep_pair = output.clone();
        for t in &later[k + 1..] {
            keep_pair.extend(&t.labels);
        }
        cur = pair(cur, next, &keep_pair)?;
    }
    let cur = sum_unused(cur, &output)?;
    permute_to(&cur, &output)
}

/// The equation with each `...` spelled out in letters the equation does not use: the
/// broadcast dims, right-aligned across the operands as PyTorch aligns them (an operand's
/// size-1 dim is expanded to the others' size), and first in an implicit output, then the
/// letters used once in alphabetical order.
fn expand_ellipsis(eq: &str, operands: &[Tensor]) -> Result<(String, Vec<Tensor>)> {
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq, None),
    };
    let inputs: Vec<&str> = lhs.split(',').collect();
    if inputs.len() != operands.len() {
        // The main parse words the count errors.
        return Ok((eq.replace("...", ""), operands.to_vec()));
    }
    let check = |s: &str, i: usize| -> Result<()> {
        if s.matches("...").count() > 1 || s.replacen("...", "", 1).contains('.') {
            return Err(TensorError::runtime(format!(
                "einsum(): found '.' for operand {i} that is not part of any ellipsis"
            )));
        }
        Ok(())
    };
    let mut ranks = Vec::with_capacity(inputs.len());
    for (i, (s, t)) in inputs.iter().zip(operands).enumerate() {
        check(s, i)?;
        let letters = s.replace("...", "").chars().count();
        ranks.push(if s.contains("...") {
            if t.dim() < letters {
                return Err(TensorError::runtime(format!(
                    "einsum(): the number of subscripts in the equation ({letters}) is more than the number of dimensions ({}) for operand",
                    t.dim()
                )));
            }
            t.dim() - letters
        } else {
            0
        });
    }
    let e = ranks.iter().copied().max().unwrap_or(0);
    let free: Vec<char> = ('A'..='Z').chain('a'..='z').filter(|c| !eq.contains(*c)).take(e).collect();
    if free.len() < e {
        return Err(TensorError::runtime("einsum(): too many dims under the ellipsis"));
    }
    // The broadcast size of each ellipsis dim.
    let mut sizes = vec![1usize; e];
    for (i, ((s, t), &r)) in inputs.iter().zip(operands).zip(&ranks).enumerate() {
        let start = s.find("...").unwrap_or(0);
        let shape = t.shape();
        for k in 0..r {
            let d = shape[start + k];
            let slot = &mut sizes[e - r + k];
            if *slot == 1 {
                *slot = d;
            } else if d != 1 && d != *slot {
                // (PyTorch's message lacks the space before "has".)
                return Err(TensorError::runtime(format!(
                    "einsum(): dimension {k} covered by ellipsis in operand {i}has size {d} which does not broadcast with previously seen ellipsis with size {slot} for the respective dimension"
                )));
            }
        }
    }
    let mut terms = Vec::with_capacity(inputs.len());
    let mut ops = Vec::with_capacity(operands.len());
    for ((s, t), &r) in inputs.iter().zip(operands).zip(&ranks) {
        let letters: String = free[e - r..].iter().collect();
        terms.push(s.replace("...", &letters));
        let start = s.find("...").unwrap_or(0);
        let mut shape = t.shape();
        let mut expand = false;
        for k in 0..r {
            if shape[start + k] == 1 && sizes[e - r + k] != 1 {
                shape[start + k] = sizes[e - r + k];
                expand = true;
            }
        }
        ops.push(if expand { t.expand(&shape)? } else { t.clone() });
    }
    let all: String = free.iter().collect();
    let out = match rhs {
        Some(r) => r.replacen("...", &all, 1),
        None => {
            let mut once: Vec<char> = lhs
                .chars()
                .filter(|c| c.is_ascii_alphabetic() && lhs.matches(*c).count() == 1)
                .collect();
            once.sort_unstable();
            free.iter().chain(once.iter()).collect()
        }
    };
    Ok((format!("{}->{}", terms.join(","), out), ops))
}

/// Takes the diagonal of every letter repeated within one operand (`ii`), moving it last.
fn diagonals(mut term: Term) -> Result<Term> {
    loop {
        let dup = (0..term.labels.len()).find_map(|i| (i + 1..term.labels.len()).find(|&j| term.labels[j] == term.labels[i]).map(|j| (i, j)));
        let Some((i, j)) = dup else { return Ok(term) };
        let shape = term.t.shape();
        if shape[i] != shape[j] {
            return Err(TensorError::runtime(format!(
                "einsum(): subscript {} is repeated for operand 0 but the sizes don't match, {} != {}",
                term.labels[i], shape[i], shape[j]
            )));
        }
        term.t = term.t.diagonal(0, i as isize, j as isize)?;
        let c = term.labels[i];
        term.labels.remove(j);
        term.labels.remove(i);
        term.labels.push(c);
    }
}

/// Every letter must have one size across operands (size-1 broadcasting is not supported).
fn check_sizes(terms: &[Term]) -> Result<()> {
    let mut seen: Vec<(char, usize)> = Vec::new();
    for term in terms {
        for (c, n) in term.labels.iter().zip(term.t.shape()) {
            match seen.iter().find(|(d, _)| d == c) {
                Some(&(_, m)) if m != n => {
                    return Err(TensorError::runtime(format!("einsum(): operands do not broadcast: subscript {c} has sizes {m} and {n}")));
                }
                Some(_) => {}
                None => seen.push((*c, n)),
            }
        }
    }
    Ok(())
}

/// Sums away the dims whose letters are not in `keep`.
fn sum_unused(term: Term, keep: &[char]) -> Result<Term> {
    let dims: Vec<isize> = (0..term.labels.len()).filter(|&i| !keep.contains(&term.labels[i])).map(|i| i as isize).collect();
    if dims.is_empty() {
        return Ok(term);
    }
    let t = term.t.sum(Some(&dims), false)?;
    let labels = term.labels.into_iter().filter(|c| keep.contains(c)).collect();
    Ok(Term { t, labels })
}

/// The operand permuted so that its dims follow `order` (which holds exactly its letters).
fn permute_to(term: &Term, order: &[char]) -> Result<Tensor> {
    let perm: Vec<isize> = order.iter().map(|c| term.labels.iter().position(|d| d == c).unwrap_or(0) as isize).collect();
    if perm.iter().enumerate().all(|(i, &p)| i as isize == p) {
        return Ok(term.t.clone());
    }
    term.t.permute(&perm)
}

/// Contracts two operands over the letters they share that `keep` does not need.
fn pair(a: Term, b: Term, keep: &[char]) -> Result<Term> {
    let batch: Vec<char> = a.labels.iter().copied().filter(|c| b.labels.contains(c) && keep.contains(c)).collect();
    let summed: Vec<char> = a.labels.iter().copied().filter(|c| b.labels.contains(c) && !keep.contains(c)).collect();
    let left: Vec<char> = a.labels.iter().copied().filter(|c| !b.labels.contains(c)).collect();
    let right: Vec<char> = b.labels.iter().copied().filter(|c| !a.labels.contains(c)).collect();
    let size = |t: &Term, cs: &[char]| -> Vec<usize> {
        let shape = t.t.shape();
        cs.iter().map(|c| shape[t.labels.iter().position(|d| d == c).unwrap_or(0)]).collect()
    };
    let (bs, ls, ss, rs) = (size(&a, &batch), size(&a, &left), size(&a, &summed), size(&b, &right));
    let labels: Vec<char> = batch.iter().chain(&left).chain(&right).copied().collect();
    let out_shape: Vec<isize> = bs.iter().chain(&ls).chain(&rs).map(|&n| n as isize).collect();
    let prod = |v: &[usize]| v.iter().product::<usize>() as isize;
    if summed.is_empty() {
        // Nothing to sum: a broadcast product laid out as batch, left, right.
        let ones = |n: usize| std::iter::repeat_n(1isize, n);
        let order_a: Vec<char> = batch.iter().chain(&left).copied().collect();
        let sa: Vec<isize> = bs.iter().chain(&ls).map(|&n| n as isize).chain(ones(right.len())).collect();
        let ta = permute_to(&a, &order_a)?.reshape(&sa)?;
        let order_b: Vec<char> = batch.iter().chain(&right).copied().collect();
        let sb: Vec<isize> = bs.iter().map(|&n| n as isize).chain(ones(left.len())).chain(rs.iter().map(|&n| n as isize)).collect();
        let tb = permute_to(&b, &order_b)?.reshape(&sb)?;
        return Ok(Term { t: ta.mul(&tb)?, labels });
    }
    let order_a: Vec<char> = batch.iter().chain(&left).chain(&summed).copied().collect();
    let ta = permute_to(&a, &order_a)?.reshape(&[prod(&bs), prod(&ls), prod(&ss)])?;
    let order_b: Vec<char> = batch.iter().chain(&summed).chain(&right).copied().collect();
    let tb = permute_to(&b, &order_b)?.reshape(&[prod(&bs), prod(&ss), prod(&rs)])?;
    let t = ta.matmul(&tb)?.reshape(&out_shape)?;
    Ok(Term { t, labels })
}
