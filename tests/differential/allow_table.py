# Regenerates the "Cases" table of docs/divergences-differential.md from the replay's rows
# report, one row per op label and dtype listing the exact shapes that differ, each with the
# cause (from the doc's "Causes" list) whose op globs match the label:
#   LESSONRUN_DIFF_ROWS=/tmp/rows.tsv cargo test --profile fast --test it differential
#   python3 tests/differential/allow_table.py /tmp/rows.tsv
import collections
import os
import re
import sys

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs', 'divergences-differential.md')
HEADER = '| op | dtype | shapes | reason |\n|----|-------|--------|--------|\n'

text = open(DOC).read()
head = text[:text.index(HEADER) + len(HEADER)]
causes = collections.OrderedDict()
for line in head.splitlines():
    m = re.match(r'- \*\*(.+?)\*\* \((.+?)\): ', line)
    if m:
        causes[m.group(1)] = [g.strip().strip('`') for g in m.group(2).split(',')]


def cause_of(op):
    base = op.split('.')[0]
    for name, globs in causes.items():
        if base in globs:
            return name
    sys.exit('docs/divergences-differential.md: no cause lists the op ' + op)


sets = collections.OrderedDict()
for line in open(sys.argv[1]):
    f = line.rstrip('\n').split('\t')
    if f[0] == 'row':
        continue
    op, dt, shape, n = f[1:]
    sets.setdefault((cause_of(op), op, dt), []).append((shape, int(n)))
rows = []
for name in causes:
    for (c, op, dt), shapes in sets.items():
        if c == name:
            total = sum(n for _, n in shapes)
            cells = ', '.join('`%s`' % s for s, _ in shapes)
            rows.append('| `%s` | %s | %s | %s (%d case%s) |\n' % (op, dt, cells, name, total, '' if total == 1 else 's'))
open(DOC, 'w').write(head + ''.join(rows))
print('%d rows, %d cases' % (len(rows), sum(n for v in sets.values() for _, n in v)), file=sys.stderr)
