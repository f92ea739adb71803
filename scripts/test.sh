#!/usr/bin/env bash
# The whole test suite, as root: unit tests of every crate, the privileged
# integration tests (real daemons with temporary roots) and the docker CLI
# compatibility suite (tests/docker_cli.rs, tests/volumes.rs, tests/mounts.rs).
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh cli_run    # extra args go to `cargo test` (a filter, say)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "error: the test suite needs root (namespaces, mounts, cgroups)" >&2
    exit 1
fi

bash scripts/setup.sh

# A debug build keeps CI inside its budget; tests spawn the binary cargo builds.
export CARGO_TERM_COLOR=never
export RUST_BACKTRACE=1
# Two cores: more threads only make daemons fight over them and time out.
export RUST_TEST_THREADS=${RUST_TEST_THREADS:-2}

echo "== cargo build"
cargo build --workspace --all-targets

echo "== cargo test"
log=$(mktemp /tmp/wharf-test-log.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?

# Last, alone: a real Docker engine beside wharf's firewall. It changes the
# host's FORWARD policy while it runs, so nothing else may run then.
if [ $# -eq 0 ]; then
    echo "== firewall beside a Docker engine"
    WHARF_TEST_DOCKERD=1 cargo test -p wharf-network --test firewall coexists 2>&1 | tee -a "$log" || status=$?
fi

echo
echo "== summary"
grep -E '^(test result:|     Running|error: test failed)' "$log" | sed 's/^     //' || true
results=$(grep -E '^test result:' "$log" || true)
passed=$(grep -Eo '[0-9]+ passed' <<<"$results" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' <<<"$results" | awk '{s+=$1} END {print s+0}')
echo "total: $passed passed, $failed failed"
exit $status
