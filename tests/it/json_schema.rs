//! Test support: a JSON Schema (draft 4) validator for the keywords nbformat's schema uses,
//! so that exported notebooks are checked against the official schema file without Python.
//! [`unsupported_keywords`] lists any keyword of a schema this validator would not check, so a
//! newer schema cannot be half-checked silently.

use serde_json::Value;

/// Keywords checked here, and those that only annotate.
const CHECKED: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
];
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "description",
    "definitions",
    "default",
    "format",
    "id",
    "title",
];

/// Every violation of `schema` by `instance`, each as `path: what`.
pub fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, instance, "$", &mut errors);
    errors
}

fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(s) = schema.as_object() else { return };
    let mut fail = |m: String| errors.push(format!("{at}: {m}"));
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(target) => check(root, target, v, at, errors),
            None => errors.push(format!("{at}: unresolvable $ref {r}")),
        }
        // In draft 4 a $ref replaces the rest of its schema.
        return;
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| has_type(v, t)) {
            fail(format!(
                "expected {}, found {}",
                types.join(" or "),
                kind(v)
            ));
            return;
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        fail(format!(
            "{v} is not one of {}",
            Value::Array(options.clone())
        ));
    }
    if let Some(x) = v.as_f64() {
        if s.get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x < m)
        {
            fail(format!("{x} is below the minimum"));
        }
        if s.get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x > m)
        {
            fail(format!("{x} is above the maximum"));
        }
    }
    if let Some(text) = v.as_str() {
        let n = text.chars().count() as u64;
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
        {
            fail(format!("{text:?} is shorter than allowed"));
        }
        if s.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n > m)
        {
            fail(format!("{text:?} is longer than allowed"));
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str)
            && !Pattern::new(p).is_match(text)
        {
            fail(format!("{text:?} does not match /{p}/"));
        }
    }
    if let Some(items) = v.as_array() {
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) < m)
        {
            fail(format!("fewer than the minimum items ({})", items.len()));
        }
        if s.get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) > m)
        {
            fail(format!("more than the maximum items ({})", items.len()));
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true))
            && items
                .iter()
                .enumerate()
                .any(|(i, a)| items[..i].contains(a))
        {
            fail("items are not unique".to_string());
        }
        match s.get("items") {
            Some(Value::Array(each)) => {
                for (i, (item, sch)) in items.iter().zip(each).enumerate() {
                    check(root, sch, item, &format!("{at}[{i}]"), errors);
                }
            }
            Some(all) => {
                for (i, item) in items.iter().enumerate() {
                    check(root, all, item, &format!("{at}[{i}]"), errors);
                }
            }
            None => {}
        }
    }
    if let Some(obj) = v.as_object() {
        for key in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(key) {
                errors.push(format!("{at}: missing required property `{key}`"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        let patterns: Vec<(Pattern, &Value)> = s
            .get("patternProperties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(p, sch)| (Pattern::new(p), sch))
            .collect();
        for (key, value) in obj {
            let here = format!("{at}.{key}");
            let mut matched = false;
            if let Some(sch) = props.and_then(|p| p.get(key)) {
                matched = true;
                check(root, sch, value, &here, errors);
            }
            for (p, sch) in &patterns {
                if p.is_match(key) {
                    matched = true;
                    check(root, sch, value, &here, errors);
                }
            }
            match s.get("additionalProperties") {
                Some(Value::Bool(false)) if !matched => {
                    errors.push(format!("{at}: property `{key}` is not allowed"))
                }
                Some(extra @ Value::Object(_)) if !matched => {
                    check(root, extra, value, &here, errors)
                }
                _ => {}
            }
        }
    }
    let passes = |sch: &Value| validate_at(root, sch, v).is_empty();
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sch in all {
            check(root, sch, v, at, errors);
        }
    }
    if let Some(any) = s.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(passes)
    {
        errors.push(format!("{at}: matches none of anyOf"));
    }
    if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
        let n = one.iter().filter(|sch| passes(sch)).count();
        if n != 1 {
            // Name the closest alternative's problems: usually the one meant.
            let best = one
                .iter()
                .map(|sch| validate_at(root, sch, v))
                .min_by_key(Vec::len)
                .unwrap_or_default();
            errors.push(format!(
                "{at}: matches {n} of oneOf's {} schemas (closest: {})",
                one.len(),
                best.join("; ")
            ));
        }
    }
    if let Some(not) = s.get("not")
        && passes(not)
    {
        errors.push(format!("{at}: matches a schema it must not"));
    }
}

fn validate_at(root: &Value, schema: &Value, v: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, schema, v, "", &mut errors);
    errors
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|x| x.fract() == 0.0),
        _ => false,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The keywords this validator does not check, in the schemas reachable from `root` (through
/// subschemas and `$ref`s; `definitions` may also group definitions, which are not schemas).
pub fn unsupported_keywords(root: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    walk(root, root, &mut seen, &mut out);
    out.sort();
    out.dedup();
    out
}

fn walk(root: &Value, schema: &Value, seen: &mut Vec<String>, out: &mut Vec<String>) {
    let Some(s) = schema.as_object() else { return };
    for (k, v) in s {
        if !CHECKED.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
            out.push(k.clone());
        }
        match k.as_str() {
            "$ref" => {
                let r = v.as_str().unwrap_or_default().to_string();
                if !seen.contains(&r) {
                    seen.push(r.clone());
                    if let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                        walk(root, target, seen, out);
                    }
                }
            }
            "properties" | "patternProperties" => v
                .as_object()
                .into_iter()
                .flatten()
                .for_each(|(_, sch)| walk(root, sch, seen, out)),
            "items" | "additionalProperties" | "not" => match v {
                Value::Array(each) => each.iter().for_each(|sch| walk(root, sch, seen, out)),
                sch => walk(root, sch, seen, out),
            },
            "oneOf" | "anyOf" | "allOf" => v
                .as_array()
                .into_iter()
                .flatten()
                .for_each(|sch| walk(root, sch, seen, out)),
            _ => {}
        }
    }
}

/// The regular expressions of JSON Schema's `pattern` as far as nbformat's schema uses them:
/// literals and escapes, `.`, classes with ranges and negation, groups, `* + ?`, and `^`/`$`
/// anchors. Unanchored patterns match anywhere, as JSON Schema says.
pub struct Pattern {
    pieces: Vec<Piece>,
    start: bool,
    end: bool,
}

struct Piece {
    node: Node,
    min: usize,
    max: usize,
}

enum Node {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Group(Vec<Piece>),
}

impl Pattern {
    pub fn new(p: &str) -> Pattern {
        let mut chars: Vec<char> = p.chars().collect();
        let start = chars.first() == Some(&'^');
        if start {
            chars.remove(0);
        }
        let end =
            chars.last() == Some(&'$') && !(chars.len() >= 2 && chars[chars.len() - 2] == '\\');
        if end {
            chars.pop();
        }
        let mut at = 0;
        let pieces = parse_seq(&chars, &mut at);
        assert_eq!(
            at,
            chars.len(),
            "pattern /{p}/ uses syntax this test validator does not support"
        );
        Pattern { pieces, start, end }
    }

    pub fn is_match(&self, text: &str) -> bool {
        let s: Vec<char> = text.chars().collect();
        let starts = if self.start { 0..=0 } else { 0..=s.len() };
        starts
            .into_iter()
            .any(|from| seq(&self.pieces, &s, from, &mut |e| !self.end || e == s.len()))
    }
}

fn parse_seq(p: &[char], at: &mut usize) -> Vec<Piece> {
    let mut out = Vec::new();
    while *at < p.len() && p[*at] != ')' {
        let node = match p[*at] {
            '.' => Node::Any,
            '\\' => {
                *at += 1;
                Node::Char(p[*at])
            }
            '(' => {
                *at += 1;
                let inner = parse_seq(p, at);
                assert_eq!(p.get(*at), Some(&')'), "unclosed group");
                Node::Group(inner)
            }
            '[' => {
                *at += 1;
                let negated = p[*at] == '^';
                if negated {
                    *at += 1;
                }
                let mut ranges = Vec::new();
                while p[*at] != ']' {
                    let lo = if p[*at] == '\\' {
                        *at += 1;
                        p[*at]
                    } else {
                        p[*at]
                    };
                    // A `-` that opens an item, or ends the class, is itself.
                    if lo != '-' && p[*at + 1] == '-' && p[*at + 2] != ']' {
                        ranges.push((lo, p[*at + 2]));
                        *at += 3;
                    } else {
                        ranges.push((lo, lo));
                        *at += 1;
                    }
                }
                Node::Class(ranges, negated)
            }
            c => Node::Char(c),
        };
        *at += 1;
        let (min, max) = match p.get(*at) {
            Some('*') => (0, usize::MAX),
            Some('+') => (1, usize::MAX),
            Some('?') => (0, 1),
            _ => (1, 1),
        };
        if max != 1 || min != 1 {
            *at += 1;
        }
        out.push(Piece { node, min, max });
    }
    out
}

/// Backtracking match of `pieces` at `pos`; `k` accepts or refuses an end position.
fn seq(pieces: &[Piece], s: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return k(pos);
    };
    repeat(first, 0, s, pos, &mut |e| seq(rest, s, e, k))
}

/// Greedy: as many repetitions of `piece` as can be followed by a match of the rest.
fn repeat(
    piece: &Piece,
    count: usize,
    s: &[char],
    pos: usize,
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    if count < piece.max
        && one(&piece.node, s, pos, &mut |e| {
            e != pos && repeat(piece, count + 1, s, e, k)
        })
    {
        return true;
    }
    count >= piece.min && k(pos)
}

fn one(node: &Node, s: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match node {
        Node::Char(c) => s.get(pos) == Some(c) && k(pos + 1),
        Node::Any => s.get(pos).is_some_and(|&c| c != '\n') && k(pos + 1),
        Node::Class(ranges, negated) => {
            s.get(pos)
                .is_some_and(|&c| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated)
                && k(pos + 1)
        }
        Node::Group(inner) => seq(inner, s, pos, k),
    }
}

#[test]
fn patterns_as_the_nbformat_schema_writes_them() {
    let id = Pattern::new("^[a-zA-Z0-9-_]+$");
    assert!(id.is_match("cell-1_A"));
    assert!(!id.is_match("cell 1") && !id.is_match("") && !id.is_match("a.b"));
    let json = Pattern::new("^application/(.*\\+)?json$");
    assert!(json.is_match("application/json") && json.is_match("application/vnd.x+json"));
    assert!(!json.is_match("application/jsonx") && !json.is_match("text/json"));
    assert!(Pattern::new("^[^,]+$").is_match("a b") && !Pattern::new("^[^,]+$").is_match("a,b"));
    assert!(Pattern::new("b+").is_match("abbc") && !Pattern::new("^b+").is_match("abbc"));
}

#[test]
fn the_validator_finds_what_is_wrong() {
    let schema = serde_json::json!({
        "type": "object", "required": ["a"], "additionalProperties": false,
        "properties": {"a": {"$ref": "#/definitions/n"}, "b": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}},
        "definitions": {"n": {"type": "integer", "minimum": 0}},
    });
    assert!(validate(&schema, &serde_json::json!({"a": 1, "b": ["x"]})).is_empty());
    let errors = validate(&schema, &serde_json::json!({"a": -1, "b": [1], "c": 0}));
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(
        validate(&schema, &serde_json::json!({"b": "x"})),
        ["$: missing required property `a`"]
    );
}
