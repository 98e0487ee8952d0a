"""Checks a JUnit XML file against the shape CI systems read (testsuites > testsuite > testcase, with failure
or skipped children; tests/failures/errors/skipped/time on suites, name/classname/time on cases; counts that
add up) with Python's own XML parser, and prints what it read as JSON. Exits 1 with the reason otherwise."""
import json
import sys
import xml.etree.ElementTree as ElementTree


def fail(reason):
    print(json.dumps({"valid": False, "reason": reason}))
    sys.exit(1)


root = ElementTree.parse(sys.argv[1]).getroot()
if root.tag != "testsuites":
    fail(f"root is {root.tag}")
suites, totals = [], {"tests": 0, "failures": 0, "skipped": 0}
for suite in root:
    if suite.tag != "testsuite":
        fail(f"child of testsuites is {suite.tag}")
    for attribute in ("name", "tests", "failures", "errors", "skipped", "time"):
        if attribute not in suite.attrib:
            fail(f"testsuite without {attribute}")
    float(suite.attrib["time"])
    cases, failures, skipped = [], 0, 0
    for child in suite:
        if child.tag == "properties":
            if any(p.tag != "property" or "name" not in p.attrib or "value" not in p.attrib for p in child):
                fail("malformed properties")
            continue
        if child.tag != "testcase":
            fail(f"child of testsuite is {child.tag}")
        for attribute in ("name", "classname", "time"):
            if attribute not in child.attrib:
                fail(f"testcase without {attribute}")
        float(child.attrib["time"])
        outcome, message, text = "passed", None, None
        for result in child:
            if result.tag == "failure":
                outcome, message, text = "failed", result.attrib.get("message"), result.text
                failures += 1
            elif result.tag == "skipped":
                outcome, message = "skipped", result.attrib.get("message")
                skipped += 1
            else:
                fail(f"child of testcase is {result.tag}")
        cases.append({"name": child.attrib["name"], "classname": child.attrib["classname"], "outcome": outcome,
                      "message": message, "text": text})
    if int(suite.attrib["tests"]) != len(cases) or int(suite.attrib["failures"]) != failures or int(suite.attrib["skipped"]) != skipped:
        fail(f"counts of {suite.attrib['name']} do not add up")
    totals["tests"] += len(cases)
    totals["failures"] += failures
    totals["skipped"] += skipped
    suites.append({"name": suite.attrib["name"], "cases": cases})
if any(int(root.attrib.get(key, -1)) != value for key, value in totals.items()):
    fail("testsuites counts do not add up")
print(json.dumps({"valid": True, "suites": suites}, sort_keys=True))
