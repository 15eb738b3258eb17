#!/usr/bin/python3
"""rspec_outcomes.py FILE - one line per example of an RSpec JSON report (rspec --format json):
ID<TAB>OUTCOME, ID the example's id (file and index, stable across runs) and its full
description, OUTCOME one of pass, fail, pending. A missing or unreadable report prints
FILE<TAB>unreadable, so a run that died before writing it differs from one that did not."""
import json
import sys

path = sys.argv[1]
try:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
except (OSError, ValueError):
    print(f"{path.rsplit('/', 1)[-1]}\tunreadable")
    sys.exit(0)
names = {"passed": "pass", "failed": "fail", "pending": "pending"}
for ex in report.get("examples", []):
    name = f"{ex.get('id', '')} {ex.get('full_description', '')}".replace("\t", " ").replace("\n", " ")
    print(f"{name}\t{names.get(ex.get('status'), ex.get('status'))}")
