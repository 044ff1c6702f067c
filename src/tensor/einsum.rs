//! `torch.einsum` as PyTorch computes it without opt_einsum: operands contracted left to right,
//! each pair as permute + reshape + batched matmul (or a broadcast multiply when nothing is
//! summed), built from differentiable ops so autograd comes for free.

use super::{Result, Tensor, TensorError};

/// An operand with one subscript letter per dim.
struct Term {
    t: Tensor,
    labels: Vec<char>,
}

/// `torch.einsum(equation, *operands)` for letter subscripts (no `...`).
pub fn einsum(equation: &str, operands: &[Tensor]) -> Result<Tensor> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    if eq.contains('.') {
        return Err(TensorError::runtime("lessonrun: einsum() with an ellipsis ('...') is not supported"));
    }
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
