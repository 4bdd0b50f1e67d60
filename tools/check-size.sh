#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The size rule of the source tree: no file over 600 lines and no function
# body over 80 lines in src/ (tests, fuzzers, benchmarks and test helpers
# aside). Prints one line per offender and exits 1 if there is any.
#
# Usage: tools/check-size.sh [DIR-OR-FILE...]   (default: src/ of this tree)
#
# A function is a definition that starts in column 0 (systemd style) and
# whose brace closes with a "}" in column 0; its body is the lines strictly
# between the line holding the opening "{" and that "}".
set -eu

FILE_MAX=${FILE_MAX:-600}
FUNCTION_MAX=${FUNCTION_MAX:-80}

if [ $# -eq 0 ]; then
        cd "$(dirname "$0")/.."
        set -- src
fi

find "$@" -type f \( -name '*.c' -o -name '*.h' \) \
        ! -name 'test-*' ! -name 'fuzz-*' ! -name 'bench-*' ! -name '*-test-util.*' -print |
LC_ALL=C sort |
python3 -c '
import re, sys

file_max, function_max = int(sys.argv[1]), int(sys.argv[2])
offenders = 0

def check(path):
    global offenders
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > file_max:
        print(f"{path}: {len(lines)} lines (file limit {file_max})")
        offenders += 1
    signature, name, start = None, None, None
    for n, line in enumerate(lines, 1):
        if start is not None:
            if line.startswith("}"):
                body = n - start - 1
                if body > function_max:
                    print(f"{path}:{start}: {name}() has {body} lines (function limit {function_max})")
                    offenders += 1
                start = None
            continue
        if signature is None:
            if not line or line[0] in " \t#}/*" or line.rstrip().endswith(";"):
                continue
            head = line.split("=")[0]
            if "(" not in head or head.startswith(("typedef", "struct", "enum", "union")):
                continue
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", head)
            signature, name = n, m.group(1) if m else "?"
        if line.rstrip().endswith(";"):
            signature = None
        elif line.rstrip().endswith("{"):
            start, signature = n, None

for path in sys.stdin.read().split("\n"):
    if path:
        check(path)
sys.exit(1 if offenders else 0)
' "$FILE_MAX" "$FUNCTION_MAX"
