"""Sums the results of every suite under a results folder (xunit .trx files, ctest JUnit .xml files) into one line:
'N passed, N failed, N skipped'. A suite that produced no result file counts as one failure, so a crashed runner
cannot look green."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

results = sys.argv[1]
passed = failed = skipped = 0

trx_files = glob.glob(os.path.join(results, "xunit", "**", "*.trx"), recursive=True)
if not trx_files:
    failed += 1
    print("no xunit results found", file=sys.stderr)
for path in trx_files:
    ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    total = int(counters.get("total", 0))
    p = int(counters.get("passed", 0))
    f = int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    s = total - p - f
    passed, failed, skipped = passed + p, failed + f, skipped + max(s, 0)

for name in ("ctest.xml", "ctest-sanitize.xml"):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        failed += 1
        print(f"no results for {name}", file=sys.stderr)
        continue
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        for case in suite.findall("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
                skipped += 1
            else:
                passed += 1

print(f"{passed} passed, {failed} failed, {skipped} skipped")
