#!/usr/bin/env bash
# Runs the Node SDK cross-check: installs the pinned @workos-inc/node from
# package-lock.json, builds fgakit, serves fixture.json and drives it with
# the official SDK. Prints node's test summary (# pass N / # fail N).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci --no-audit --no-fund
node --test --test-reporter=tap interop.test.mjs
