#!/usr/bin/env bash
# Quick start, step 1: install what the project needs on Debian 12 and synthesize both stacks.
#   - the real servers and validators the tests run (scripts/lab/setup.sh: Debian packages, PyPI, Maven, Go);
#   - the npm dependencies, exactly as locked;
#   - then `npm run synth`, which writes cdktf.out/stacks/{local,aws}/cdk.tf.json.
# Idempotent: a second run only re-synthesizes.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "install.sh: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "  Debian 12 ships Node 18; install Node 20+ first, e.g. from Debian 13 or your distribution's nodejs backports." >&2
  exit 1
fi

as_root bash scripts/lab/setup.sh
npm ci --no-audit --no-fund
npm run synth
