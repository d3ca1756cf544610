#!/bin/sh
# Install what is missing, build, then show pytt's main job on the bundled example: record
# tests/transcripts/demo/inventory.py, replay it to the end, and open the recording in the replay shell
# with a scripted session.
set -eu
cd "$(dirname "$0")"
./install-deps.sh
./build.sh >/dev/null
TRACE="$(mktemp -d)/inventory-trace"
echo "== pytt record -o $TRACE /usr/bin/python3.11 tests/transcripts/demo/inventory.py"
build/cli/pytt record -o "$TRACE" /usr/bin/python3.11 tests/transcripts/demo/inventory.py
echo
echo "== pytt replay $TRACE -a   (the same run again: same clock, same random numbers)"
build/cli/pytt replay "$TRACE" -a
echo
echo "== pytt replay $TRACE --batch -x tests/transcripts/demo/session.pytt"
build/cli/pytt replay "$TRACE" --batch -x tests/transcripts/demo/session.pytt
