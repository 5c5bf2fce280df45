#!/usr/bin/env python3
"""Move a policy's program-wide public_notice onto each of its measures but
the ones named: a policy (stdin) in, the policy out, for tests that need a
measure paid without a notice beside measures with one."""
import re
import sys

skip = set(sys.argv[1:])
text = sys.stdin.read()
top = re.search(r'^public_notice:[^\n]*\n((?:  [^\n]*\n)+)', text, re.M)
if not top:
    sys.exit('notice_per_measure: the policy has no program-wide public_notice')
block = '    public_notice:\n' + ''.join('    ' + line + '\n' for line in top.group(1).splitlines())
text = text[:top.start()] + text[top.end():]
head, sep, measures = text.partition('\nmeasures:\n')
if not sep:
    sys.exit('notice_per_measure: the policy has no measures')


def put(m):
    return m.group(0) if m.group(1) in skip else m.group(0) + block


measures = re.sub(r'^  - id: (\S+)\n', put, measures, flags=re.M)
sys.stdout.write(head + sep + measures)
