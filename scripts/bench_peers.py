"""Starting Strata's bench server, nginx and h2o side by side for the measurement scripts in
scripts/ (measure-tls-load, measure-idle-h2): one worker each, pinned, with the same routes
(GET /plaintext), on a TLS port or a plaintext port that also takes h2c with prior knowledge.
The peers' settings follow ../shared/bench/peers (nginx.conf.in, h2o.conf.in). Servers run in
their own process group and are stopped by PID (SIGTERM, then SIGKILL)."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STRATA = HERE.parent / "build/release/apps/strata-bench-server"
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(pid):
    """pid and its direct children (nginx: master and worker)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid] + [int(p) for p in out.split()]


def cpu_seconds(pid):
    """User + system CPU seconds of pid and its children so far."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK


def rss_bytes(pid):
    """Resident memory of pid and its children (nginx: the master's is counted once too)."""
    total = 0
    for p in tree(pid):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def wait_port(port, proc, limit=20):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def start(name, tmp, port, *, tls=None, cpus="0", cgroup=None, strata=STRATA):
    """Starts `name` (strata, nginx or h2o) with GET /plaintext on 127.0.0.1:port: over TLS when
    tls = (cert, key), else plaintext with h2c by prior knowledge. `cgroup`: a cgroup v1 folder
    the server enters before exec (all its children with it). NAME=PATH names another build of
    strata-bench-server (to compare two builds in one run). Returns the Popen."""
    tmp = Path(tmp)
    if "=" in name:
        name, strata = name.split("=", 1)
        name = "strata"
    if name == "strata":
        argv = [str(strata), "--workers", "1"]
        if tls:
            argv += ["--port", str(free_port()), "--tls-port", str(port), "--tls-cert", tls[0],
                     "--tls-key", tls[1]]
        else:
            argv += ["--port", str(port)]
    elif name == "nginx":
        prefix = tmp / "nginx"
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        listen = (f"listen 127.0.0.1:{port} ssl http2 reuseport backlog=4096;\n"
                  f"    ssl_certificate {tls[0]}; ssl_certificate_key {tls[1]};\n"
                  "    ssl_protocols TLSv1.2 TLSv1.3;" if tls else
                  f"listen 127.0.0.1:{port} http2 reuseport backlog=4096;")
        (prefix / "nginx.conf").write_text(f"""daemon off; master_process on; worker_processes 1;
worker_rlimit_nofile 20000; pid {prefix}/nginx.pid; error_log stderr warn;
events {{ worker_connections 20000; use epoll; }}
http {{ access_log off; server_tokens off; tcp_nodelay on; keepalive_timeout 300s;
  keepalive_requests 100000000; client_header_timeout 300s;
  client_body_temp_path {prefix}/b; proxy_temp_path {prefix}/p; fastcgi_temp_path {prefix}/f;
  uwsgi_temp_path {prefix}/u; scgi_temp_path {prefix}/s;
  server {{ {listen} server_name localhost;
    location = /plaintext {{ default_type text/plain; return 200 "Hello, World!"; }} }} }}
""")
        argv = ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"]
    elif name == "h2o":
        prefix = tmp / "h2o"
        prefix.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o755)  # h2o serves the file as user nobody
        (prefix / "plaintext.txt").write_text("Hello, World!")
        ssl = (f"  ssl:\n    certificate-file: {tls[0]}\n    key-file: {tls[1]}\n"
               "    minimum-version: TLSv1.2\n" if tls else "")
        (prefix / "h2o.conf").write_text(f"""listen:
  host: 127.0.0.1
  port: {port}
{ssl}num-threads: 1
max-connections: 20000
http1-request-timeout: 300
http2-idle-timeout: 300
file.etag: OFF
hosts:
  default:
    paths:
      /plaintext:
        file.file: {prefix / 'plaintext.txt'}
""")
        argv = ["h2o", "-c", str(prefix / "h2o.conf")]
    else:
        raise SystemExit(f"unknown server {name} (strata, nginx, h2o)")
    argv = ["taskset", "-c", cpus] + argv
    if cgroup:  # enter the cgroup before exec, so that every child is in it too
        argv = ["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh"] + argv
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(tmp / f"{name}.log", "ab"),
                            start_new_session=True)
    wait_port(port, proc)
    return proc


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
