# shellcheck shell=bash
# Starts the services the fleet tests need, bound to 127.0.0.1 with their data under temporary
# folders, and exports where they are:
#   PostgreSQL:  VERBATIM_TEST_DATABASE_URL (a server the tests create their own databases on)
#   S3 server:   VERBATIM_TEST_S3_ENDPOINT, VERBATIM_TEST_S3_DIR (its data folder), buckets
#                vbtest-input and vbtest-output, and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
# SOURCED by scripts/test.sh (the exports must reach cargo test), which calls
# stop_test_services from its EXIT trap. Also usable by hand:
#   source scripts/start-test-services.sh && cargo test --release ...; stop_test_services
#
# PostgreSQL: the server on 127.0.0.1:5432 if it answers and lets the `postgres` user in
# without a password (a developer's own), else a private cluster of Debian's `postgresql`
# (installed if missing) on a free port. S3: s3s-fs from crates.io (a real S3 server on a
# folder that verifies SigV4 signatures, presigned URLs and their expiry included), built
# once with `cargo install` into a cache folder outside the work tree (~3 minutes the first time).

_svc_say() { printf '==> services: %s\n' "$*" >&2; }
_svc_die() { printf 'error: services: %s\n' "$*" >&2; return 1; }

_svc_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Where the tools built for the tests live, shared by every clone on this machine.
VERBATIM_TOOLS_DIR="${VERBATIM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/verbatim/tools}"
S3S_FS_VERSION="0.14.1"   # 0.15+ needs a newer rustc than this project's

_SVC_PG_DIR=""
_SVC_PG_CTL=""
_SVC_S3_PID=""
_SVC_S3_DIR=""

stop_test_services() {
    if [[ -n "$_SVC_S3_PID" ]]; then
        kill "$_SVC_S3_PID" 2>/dev/null || true
        wait "$_SVC_S3_PID" 2>/dev/null || true
        _SVC_S3_PID=""
    fi
    if [[ -n "$_SVC_PG_DIR" ]]; then
        _svc_as_pg "$_SVC_PG_CTL" -D "$_SVC_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$_SVC_PG_DIR"
        _SVC_PG_DIR=""
    fi
    if [[ -n "$_SVC_S3_DIR" ]]; then
        rm -rf "$_SVC_S3_DIR"
        _SVC_S3_DIR=""
    fi
}

# PostgreSQL refuses to run as root: as root, its tools run as the `postgres` user.
_svc_as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_svc_start_postgres() {
    if [[ -n "${VERBATIM_TEST_DATABASE_URL:-}" ]]; then
        _svc_say "PostgreSQL: using VERBATIM_TEST_DATABASE_URL as given"
        return 0
    fi
    # VERBATIM_TEST_PRIVATE_PG=1 skips the shared server (to test this path, or to keep off it).
    if [[ "${VERBATIM_TEST_PRIVATE_PG:-}" != 1 ]] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 \
        && psql -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
        export VERBATIM_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
        _svc_say "PostgreSQL: using the server on 127.0.0.1:5432"
        return 0
    fi
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
        _svc_say "PostgreSQL: installing Debian's postgresql"
        local sudo=""
        [[ "$(id -u)" == 0 ]] || sudo="sudo"
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null \
            || { _svc_die "apt-get install postgresql failed"; return 1; }
        bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    local port
    port="$(_svc_free_port)"
    _SVC_PG_DIR="$(mktemp -d /tmp/verbatim-pg.XXXXXX)"
    _SVC_PG_CTL="$bin/pg_ctl"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$_SVC_PG_DIR"
    _svc_as_pg "$bin/initdb" -D "$_SVC_PG_DIR/data" -U postgres -A trust -E UTF8 >"$_SVC_PG_DIR/initdb.log" 2>&1 \
        || { cat "$_SVC_PG_DIR/initdb.log" >&2; _svc_die "initdb failed"; return 1; }
    # fsync off: a throwaway cluster; max_connections: every test opens its own pools.
    _svc_as_pg "$bin/pg_ctl" -D "$_SVC_PG_DIR/data" -l "$_SVC_PG_DIR/server.log" -w -t 60 \
        -o "-p $port -k $_SVC_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null \
        || { cat "$_SVC_PG_DIR/server.log" >&2; _svc_die "PostgreSQL did not start"; return 1; }
    export VERBATIM_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
    _svc_say "PostgreSQL: private cluster on 127.0.0.1:$port ($_SVC_PG_DIR)"
}

_svc_start_s3() {
    local bin="$VERBATIM_TOOLS_DIR/s3s-fs-$S3S_FS_VERSION/bin/s3s-fs"
    if [[ ! -x "$bin" ]]; then
        _svc_say "S3: cargo install s3s-fs $S3S_FS_VERSION (first time only)"
        env -u CARGO_TARGET_DIR cargo install --quiet --locked s3s-fs --version "$S3S_FS_VERSION" --features binary \
            --root "$VERBATIM_TOOLS_DIR/s3s-fs-$S3S_FS_VERSION" \
            || { _svc_die "cargo install s3s-fs failed"; return 1; }
    fi
    local port
    port="$(_svc_free_port)"
    _SVC_S3_DIR="$(mktemp -d /tmp/verbatim-s3.XXXXXX)"
    mkdir -p "$_SVC_S3_DIR/data/vbtest-input" "$_SVC_S3_DIR/data/vbtest-output"
    export AWS_ACCESS_KEY_ID="verbatimtestkey"
    export AWS_SECRET_ACCESS_KEY="verbatim-test-secret-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
    "$bin" --host 127.0.0.1 --port "$port" --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
        "$_SVC_S3_DIR/data" >"$_SVC_S3_DIR/server.log" 2>&1 &
    _SVC_S3_PID=$!
    local i
    for i in $(seq 1 100); do
        # Any HTTP answer (403 for an unsigned request) means it is up.
        if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
            break
        fi
        kill -0 "$_SVC_S3_PID" 2>/dev/null || { cat "$_SVC_S3_DIR/server.log" >&2; _svc_die "s3s-fs exited"; return 1; }
        sleep 0.1
    done
    export VERBATIM_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    export VERBATIM_TEST_S3_DIR="$_SVC_S3_DIR/data"
    _svc_say "S3: s3s-fs on $VERBATIM_TEST_S3_ENDPOINT ($VERBATIM_TEST_S3_DIR)"
}

start_test_services() {
    _svc_start_postgres || return 1
    _svc_start_s3 || return 1
}

start_test_services
