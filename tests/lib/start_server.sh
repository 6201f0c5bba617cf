# Sourced by the integration scripts: starts a Strata server on a port the kernel picks and
# waits for it to say where it listens, so no test races a fixed or random port.
#
#   . tests/lib/start_server.sh
#   start_server "$tmp/server.out" "$server_bin" --workers 1   # sets server_pid and port
#   stop_server                                                 # kill by PID, reap
#
# The server is started with `--port 0` and must print "listening on 127.0.0.1:PORT". The wait
# is bounded by STRATA_START_TIMEOUT seconds (default 60: sanitizer builds start slowly on a
# loaded 2-core machine) and ends at once if the server exits.
server_pid=
port=

start_server() {  # start_server OUTFILE BINARY [ARGS...]
  local out=$1
  shift
  "$@" --port 0 >"$out" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + ${STRATA_START_TIMEOUT:-60}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out" | head -n 1)
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: the server printed no port: $(cat "$out")" >&2
  return 1
}

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
