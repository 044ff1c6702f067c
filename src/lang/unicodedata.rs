//! `unicodedata`: `category`, `combining`, `decomposition`-free `normalize('NFD', s)` (the
//! canonical decomposition tutorials use to strip accents), over the tables CPython's own
//! module holds (`unicodedata_tables.rs`, generated). The compatibility and composed forms
//! (NFC, NFKC, NFKD) are refused as unsupported rather than answered wrongly.

use std::rc::Rc;

use super::unicodedata_tables::{CATEGORY_NAMES, CATEGORY_RUNS, COMBINING_RUNS, DECOMPOSITIONS};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// The value of the run holding `c` in a run table.
fn run_value(runs: &[(u32, u8)], c: u32) -> u8 {
    match runs.binary_search_by_key(&c, |&(start, _)| start) {
        Ok(i) => runs[i].1,
        Err(0) => 0,
        Err(i) => runs[i - 1].1,
    }
}

pub fn category(c: char) -> &'static str {
    CATEGORY_NAMES[run_value(CATEGORY_RUNS, c as u32) as usize]
}

pub fn combining(c: char) -> u8 {
    run_value(COMBINING_RUNS, c as u32)
}

const S_BASE: u32 = 0xAC00;
const L_BASE: u32 = 0x1100;
const V_BASE: u32 = 0x1161;
const T_BASE: u32 = 0x11A7;
const T_COUNT: u32 = 28;
const N_COUNT: u32 = 21 * T_COUNT;
const S_COUNT: u32 = 19 * N_COUNT;

/// Appends `c`'s full canonical decomposition to `out`.
fn decompose(c: char, out: &mut Vec<char>) {
    let cp = c as u32;
    if (S_BASE..S_BASE + S_COUNT).contains(&cp) {
        // Hangul syllables decompose by formula (Unicode §3.12).
        let s = cp - S_BASE;
        let l = L_BASE + s / N_COUNT;
        let v = V_BASE + (s % N_COUNT) / T_COUNT;
        let t = T_BASE + s % T_COUNT;
        out.extend([l, v].into_iter().filter_map(char::from_u32));
        if t != T_BASE {
            out.extend(char::from_u32(t));
        }
        return;
    }
    match DECOMPOSITIONS.binary_search_by_key(&cp, |&(c, _, _)| c) {
        Ok(i) => {
            let (_, a, b) = DECOMPOSITIONS[i];
            for part in [a, b] {
                if let Some(p) = char::from_u32(part).filter(|_| part != 0) {
                    decompose(p, out);
                }
            }
        }
        Err(_) => out.push(c),
    }
}

/// NFD: every character decomposed, then each run of combining marks put in canonical order
/// (a stable sort by combining class).
pub fn nfd(s: &str) -> String {
    let mut chars = Vec::with_capacity(s.len());
    for c in s.chars() {
        decompose(c, &mut chars);
    }
    let mut i = 0;
    while i < chars.len() {
        if combining(chars[i]) == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && combining(chars[i]) != 0 {
            i += 1;
        }
        chars[start..i].sort_by_key(|&c| combining(c));
    }
    chars.into_iter().collect()
}

fn one_char(v: Option<Value>, func: &str) -> R<char> {
    match &v {
        Some(Value::Str(s)) => {
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(Exception::type_error(format!("{func}() argument must be a unicode character, not str"))),
            }
        }
        Some(v) => Err(Exception::type_error(format!("{func}() argument must be a unicode character, not {}", v.type_name()))),
        None => Err(Exception::type_error(format!("{func}() takes exactly one argument (0 given)"))),
    }
}

pub fn install(it: &mut Interpreter) {
    let m = Module::new("unicodedata");
    m.set("unidata_version", Value::str("14.0.0"));
    m.set("category", Value::builtin("category", |_, args| {
        let [c] = args.bind(&["chr"])?;
        Ok(Value::str(category(one_char(c, "category")?)))
    }));
    m.set("combining", Value::builtin("combining", |_, args| {
        let [c] = args.bind(&["chr"])?;
        Ok(Value::Int(combining(one_char(c, "combining")?) as i64))
    }));
    m.set("normalize", Value::builtin("normalize", |_, args| {
        let [form, s] = args.bind(&["form", "unistr"])?;
        let form = match &form {
            Some(Value::Str(f)) => f.to_string(),
            Some(v) => return Err(Exception::type_error(format!("normalize() argument 1 must be str, not {}", v.type_name()))),
            None => return Err(Exception::type_error("normalize() missing required argument 'form' (pos 1)")),
        };
        let s = match &s {
            Some(Value::Str(s)) => s.clone(),
            Some(v) => return Err(Exception::type_error(format!("normalize() argument 2 must be str, not {}", v.type_name()))),
            None => return Err(Exception::type_error("normalize() missing required argument 'unistr' (pos 2)")),
        };
        match form.as_str() {
            "NFD" => Ok(Value::str(&nfd(&s))),
            "NFC" | "NFKC" | "NFKD" => Err(Exception::unsupported(format!("unicodedata.normalize('{form}', ...): lessonrun has the canonical decomposition (NFD) only"))),
            _ => Err(Exception::value_error("invalid normalization form")),
        }
    }));
    it.modules.insert("unicodedata".into(), Value::Module(Rc::new(m)));
}
