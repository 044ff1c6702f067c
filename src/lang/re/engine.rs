//! A backtracking regular-expression engine with Python's `re` syntax and matching order:
//! literals and escapes, `.`, classes (ranges, negation, `\d\w\s` inside), anchors (`^ $ \A \Z
//! \b \B`), groups (capturing, named `(?P<n>...)`, non-capturing, lookahead and lookbehind),
//! alternation (leftmost alternative first), greedy and lazy quantifiers, backreferences and
//! the flags IGNORECASE, MULTILINE, DOTALL and VERBOSE (also scoped, `(?i:...)`), possessive
//! quantifiers and atomic groups (Python 3.11), and for the third-party `regex` module
//! (`REGEX_SYNTAX`) the Unicode category classes `\p{L}`/`\P{N}` of GPT's split patterns. Like
//! CPython's sre it backtracks, so a pattern finds the match CPython finds. Positions are in
//! characters (code points).

use std::collections::HashMap;

pub const IGNORECASE: i64 = 2;
pub const MULTILINE: i64 = 8;
pub const DOTALL: i64 = 16;
pub const VERBOSE: i64 = 64;
/// Not a Python flag: set by the `regex` module, whose syntax adds `\p{..}` classes.
pub const REGEX_SYNTAX: i64 = 1 << 20;

#[derive(Debug, Clone)]
enum ClassItem {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
    /// A Unicode general category (`L`, or `Lu` with its second letter), or its complement.
    Prop(char, Option<char>, bool),
}

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class {
        items: Vec<ClassItem>,
        negated: bool,
    },
    Start,
    End,
    StrStart,
    StrEnd,
    WordBoundary(bool),
    Group(Box<Node>, Option<usize>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: usize,
        max: usize,
        greedy: bool,
    },
    Backref(usize),
    Look {
        ahead: bool,
        negated: bool,
        node: Box<Node>,
    },
    /// An atomic group or possessive repeat: its first match only, never backtracked into.
    Atomic(Box<Node>),
}

/// A compiled pattern.
#[derive(Debug)]
pub struct Regex {
    root: Node,
    pub groups: usize,
    pub names: HashMap<String, usize>,
    pub flags: i64,
}

/// A pattern error: CPython's message and position.
#[derive(Debug)]
pub struct PatternError(pub String);

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    groups: usize,
    names: HashMap<String, usize>,
    flags: i64,
    _src: &'a str,
}

impl Parser<'_> {
    fn err<T>(&self, msg: &str, at: usize) -> Result<T, PatternError> {
        Err(PatternError(format!("{msg} at position {at}")))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_verbose(&mut self) {
        if self.flags & VERBOSE == 0 {
            return;
        }
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += 1;
            } else if c == '#' {
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn alternation(&mut self) -> Result<Node, PatternError> {
        let mut alts = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            alts.push(self.concat()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Concat(Vec::new()))
        } else {
            Node::Alt(alts)
        })
    }

    fn concat(&mut self) -> Result<Node, PatternError> {
        let mut items = Vec::new();
        loop {
            self.skip_verbose();
            match self.peek() {
                None | Some('|') | Some(')') => break,
                _ => {}
            }
            let atom = self.atom()?;
            self.skip_verbose();
            let atom = self.quantifier(atom)?;
            items.push(atom);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::Concat(Vec::new()))
        } else {
            Node::Concat(items)
        })
    }

    fn quantifier(&mut self, atom: Node) -> Result<Node, PatternError> {
        let mut atom = atom;
        loop {
            let qpos = self.pos;
            // `braces` consumes its `{m,n}`; the one-character quantifiers are consumed here.
            let (min, max) = match self.peek() {
                Some('*') => (0, usize::MAX),
                Some('+') => (1, usize::MAX),
                Some('?') => (0, 1),
                Some('{') => match self.braces() {
                    Some(b) => b,
                    None => return Ok(atom),
                },
                _ => return Ok(atom),
            };
            if self.pos == qpos {
                self.pos += 1;
            }
            if matches!(
                atom,
                Node::Start | Node::End | Node::StrStart | Node::StrEnd | Node::WordBoundary(_)
            ) {
                return self.err("nothing to repeat", qpos);
            }
            if let Node::Repeat { .. } = atom {
                return self.err("multiple repeat", qpos);
            }
            let mut greedy = true;
            let mut possessive = false;
            if self.peek() == Some('?') {
                self.pos += 1;
                greedy = false;
            } else if self.peek() == Some('+') {
                self.pos += 1;
                possessive = true;
            }
            if min > max {
                return self.err("min repeat greater than max repeat", qpos + 1);
            }
            atom = Node::Repeat {
                node: Box::new(atom),
                min,
                max,
                greedy,
            };
            if possessive {
                atom = Node::Atomic(Box::new(atom));
            }
        }
    }

    /// `{m}`, `{m,}`, `{,n}`, `{m,n}`; None when the brace is a literal.
    fn braces(&mut self) -> Option<(usize, usize)> {
        let rest: String = self.chars[self.pos..].iter().collect();
        let close = rest.find('}')?;
        let body = &rest[1..close];
        let (lo, hi) = match body.split_once(',') {
            None => {
                let n: usize = body.parse().ok()?;
                (n, n)
            }
            Some((a, b)) => {
                let lo = if a.is_empty() { 0 } else { a.parse().ok()? };
                let hi = if b.is_empty() {
                    usize::MAX
                } else {
                    b.parse().ok()?
                };
                (lo, hi)
            }
        };
        if !body.chars().all(|c| c.is_ascii_digit() || c == ',') {
            return None;
        }
        self.pos += body.chars().count() + 2;
        Some((lo, hi))
    }

    fn atom(&mut self) -> Result<Node, PatternError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return self.err("unexpected end of pattern", start);
        };
        self.pos += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '*' | '+' | '?' => return self.err("nothing to repeat", start),
            '[' => self.class()?,
            '(' => self.group(start)?,
            '\\' => self.escape(false)?,
            c => Node::Char(c),
        })
    }

    fn group(&mut self, start: usize) -> Result<Node, PatternError> {
        let mut index = None;
        let mut look = None;
        if self.peek() == Some('?') {
            self.pos += 1;
            match self.peek() {
                Some(':') => self.pos += 1,
                Some('P') if self.chars.get(self.pos + 1) == Some(&'<') => {
                    self.pos += 2;
                    let mut name = String::new();
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == '>' {
                            break;
                        }
                        name.push(c);
                    }
                    self.groups += 1;
                    self.names.insert(name, self.groups);
                    index = Some(self.groups);
                }
                Some('=') | Some('!') => {
                    look = Some((true, self.peek() == Some('!')));
                    self.pos += 1;
                }
                Some('<') if matches!(self.chars.get(self.pos + 1), Some('=') | Some('!')) => {
                    look = Some((false, self.chars.get(self.pos + 1) == Some(&'!')));
                    self.pos += 2;
                }
                Some('>') => {
                    self.pos += 1;
                    let inner = self.alternation()?;
                    if self.peek() != Some(')') {
                        return self.err("missing ), unterminated subpattern", start);
                    }
                    self.pos += 1;
                    return Ok(Node::Atomic(Box::new(inner)));
                }
                Some(c) if "aiLmsux".contains(c) => {
                    let mut scoped = 0;
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        match c {
                            'i' => scoped |= IGNORECASE,
                            'm' => scoped |= MULTILINE,
                            's' => scoped |= DOTALL,
                            'x' => scoped |= VERBOSE,
                            'a' | 'u' | 'L' => {}
                            // `(?i:...)`: the flags hold inside the group only. Case folding is
                            // compiled into its characters, as the matcher's flags are global.
                            ':' => {
                                let outer = self.flags;
                                self.flags |= scoped;
                                let inner = self.alternation();
                                self.flags = outer;
                                let inner = inner?;
                                if self.peek() != Some(')') {
                                    return self.err("missing ), unterminated subpattern", start);
                                }
                                self.pos += 1;
                                let fold_here = scoped & IGNORECASE != 0 && outer & IGNORECASE == 0;
                                return Ok(if fold_here { icase_node(inner) } else { inner });
                            }
                            ')' => {
                                self.flags |= scoped;
                                return Ok(Node::Concat(Vec::new()));
                            }
                            _ => return self.err("unknown flag", self.pos - 1),
                        }
                    }
                    return self.err("missing ), unterminated subpattern", start);
                }
                _ => return self.err("unknown extension ?", start + 1),
            }
        } else {
            self.groups += 1;
            index = Some(self.groups);
        }
        let inner = self.alternation()?;
        if self.peek() != Some(')') {
            return self.err("missing ), unterminated subpattern", start);
        }
        self.pos += 1;
        Ok(match look {
            Some((ahead, negated)) => Node::Look {
                ahead,
                negated,
                node: Box::new(inner),
            },
            None => Node::Group(Box::new(inner), index),
        })
    }

    fn escape(&mut self, in_class: bool) -> Result<Node, PatternError> {
        let start = self.pos - 1;
        let Some(c) = self.peek() else {
            return self.err("bad escape (end of pattern)", start);
        };
        self.pos += 1;
        let class = |item| Node::Class {
            items: vec![item],
            negated: false,
        };
        Ok(match c {
            'd' => class(ClassItem::Digit(true)),
            'D' => class(ClassItem::Digit(false)),
            'w' => class(ClassItem::Word(true)),
            'W' => class(ClassItem::Word(false)),
            's' => class(ClassItem::Space(true)),
            'S' => class(ClassItem::Space(false)),
            'p' | 'P' if self.flags & REGEX_SYNTAX != 0 => {
                let name: String = if self.peek() == Some('{') {
                    let close = self.chars[self.pos..].iter().position(|&c| c == '}');
                    let Some(close) = close else { return self.err("missing }", self.pos) };
                    let n = self.chars[self.pos + 1..self.pos + close].iter().collect();
                    self.pos += close + 1;
                    n
                } else {
                    self.peek().map(String::from).unwrap_or_default()
                };
                if name.len() == 1 && self.chars.get(self.pos) == name.chars().next().as_ref() {
                    self.pos += 1;
                }
                let mut cs = name.chars();
                match (cs.next(), cs.next(), cs.next()) {
                    (Some(a), b, None) if "LMNPSZC".contains(a) => class(ClassItem::Prop(a, b, c == 'p')),
                    _ => return self.err(&format!("unknown property '{name}'"), start),
                }
            }
            'b' if in_class => Node::Char('\u{8}'),
            'b' => Node::WordBoundary(true),
            'B' => Node::WordBoundary(false),
            'A' => Node::StrStart,
            'Z' => Node::StrEnd,
            'n' => Node::Char('\n'),
            't' => Node::Char('\t'),
            'r' => Node::Char('\r'),
            'f' => Node::Char('\u{c}'),
            'v' => Node::Char('\u{b}'),
            'a' => Node::Char('\u{7}'),
            '0' => Node::Char('\0'),
            'x' | 'u' | 'U' => {
                let n = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = self.chars.iter().skip(self.pos).take(n).collect();
                let v = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == n)
                    .and_then(char::from_u32);
                let Some(v) = v else {
                    return self.err(&format!("incomplete escape \\{c}{hex}"), start);
                };
                self.pos += n;
                Node::Char(v)
            }
            '1'..='9' if !in_class => {
                let mut n = c.to_digit(10).unwrap_or(0) as usize;
                if let Some(d) = self.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    self.pos += 1;
                }
                if n > self.groups {
                    return self.err(&format!("invalid group reference {n}"), start + 1);
                }
                Node::Backref(n)
            }
            c if c.is_ascii_alphanumeric() => return self.err(&format!("bad escape \\{c}"), start),
            c => Node::Char(c),
        })
    }

    fn class(&mut self) -> Result<Node, PatternError> {
        let start = self.pos - 1;
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.pos += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated character set", start);
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    Node::Char(ch) => ch,
                    Node::Class { items: it, .. } => {
                        items.extend(it);
                        continue;
                    }
                    _ => return self.err("bad escape", self.pos - 2),
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
                self.pos += 1;
                let Some(h) = self.peek() else {
                    return self.err("unterminated character set", start);
                };
                self.pos += 1;
                let hi = if h == '\\' {
                    match self.escape(true)? {
                        Node::Char(ch) => ch,
                        _ => {
                            return self
                                .err(&format!("bad character range {lo}-\\{h}"), self.pos - 3);
                        }
                    }
                } else {
                    h
                };
                if hi < lo {
                    return self.err(&format!("bad character range {lo}-{hi}"), self.pos - 3);
                }
                items.push(ClassItem::Range(lo, hi));
            } else {
                items.push(ClassItem::Range(lo, lo));
            }
        }
        Ok(Node::Class { items, negated })
    }
}

/// A node matching what `n` matches in either case (a scoped `(?i:...)`).
fn icase_node(n: Node) -> Node {
    let variants = |c: char| [fold(c), c.to_uppercase().next().unwrap_or(c)];
    match n {
        Node::Char(c) => {
            let [l, u] = variants(c);
            Node::Class { items: vec![ClassItem::Range(l, l), ClassItem::Range(u, u)], negated: false }
        }
        Node::Class { items, negated } => {
            let mut out = Vec::new();
            for item in items {
                if let ClassItem::Range(lo, hi) = item
                    && (hi as u32) - (lo as u32) < 256
                {
                    for c in lo..=hi {
                        out.extend(variants(c).map(|v| ClassItem::Range(v, v)));
                    }
                }
                out.push(item);
            }
            Node::Class { items: out, negated }
        }
        Node::Group(inner, i) => Node::Group(Box::new(icase_node(*inner)), i),
        Node::Atomic(inner) => Node::Atomic(Box::new(icase_node(*inner))),
        Node::Concat(v) => Node::Concat(v.into_iter().map(icase_node).collect()),
        Node::Alt(v) => Node::Alt(v.into_iter().map(icase_node).collect()),
        Node::Repeat { node, min, max, greedy } => Node::Repeat { node: Box::new(icase_node(*node)), min, max, greedy },
        Node::Look { ahead, negated, node } => Node::Look { ahead, negated, node: Box::new(icase_node(*node)) },
        other => other,
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

impl Regex {
    pub fn new(pattern: &str, flags: i64) -> Result<Regex, PatternError> {
        let mut p = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
            groups: 0,
            names: HashMap::new(),
            flags,
            _src: pattern,
        };
        let root = p.alternation()?;
        if p.pos < p.chars.len() {
            return p.err("unbalanced parenthesis", p.pos);
        }
        Ok(Regex {
            root,
            groups: p.groups,
            names: p.names,
            flags: p.flags,
        })
    }

    /// The first match starting at or after `from` (at `from` only when `anchored`), ending at
    /// `text.len()` when `full`. With `not_empty_at`, an empty match at that position is
    /// refused (the rule that makes iteration advance past an empty match).
    pub fn search(
        &self,
        text: &[char],
        from: usize,
        anchored: bool,
        full: bool,
        not_empty_at: Option<usize>,
    ) -> Option<Vec<Option<(usize, usize)>>> {
        let m = Matcher { re: self, text };
        let last = if anchored { from } else { text.len() };
        for start in from..=last.min(text.len()) {
            let mut caps = vec![None; self.groups + 1];
            let mut end = None;
            let ok = m.node(&self.root, start, &mut caps, &mut |p, _| {
                if full && p != text.len() {
                    return false;
                }
                if not_empty_at == Some(start) && p == start {
                    return false;
                }
                end = Some(p);
                true
            });
            if ok {
                caps[0] = Some((start, end.unwrap_or(start)));
                return Some(caps);
            }
        }
        None
    }
}

type Caps = Vec<Option<(usize, usize)>>;

struct Matcher<'a> {
    re: &'a Regex,
    text: &'a [char],
}

impl Matcher<'_> {
    fn icase(&self) -> bool {
        self.re.flags & IGNORECASE != 0
    }

    fn class_has(&self, items: &[ClassItem], c: char) -> bool {
        items.iter().any(|it| match *it {
            ClassItem::Range(lo, hi) => {
                (lo..=hi).contains(&c)
                    || (self.icase() && {
                        let (l, u) = (fold(c), c.to_uppercase().next().unwrap_or(c));
                        (lo..=hi).contains(&l) || (lo..=hi).contains(&u)
                    })
            }
            ClassItem::Digit(yes) => c.is_numeric() == yes,
            ClassItem::Word(yes) => is_word(c) == yes,
            ClassItem::Space(yes) => c.is_whitespace() == yes,
            ClassItem::Prop(a, b, yes) => {
                let cat = crate::lang::unicodedata::category(c);
                let mut cs = cat.chars();
                (cs.next() == Some(a) && b.is_none_or(|b| cs.next() == Some(b))) == yes
            }
        })
    }

    /// Whether the single-character node `n` matches at `pos`.
    fn one(&self, n: &Node, pos: usize) -> Option<bool> {
        let c = self.text.get(pos).copied();
        Some(match n {
            Node::Char(ch) => c.is_some_and(|c| c == *ch || (self.icase() && fold(c) == fold(*ch))),
            Node::Any => c.is_some_and(|c| c != '\n' || self.re.flags & DOTALL != 0),
            Node::Class { items, negated } => {
                c.is_some_and(|c| self.class_has(items, c) != *negated)
            }
            _ => return None,
        })
    }

    fn node(
        &self,
        n: &Node,
        pos: usize,
        caps: &mut Caps,
        k: &mut dyn FnMut(usize, &mut Caps) -> bool,
    ) -> bool {
        if let Some(ok) = self.one(n, pos) {
            return ok && k(pos + 1, caps);
        }
        let len = self.text.len();
        let multi = self.re.flags & MULTILINE != 0;
        match n {
            Node::Start => (pos == 0 || (multi && self.text[pos - 1] == '\n')) && k(pos, caps),
            Node::End => {
                let at_end = pos == len
                    || (pos + 1 == len && self.text[pos] == '\n')
                    || (multi && self.text[pos] == '\n');
                at_end && k(pos, caps)
            }
            Node::StrStart => pos == 0 && k(pos, caps),
            Node::StrEnd => pos == len && k(pos, caps),
            Node::WordBoundary(yes) => {
                let before = pos > 0 && is_word(self.text[pos - 1]);
                let after = pos < len && is_word(self.text[pos]);
                ((before != after) == *yes) && k(pos, caps)
            }
            Node::Concat(items) => self.seq(items, pos, caps, k),
            Node::Alt(alts) => alts.iter().any(|a| self.node(a, pos, caps, k)),
            Node::Group(inner, index) => {
                let Some(i) = *index else {
                    return self.node(inner, pos, caps, k);
                };
                let saved = caps[i];
                let ok = self.node(inner, pos, caps, &mut |p, caps: &mut Caps| {
                    let before = caps[i];
                    caps[i] = Some((pos, p));
                    if k(p, caps) {
                        return true;
                    }
                    caps[i] = before;
                    false
                });
                if !ok {
                    caps[i] = saved;
                }
                ok
            }
            Node::Backref(i) => match caps.get(*i).copied().flatten() {
                Some((s, e)) => {
                    let l = e - s;
                    let same = pos + l <= len
                        && (0..l).all(|j| {
                            let (a, b) = (self.text[s + j], self.text[pos + j]);
                            a == b || (self.icase() && fold(a) == fold(b))
                        });
                    same && k(pos + l, caps)
                }
                None => false,
            },
            Node::Look {
                ahead,
                negated,
                node,
            } => {
                let found = if *ahead {
                    let mut probe = caps.clone();
                    let f = self.node(node, pos, &mut probe, &mut |_, _| true);
                    if f && !negated {
                        *caps = probe;
                    }
                    f
                } else {
                    (0..=pos).rev().any(|s| {
                        let mut probe = caps.clone();
                        self.node(node, s, &mut probe, &mut |p, _| p == pos)
                    })
                };
                (found != *negated) && k(pos, caps)
            }
            Node::Atomic(inner) => {
                let mut probe = caps.clone();
                let mut end = None;
                if !self.node(inner, pos, &mut probe, &mut |p, _| {
                    end = Some(p);
                    true
                }) {
                    return false;
                }
                *caps = probe;
                k(end.unwrap_or(pos), caps)
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
            } => {
                if self.one(node, pos).is_some() {
                    return self.repeat_simple(node, *min, *max, *greedy, pos, caps, k);
                }
                self.repeat(node, *min, *max, *greedy, 0, pos, usize::MAX, caps, k)
            }
            _ => false,
        }
    }

    fn seq(
        &self,
        items: &[Node],
        pos: usize,
        caps: &mut Caps,
        k: &mut dyn FnMut(usize, &mut Caps) -> bool,
    ) -> bool {
        match items {
            [] => k(pos, caps),
            [only] => self.node(only, pos, caps, k),
            [first, rest @ ..] => self.node(first, pos, caps, &mut |p, caps: &mut Caps| {
                self.seq(rest, p, caps, k)
            }),
        }
    }

    /// A repeat of one character: counted without recursion, then backtracked by count.
    #[allow(clippy::too_many_arguments)]
    fn repeat_simple(
        &self,
        n: &Node,
        min: usize,
        max: usize,
        greedy: bool,
        pos: usize,
        caps: &mut Caps,
        k: &mut dyn FnMut(usize, &mut Caps) -> bool,
    ) -> bool {
        let mut count = 0;
        if greedy {
            while count < max && self.one(n, pos + count) == Some(true) {
                count += 1;
            }
            if count < min {
                return false;
            }
            loop {
                if k(pos + count, caps) {
                    return true;
                }
                if count == min {
                    return false;
                }
                count -= 1;
            }
        } else {
            while count < min {
                if self.one(n, pos + count) != Some(true) {
                    return false;
                }
                count += 1;
            }
            loop {
                if k(pos + count, caps) {
                    return true;
                }
                if count >= max || self.one(n, pos + count) != Some(true) {
                    return false;
                }
                count += 1;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn repeat(
        &self,
        n: &Node,
        min: usize,
        max: usize,
        greedy: bool,
        count: usize,
        pos: usize,
        last: usize,
        caps: &mut Caps,
        k: &mut dyn FnMut(usize, &mut Caps) -> bool,
    ) -> bool {
        // An iteration that matched nothing ends the loop (as sre does), so `(a*)*` terminates.
        if count > min && pos == last {
            return k(pos, caps);
        }
        let more = |caps: &mut Caps, k: &mut dyn FnMut(usize, &mut Caps) -> bool| {
            count < max
                && self.node(n, pos, caps, &mut |p, caps: &mut Caps| {
                    self.repeat(n, min, max, greedy, count + 1, p, pos, caps, k)
                })
        };
        if count < min {
            return more(caps, k);
        }
        // Greedy tries one more iteration before the rest of the pattern, lazy after it.
        if greedy && more(caps, k) {
            return true;
        }
        k(pos, caps) || (!greedy && more(caps, k))
    }
}
