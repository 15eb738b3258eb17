#!/usr/bin/python3
"""junit_outcomes.py FILE... - one line per test case of JUnit XML files (pytest --junitxml):
CLASS::NAME<TAB>OUTCOME, OUTCOME one of pass, fail, error, skip. A file that is missing or unreadable prints FILE<TAB>unreadable, so a run
that died before writing its report differs from one that did not."""
import sys
import xml.etree.ElementTree as ET

for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        print(f"{path.rsplit('/', 1)[-1]}\tunreadable")
        continue
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "pass"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "fail", "error": "error", "skipped": "skip"}[child.tag]
                break
        print(f"{name}\t{outcome}")
