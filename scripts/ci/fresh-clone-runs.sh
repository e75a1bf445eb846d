#!/usr/bin/env bash
# Runs the README's test command on N fresh clones of HEAD in a row and prints each run's outcome and
# wall time: the "no flaky tests" check (a suite that passes once is not yet a suite that never flakes).
# Usage: scripts/ci/fresh-clone-runs.sh [runs=5] [ref=HEAD]
set -uo pipefail
runs="${1:-5}"
ref="${2:-HEAD}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d -t syncscale-fresh-XXXXXX)"
# As root, embedded Postgres runs its binaries (inside node_modules) as the postgres user: it must traverse.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
failed=0
for i in $(seq 1 "$runs"); do
  dir="$work/run-$i"
  git clone --quiet "$repo" "$dir" && git -C "$dir" checkout --quiet "$ref"
  start=$(date +%s)
  (cd "$dir" && npm ci --silent --no-audit --no-fund >"$work/install-$i.log" 2>&1)
  installed=$(date +%s)
  (cd "$dir" && npm test >"$work/test-$i.log" 2>&1)
  code=$?
  end=$(date +%s)
  summary=$(grep -E "Tests +[0-9]" "$work/test-$i.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g' | tr -s ' ')
  echo "run $i: exit $code, npm ci $((installed - start)) s, npm test $((end - installed)) s;${summary}"
  if [ "$code" -ne 0 ]; then
    failed=$((failed + 1))
    sed 's/\x1b\[[0-9;]*m//g' "$work/test-$i.log" | grep -E "FAIL|Error" | head -20
  fi
  rm -rf "$dir"
done
echo "$((runs - failed)) of $runs fresh-clone runs passed"
[ "$failed" -eq 0 ]
