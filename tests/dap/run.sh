#!/bin/sh
# Run one of the DAP test files with node's test runner, installing the DebugClient from the
# lockfile first (once). Exit 77 (skipped) with the reason when node or npm is missing.
set -eu
cd "$(dirname "$0")"
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed (the DAP tests run Microsoft's DebugClient on node)"
        exit 77
    fi
done
if [ ! -d node_modules/@vscode/debugadapter-testsupport ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test --test-reporter=spec "$1"
