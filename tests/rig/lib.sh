# Shared parts of the rig test scripts (sourced): running the rig, dom0 hooks with
# configurations embedded, and the checks' bookkeeping. Each test sets `failed=0` through
# rig_begin and ends with rig_end NAME.

# rig_begin: a scratch folder ($work, removed on exit) and no failures yet.
rig_begin() {
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    failed=0
}

# rig_run NAME RUN.SH-ARGS...: boots the rig and runs the guests, the whole output echoed and
# kept in $work/output, the serial log in tools/rig/out/serial-NAME.log (one per test, so
# that tests can run side by side); a rig failure (not a guest's) ends the test.
rig_run() {
    local name=$1 rc
    shift
    set +e
    tools/rig/run.sh --log "tools/rig/out/serial-${name// /-}.log" "$@" | tee "$work/output"
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -gt 1 ]; then
        echo "$name: rig failure (status $rc)" >&2
        exit 1
    fi
}

# dom0_hook OUT STEPS [NAME=FILE...]: a dom0 hook in OUT: the helpers of
# tests/rig/dom0-lib.sh, each FILE written to /tmp/NAME.click, then STEPS.
dom0_hook() {
    local out=$1 steps=$2 pair
    shift 2
    {
        echo '#!/bin/bash'
        cat tests/rig/dom0-lib.sh
        for pair in "$@"; do
            echo "cat >/tmp/${pair%%=*}.click <<'CONFIG_EOF'"
            cat "${pair#*=}"
            echo "CONFIG_EOF"
        done
        cat "$steps"
    } >"$out"
}

# pass WHAT / fail WHAT: one check's verdict.
pass() { echo "ok   $1"; }
fail() {
    echo "FAIL $1"
    failed=1
}

# expect REGEX WHAT: some line of the output matches REGEX.
expect() {
    if grep -qE -- "$1" "$work/output"; then pass "$2"; else fail "$2 (no line matches /$1/)"; fi
}

# expect_results NAME...: the hook printed "result: NAME: ok" for each NAME.
expect_results() {
    local name line
    for name in "$@"; do
        line=$(grep -F "post-hook: result: $name: " "$work/output" | head -1)
        if [[ $line == *": ok"* ]]; then pass "$name${line##*: ok}"; else fail "$name: ${line:-no result}"; fi
    done
}

# rig_end NAME: the summary line; fails the script if a check failed.
rig_end() {
    if [ "$failed" = 0 ]; then
        echo "$1: all passed"
    else
        echo "$1: FAILED"
        exit 1
    fi
}
