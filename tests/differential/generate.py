# Writes tests/differential/corpus.tsv: random op/shape/dtype/value cases with the bits real
# PyTorch gives for them. Run by developers with PyTorch (CONTRIBUTING.md), never by the tests:
#   /tmp/torch-venv/bin/python tests/differential/generate.py
# Every case is one Python expression over the helpers of prelude.py, so the replay
# (tests/it/differential.rs) rebuilds its inputs with lessonrun's own generator.
import os
import random
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
exec(open(os.path.join(HERE, 'prelude.py')).read())

SEED = 20261202
TARGET = 22000
# Lengths where PyTorch's vector blocks (8/16/32 lanes, 2 vectors per step) and scalar tails
# meet, and the 1024-element chunks of its cascade sums.
SIZES = list(range(1, 41)) + [63, 64, 65, 255, 256, 257, 1023, 1024, 1025]
MASK = (1 << 64) - 1


def digest(t):
    # Wrapping sum over elements of splitmix64(bits + (i+1)*golden); NaNs hash as one NaN
    # (their payload never shows in print). tests/it/differential.rs computes the same.
    a = t.detach().contiguous().numpy().reshape(-1)
    if a.dtype == np.float32:
        a = np.where(np.isnan(a), np.float32('nan'), a)
        bits = a.view(np.uint32).astype(np.uint64)
    elif a.dtype == np.float64:
        a = np.where(np.isnan(a), np.float64('nan'), a)
        bits = a.view(np.uint64)
    elif a.dtype == np.int64:
        bits = a.view(np.uint64)
    elif a.dtype == np.bool_:
        bits = a.astype(np.uint64)
    else:
        raise TypeError(a.dtype)
    with np.errstate(over='ignore'):
        i = np.arange(1, len(bits) + 1, dtype=np.uint64)
        z = bits + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        h = int(z.sum(dtype=np.uint64)) if len(z) else 0
    first = ('%x' % int(bits[0])) if len(bits) else '-'
    fin = np.abs(a[np.isfinite(a)].astype(np.float64)) if a.dtype != np.bool_ else a.astype(np.float64)
    return '%016x %s %.6g' % (h & MASK, first, float(fin.sum()) if len(fin) else 0.0)


def expected(t):
    dt = str(t.dtype).replace('torch.', '')
    shape = 'x'.join(str(s) for s in t.shape) or 's'
    return '%s %s %s' % (dt, shape, digest(t))


rng = random.Random(SEED)
seed_counter = [1000]


def nseed():
    seed_counter[0] += 1
    return seed_counter[0]


def mk_expr(shape, dt, dist, view='c'):
    shp = '(' + ','.join(str(s) for s in shape) + (',)' if len(shape) == 1 else ')')
    return "mk(%d,%s,%s,'%s','%s')" % (nseed(), shp, dt, dist, view)


def shape_label(shape, view):
    s = 'x'.join(str(x) for x in shape)
    return s if view == 'c' else s + ':' + view


def random_shape(rng, ndim=None):
    ndim = ndim or rng.choice([1, 2, 2, 2, 3])
    if ndim == 1:
        return (rng.choice(SIZES),)
    if ndim == 2:
        return (rng.randint(1, 12), rng.choice(SIZES[:45]))
    return (rng.randint(1, 4), rng.randint(1, 6), rng.choice(SIZES[:44]))


def random_view(rng, shape):
    opts = ['c', 'c', 'c', 's']
    if len(shape) == 2:
        opts += ['t', 'e']
    if len(shape) == 3:
        opts += ['e']
    return rng.choice(opts)


# (label, template over inputs {0} {1}..., input dists, differentiable)
UNARY = [
    ('neg', 'torch.neg({0})', 'n', True), ('abs', 'torch.abs({0})', 'n', True),
    ('sin', 'torch.sin({0})', 'h', True), ('cos', 'torch.cos({0})', 'h', True),
    ('tan', 'torch.tan({0})', 'h', True), ('asin', 'torch.asin({0})', 'm', True),
    ('acos', 'torch.acos({0})', 'm', True), ('atan', 'torch.atan({0})', 'w', True),
    ('sinh', 'torch.sinh({0})', 'h', True), ('cosh', 'torch.cosh({0})', 'h', True),
    ('tanh', 'torch.tanh({0})', 'h', True), ('exp', 'torch.exp({0})', 'h', True),
    ('expm1', 'torch.expm1({0})', 'h', True), ('log', 'torch.log({0})', 'p', True),
    ('log2', 'torch.log2({0})', 'p', True), ('log10', 'torch.log10({0})', 'p', True),
    ('log1p', 'torch.log1p({0})', 'p', True), ('sqrt', 'torch.sqrt({0})', 'p', True),
    ('rsqrt', 'torch.rsqrt({0})', 'p', True), ('erf', 'torch.erf({0})', 'h', True),
    ('erfc', 'torch.erfc({0})', 'h', True), ('sigmoid', 'torch.sigmoid({0})', 'w', True),
    ('relu', 'torch.relu({0})', 'n', True), ('gelu', 'F.gelu({0})', 'h', True),
    ('gelu_tanh', "F.gelu({0}, approximate='tanh')", 'h', True),
    ('silu', 'F.silu({0})', 'h', True), ('softplus', 'F.softplus({0})', 'h', True),
    ('floor', 'torch.floor({0})', 'w', False), ('ceil', 'torch.ceil({0})', 'w', False),
    ('round', 'torch.round({0})', 'w', False), ('reciprocal', 'torch.reciprocal({0})', 'w', True),
    ('square', 'torch.square({0})', 'n', True), ('sign', 'torch.sign({0})', 'n', False),
    ('trunc', 'torch.trunc({0})', 'w', False), ('leaky_relu', 'F.leaky_relu({0}, 0.01)', 'n', True),
    ('elu', 'F.elu({0})', 'n', True), ('clamp', 'torch.clamp({0}, -0.5, 0.7)', 'n', True),
]
SCALAR_POW = [2, 3, 0.5, -1, -2, 1.5, -0.5, 0.3, 4, 2.5]
BINARY = [
    ('add', 'torch.add({0}, {1})', 'nn', True), ('sub', 'torch.sub({0}, {1})', 'nn', True),
    ('mul', 'torch.mul({0}, {1})', 'nn', True), ('div', 'torch.div({0}, {1})', 'nw', True),
    ('pow.t', 'torch.pow({0}, {1})', 'pn', True), ('maximum', 'torch.maximum({0}, {1})', 'nn', False),
    ('minimum', 'torch.minimum({0}, {1})', 'nn', False), ('atan2', 'torch.atan2({0}, {1})', 'nn', True),
    ('remainder', 'torch.remainder({0}, {1})', 'wn', False),
    ('add.alpha', 'torch.add({0}, {1}, alpha=0.3)', 'nn', True),
    ('lt', 'torch.lt({0}, {1})', 'nn', False), ('eq', 'torch.eq({0}, {1})', 'kk', False),
]
SCALAR_BIN = [
    ('add.s', '{0} + 2.5'), ('mul.s', '{0} * 0.1'), ('div.s', '{0} / 3.0'), ('sub.s', '1.0 - {0}'),
    ('rdiv.s', '1.0 / {0}'), ('remainder.s', '{0} % 1.5'),
]
REDUCE = [
    ('sum', 'torch.sum({0}{d})', 'n'), ('mean', 'torch.mean({0}{d})', 'n'),
    ('std', 'torch.std({0}{d})', 'n'), ('var', 'torch.var({0}{d})', 'n'),
    ('norm', 'torch.norm({0}{dn})', 'n'), ('amax', 'torch.amax({0}{da})', 'n'),
    ('amin', 'torch.amin({0}{da})', 'n'), ('prod', 'torch.prod({0}{dp})', 'q'),
    ('logsumexp', 'torch.logsumexp({0}{da})', 'h'), ('softmax', 'torch.softmax({0}{ds})', 'h'),
    ('log_softmax', 'torch.log_softmax({0}{ds})', 'h'), ('cumsum', 'torch.cumsum({0}{ds})', 'n'),
    ('max.dim', 'torch.max({0}{ds}).values', 'n'), ('min.dim', 'torch.min({0}{ds}).values', 'n'),
    ('argmax', 'torch.argmax({0}{dp})', 'k'), ('sum.kd', 'torch.sum({0}{dk})', 'n'),
    ('mean.kd', 'torch.mean({0}{dk})', 'n'),
]
LOSSES = [
    ('mse', 'F.mse_loss({0}, {1}{r})', 'nn'), ('l1', 'F.l1_loss({0}, {1}{r})', 'nn'),
    ('smooth_l1', 'F.smooth_l1_loss({0}, {1}{r})', 'hn'), ('huber', 'F.huber_loss({0}, {1}{r}, delta=0.7)', 'hn'),
    ('bce', 'F.binary_cross_entropy({0}, {1}{r})', 'qu'),
    ('bce_logits', 'F.binary_cross_entropy_with_logits({0}, {1}{r})', 'hu'),
]


def dim_args(kind, shape, rng):
    nd = len(shape)
    dims = [None] + list(range(nd)) + [-1]
    d = rng.choice(dims)
    if kind in ('ds',):
        d = rng.choice(list(range(nd)) + [-1])
        return ', dim=%d' % d, 'd%d' % d
    if kind == 'dk':
        d = rng.choice(list(range(nd)) + [-1])
        return ', dim=%d, keepdim=True' % d, 'd%dk' % d
    if kind == 'dp':
        if d is None:
            return '', 'all'
        return ', dim=%d' % d, 'd%d' % d
    if d is None:
        return '', 'all'
    if kind == 'da':
        return ', dim=%d' % d, 'd%d' % d
    return ', dim=%d' % d, 'd%d' % d


cases = []


def add(label, dt, shape, view, expr):
    cases.append((label, dt, shape_label(shape, view), expr))


def dts(label):
    return ['f32', 'f64']


# Unary ops at every boundary length, then random shapes, views, specials and gradients.
for label, tpl, dist, diff in UNARY:
    for dt in dts(label):
        for n in SIZES:
            add(label, dt, (n,), 'c', tpl.format(mk_expr((n,), dt, dist)))
        for _ in range(10):
            shape = random_shape(rng, rng.choice([2, 3]))
            view = random_view(rng, shape)
            add(label, dt, shape, view, tpl.format(mk_expr(shape, dt, dist, view)))
        for _ in range(4):
            shape = (rng.choice(SIZES),)
            add(label + '.special', dt, shape, 'c', tpl.format(mk_expr(shape, dt, 's')))
        if diff:
            for _ in range(14):
                shape = random_shape(rng)
                view = random_view(rng, shape)
                fn = 'lambda x: ' + tpl.format('x')
                add(label + '.grad', dt, shape, view, 'gr(%s, %s, %d)' % (fn, mk_expr(shape, dt, dist, view), nseed()))

for e in SCALAR_POW:
    for dt in ['f32', 'f64']:
        for n in SIZES:
            add('pow.%s' % e, dt, (n,), 'c', 'torch.pow(%s, %s)' % (mk_expr((n,), dt, 'p' if e not in (2, 3, 4, -1, -2) else 'n'), e))
        for _ in range(8):
            shape = random_shape(rng)
            view = random_view(rng, shape)
            add('pow.%s' % e, dt, shape, view, 'torch.pow(%s, %s)' % (mk_expr(shape, dt, 'p', view), e))
        for _ in range(6):
            shape = random_shape(rng)
            add('pow.%s.grad' % e, dt, shape, 'c', 'gr(lambda x: torch.pow(x, %s), %s, %d)' % (e, mk_expr(shape, dt, 'p'), nseed()))

for label, tpl, dists, diff in BINARY:
    for dt in ['f32', 'f64']:
        for n in SIZES:
            add(label, dt, (n,), 'c', tpl.format(mk_expr((n,), dt, dists[0]), mk_expr((n,), dt, dists[1])))
        for _ in range(12):
            shape = random_shape(rng)
            view = random_view(rng, shape)
            b = shape[1:] if len(shape) > 1 and rng.random() < 0.4 else shape
            bl = shape_label(shape, view) + ('/b' if b != shape else '')
            cases.append((label, dt, bl, tpl.format(mk_expr(shape, dt, dists[0], view), mk_expr(b, dt, dists[1]))))
        if diff:
            for which in (0, 1):
                for _ in range(5):
                    shape = random_shape(rng)
                    fn = 'lambda a, b: ' + tpl.format('a', 'b')
                    add('%s.grad%d' % (label, which), dt, shape, 'c', 'gr2(%s, %s, %s, %d, %d)' % (
                        fn, mk_expr(shape, dt, dists[0]), mk_expr(shape, dt, dists[1]), nseed(), which))
for label in ['add', 'sub', 'mul', 'remainder', 'div', 'maximum']:
    tpl = dict((b[0], b[1]) for b in BINARY)[label]
    for _ in range(30):
        shape = random_shape(rng)
        add(label, 'i64', shape, 'c', tpl.format(mk_expr(shape, 'f32', 'i'), mk_expr(shape, 'f32', 'k') + ' + 1'))
for label, tpl in SCALAR_BIN:
    for dt in ['f32', 'f64']:
        for n in SIZES:
            add(label, dt, (n,), 'c', tpl.format(mk_expr((n,), dt, 'w')))
        for _ in range(6):
            shape = random_shape(rng)
            view = random_view(rng, shape)
            add(label, dt, shape, view, tpl.format(mk_expr(shape, dt, 'w', view)))

for label, tpl, dist in REDUCE:
    for dt in ['f32', 'f64']:
        for n in SIZES:
            if '{ds}' in tpl or '{dk}' in tpl:
                d = ', dim=0' + (', keepdim=True' if '{dk}' in tpl else '')
            else:
                d = ''
            expr = tpl.replace('{d}', d).replace('{dn}', d).replace('{da}', d).replace('{dp}', d).replace('{ds}', d).replace('{dk}', d)
            add(label + ('.all' if not d else '.d0'), dt, (n,), 'c', expr.format(mk_expr((n,), dt, dist)))
        for _ in range(40):
            shape = random_shape(rng, rng.choice([2, 2, 3]))
            view = random_view(rng, shape)
            key = [k for k in ('d', 'dn', 'da', 'dp', 'ds', 'dk') if '{%s}' % k in tpl][0]
            arg, dl = dim_args(key, shape, rng)
            expr = tpl.replace('{%s}' % key, arg)
            add(label + '.' + dl, dt, shape, view, expr.format(mk_expr(shape, dt, dist, view)))
        if label in ('sum', 'mean', 'std', 'var', 'norm', 'logsumexp', 'softmax', 'log_softmax', 'prod', 'cumsum', 'amax'):
            for _ in range(10):
                shape = random_shape(rng, rng.choice([1, 2]))
                key = [k for k in ('d', 'dn', 'da', 'dp', 'ds', 'dk') if '{%s}' % k in tpl][0]
                arg, dl = dim_args(key, shape, rng)
                expr = tpl.replace('{%s}' % key, arg)
                add(label + '.' + dl + '.grad', dt, shape, 'c', 'gr(lambda x: %s, %s, %d)' % (expr.format('x'), mk_expr(shape, dt, dist), nseed()))
# Sums past 32768 elements, which PyTorch splits across its threads.
for n in [4096, 8192, 16384, 32767, 32768, 32769, 40000, 65536, 100000]:
    for dt in ['f32', 'f64']:
        for label in ['sum', 'mean']:
            add(label + '.all', dt, (n,), 'c', 'torch.%s(%s)' % (label, mk_expr((n,), dt, 'n')))

# Matrix products: every small shape family tutorials use, then random ones.
MM_SHAPES = [(2000, 3, 1), (64, 784, 10), (1, 3, 1), (1, 1, 1), (5, 3, 2), (8, 10, 4), (4, 5, 6), (100, 1, 1), (2, 16, 16),
             (3, 64, 10), (1, 100, 1), (10, 10, 10), (32, 32, 32), (7, 33, 9), (16, 17, 18)]
for dt in ['f32', 'f64']:
    for i in range(140):
        n, k, m = MM_SHAPES[i] if i < len(MM_SHAPES) else (rng.randint(1, 40), rng.choice(SIZES[:44]), rng.randint(1, 40))
        a, b = mk_expr((n, k), dt, 'n'), mk_expr((k, m), dt, 'n')
        add('mm', dt, (n, k, m), 'c', 'torch.mm(%s, %s)' % (a, b))
    for i in range(60):
        n, k, m = rng.randint(1, 20), rng.randint(1, 40), rng.randint(1, 20)
        add('addmm', dt, (n, k, m), 'c', 'torch.addmm(%s, %s, %s)' % (mk_expr((m,), dt, 'n'), mk_expr((n, k), dt, 'n'), mk_expr((k, m), dt, 'n')))
        add('matmul.mv', dt, (k, m), 'c', 'torch.matmul(%s, %s)' % (mk_expr((k,), dt, 'n'), mk_expr((k, m), dt, 'n')))
        add('matmul.mv2', dt, (n, k), 'c', 'torch.matmul(%s, %s)' % (mk_expr((n, k), dt, 'n'), mk_expr((k,), dt, 'n')))
        add('mm.t', dt, (n, k, m), 't', 'torch.mm(%s, %s)' % (mk_expr((n, k), dt, 'n', 't'), mk_expr((k, m), dt, 'n')))
        bb = rng.randint(1, 4)
        add('bmm', dt, (bb, n, k, m), 'c', 'torch.bmm(%s, %s)' % (mk_expr((bb, n, k), dt, 'n'), mk_expr((bb, k, m), dt, 'n')))
        add('linear', dt, (n, k, m), 'c', 'F.linear(%s, %s, %s)' % (mk_expr((n, k), dt, 'n'), mk_expr((m, k), dt, 'n'), mk_expr((m,), dt, 'n')))
    for i in range(40):
        n, k, m = rng.randint(1, 20), rng.randint(1, 40), rng.randint(1, 20)
        for which in (0, 1):
            add('mm.grad%d' % which, dt, (n, k, m), 'c', 'gr2(lambda a, b: torch.mm(a, b), %s, %s, %d, %d)' % (
                mk_expr((n, k), dt, 'n'), mk_expr((k, m), dt, 'n'), nseed(), which))
        add('linear.grad', dt, (n, k, m), 'c', 'gr(lambda x: F.linear(x, %s, %s), %s, %d)' % (
            mk_expr((m, k), dt, 'n'), mk_expr((m,), dt, 'n'), mk_expr((n, k), dt, 'n'), nseed()))

for label, tpl, dists in LOSSES:
    for dt in ['f32', 'f64']:
        for red in ['mean', 'sum', 'none']:
            r = '' if red == 'mean' else ", reduction='%s'" % red
            for i in range(30):
                shape = (SIZES[i],) if i < 20 else random_shape(rng)
                add('%s.%s' % (label, red), dt, shape, 'c', tpl.replace('{r}', r).format(mk_expr(shape, dt, dists[0]), mk_expr(shape, dt, dists[1])))
        for i in range(20):
            shape = random_shape(rng)
            add('%s.grad' % label, dt, shape, 'c', 'gr(lambda x: %s, %s, %d)' % (
                tpl.replace('{r}', '').format('x', mk_expr(shape, dt, dists[1])), mk_expr(shape, dt, dists[0]), nseed()))
for dt in ['f32', 'f64']:
    for red in ['mean', 'sum', 'none']:
        r = '' if red == 'mean' else ", reduction='%s'" % red
        for i in range(40):
            n, c = rng.randint(1, 64), rng.choice([2, 3, 5, 10, 16, 17, 33])
            tgt = 'torch.randint(0, %d, (%d,))' % (c, n)
            add('cross_entropy.%s' % red, dt, (n, c), 'c', 'F.cross_entropy(%s, (torch.manual_seed(%d), %s)[1]%s)' % (mk_expr((n, c), dt, 'h'), nseed(), tgt, r))
            add('nll.%s' % red, dt, (n, c), 'c', 'F.nll_loss(torch.log_softmax(%s, dim=1), (torch.manual_seed(%d), %s)[1]%s)' % (mk_expr((n, c), dt, 'h'), nseed(), tgt, r))
    for i in range(30):
        n, c = rng.randint(1, 64), rng.choice([2, 3, 5, 10, 16, 17, 33])
        tgt = 'torch.randint(0, %d, (%d,))' % (c, n)
        add('cross_entropy.grad', dt, (n, c), 'c', 'gr(lambda x: F.cross_entropy(x, (torch.manual_seed(%d), %s)[1]), %s, %d)' % (nseed(), tgt, mk_expr((n, c), dt, 'h'), nseed()))

# Random mixes up to TARGET: any unary, scalar-pow or binary op on a random shape and view.
ALL_UNARY = [(u[0], u[1], u[2]) for u in UNARY]
while len(cases) < TARGET:
    dt = rng.choice(['f32', 'f32', 'f64'])
    kind = rng.random()
    shape = random_shape(rng)
    view = random_view(rng, shape)
    if kind < 0.6:
        label, tpl, dist = rng.choice(ALL_UNARY)
        add(label, dt, shape, view, tpl.format(mk_expr(shape, dt, dist, view)))
    elif kind < 0.75:
        e = rng.choice(SCALAR_POW)
        add('pow.%s' % e, dt, shape, view, 'torch.pow(%s, %s)' % (mk_expr(shape, dt, 'p', view), e))
    else:
        label, tpl, dists, _ = rng.choice(BINARY)
        add(label, dt, shape, view, tpl.format(mk_expr(shape, dt, dists[0], view), mk_expr(shape, dt, dists[1])))

out = []
dropped = 0
for label, dt, shape, expr in cases:
    try:
        r = eval(expr)
    except Exception as e:  # PyTorch refuses the case: nothing to compare
        dropped += 1
        continue
    out.append('%s\t%s\t%s\t%s\t%s\n' % (label, dt, shape, expr, expected(r)))
with open(os.path.join(HERE, 'corpus.tsv'), 'w') as f:
    f.write('# op\tdtype\tshape\texpression (over prelude.py)\texpected: dtype shape digest first-bits sum|x|\n')
    f.writelines(out)
print('%d cases written, %d refused by PyTorch' % (len(out), dropped), file=sys.stderr)
