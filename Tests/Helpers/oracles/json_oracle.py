"""JSON oracle for the tests: reads one JSON text per line of FILE with Python's json module (strict:
NaN/Infinity refused) and writes each back as ASCII-only JSON, so our parser also meets \\u escapes and
surrogate pairs it did not write itself."""
import json
import sys


def refuse(constant):
    raise ValueError(f"non-standard constant {constant}")


with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        value = json.loads(line, parse_constant=refuse)
        print(json.dumps(value, sort_keys=True, ensure_ascii=True))
