#!/usr/bin/env bash
# bench/publish.sh [DIR] - put the figures of a full `make bench` run (DIR, default
# bench/results) into the README: its summary.md goes between the README's bench markers, its
# charts and latest.json to bench/figures/ (committed, so the README shows them). Run it only
# after a full run on the machine the README names, then review and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-bench/results}
for f in summary.md latest.json; do
	[ -r "$DIR/$f" ] || { echo "publish: $DIR/$f missing (run make bench first)" >&2; exit 1; }
done
mkdir -p bench/figures
cp "$DIR/latest.json" bench/figures/latest.json
charts=()
for c in latency latency_clients throughput; do
	if [ -r "$DIR/$c.svg" ]; then
		cp "$DIR/$c.svg" "$DIR/$c.png" bench/figures/ 2>/dev/null || cp "$DIR/$c.svg" bench/figures/
		charts+=("$c")
	fi
done
/usr/bin/python3 - "$DIR/summary.md" "${charts[@]}" <<'EOF'
import sys
summary = open(sys.argv[1]).read()
titles = {"latency": "latency by mode", "latency_clients": "latency by client path",
          "throughput": "throughput with and without"}
imgs = "".join("![%s](bench/figures/%s.svg)\n" % (titles[c], c) for c in sys.argv[2:])
block = "<!-- bench:begin -->\n" + summary + ("\n" + imgs if imgs else "") + "<!-- bench:end -->"
text = open("README.md").read()
a, b = text.index("<!-- bench:begin -->"), text.index("<!-- bench:end -->") + len("<!-- bench:end -->")
open("README.md", "w").write(text[:a] + block + text[b:])
print("publish: README.md updated, bench/figures/ has %s" % " ".join(sys.argv[2:]))
EOF
