//! io-driver-bench (tokio half): loopback TCP workloads that exercise the I/O driver.
//!
//! README.md specifies every workload precisely; `io_driver_bench.cpp` is the Strata program
//! that implements the same workloads one for one. Both sides of every connection are tasks of
//! the one runtime under test. Timing: `std::time::Instant` (CLOCK_MONOTONIC).

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::Semaphore;

const MSG: usize = 64; // bytes per request and per response
const SAMPLE_DEADLINE: Duration = Duration::from_secs(60);

const ALL_BENCHES: &[&str] = &["tcp_ping_pong", "accept_storm"];

// ---------------------------------------------------------------------------
// Clock, affinity, environment
// ---------------------------------------------------------------------------

static BASE: OnceLock<Instant> = OnceLock::new();

fn now_ns() -> u64 {
    BASE.get().expect("BASE set in main").elapsed().as_nanos() as u64
}

fn pin_current_thread(cpu: usize) {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            panic!("sched_setaffinity(cpu {cpu}): {}", std::io::Error::last_os_error());
        }
    }
}

fn current_affinity() -> Vec<usize> {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return vec![];
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
    }
}

fn cpu_list(v: &[usize]) -> String {
    v.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
}

fn uname() -> String {
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "unknown".into();
        }
        let f = |a: &[libc::c_char]| std::ffi::CStr::from_ptr(a.as_ptr()).to_string_lossy().into_owned();
        format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|x| x.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Cross-CPU cache-line round trip (ns), the placement probe of shared/bench/tokio-rt: two
/// threads pinned to `a` and `b` bounce one atomic; value = elapsed / round trips.
fn c2c_roundtrip(a: usize, b: usize, round_trips: u64) -> f64 {
    #[repr(align(128))]
    struct Line(AtomicU64);
    let line = Arc::new(Line(AtomicU64::new(0)));
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let (l2, b2) = (line.clone(), barrier.clone());
    let echo = std::thread::spawn(move || {
        pin_current_thread(b);
        b2.wait();
        for i in 0..round_trips {
            while l2.0.load(Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            l2.0.store(2 * i + 2, Release);
        }
    });
    let timer = std::thread::spawn(move || {
        pin_current_thread(a);
        barrier.wait();
        let t0 = Instant::now();
        for i in 0..round_trips {
            line.0.store(2 * i + 1, Release);
            while line.0.load(Acquire) != 2 * i + 2 {
                std::hint::spin_loop();
            }
        }
        t0.elapsed().as_nanos() as f64 / round_trips as f64
    });
    echo.join().unwrap();
    timer.join().unwrap()
}

/// Worker threads' CPU time, to see how a runtime spreads the work: (tid, ns on CPU) of every
/// thread of this process whose name starts with `prefix`, from /proc/self/task/*/schedstat.
fn worker_cpu(prefix: &str) -> Vec<(u64, u64)> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/proc/self/task") {
        for e in rd.flatten() {
            let p = e.path();
            let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
            if !comm.trim_end().starts_with(prefix) {
                continue;
            }
            let tid: u64 = e.file_name().to_string_lossy().parse().unwrap_or(0);
            let ns = std::fs::read_to_string(p.join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
                .unwrap_or(0);
            v.push((tid, ns));
        }
    }
    v
}

/// Between two worker_cpu() readings `wall_ns` apart: (the busiest worker's share of the
/// workers' CPU time in %, the workers' CPU time / wall time in CPUs).
fn cpu_spread(a: &[(u64, u64)], b: &[(u64, u64)], wall_ns: u64) -> (f64, f64) {
    let (mut total, mut max) = (0u64, 0u64);
    for &(tid, ns) in b {
        let before = a.iter().find(|x| x.0 == tid).map(|x| x.1).unwrap_or(0);
        let d = ns.saturating_sub(before);
        total += d;
        max = max.max(d);
    }
    let share = if total > 0 { 100.0 * max as f64 / total as f64 } else { 0.0 };
    (share, total as f64 / wall_ns.max(1) as f64)
}

/// CPU time (user + system, ns) of the whole process: per-operation CPU cost is the number that
/// survives other load on a shared machine best.
fn process_cpu_ns() -> u64 {
    unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut u) != 0 {
            return 0;
        }
        let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
        (us(u.ru_utime) + us(u.ru_stime)) * 1000
    }
}

/// tokio 1.24 names its worker threads "tokio-runtime-worker" (the kernel keeps 15 bytes).
const WORKER_THREAD_PREFIX: &str = "tokio-runtime-w";

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

struct Opts {
    workers: usize,
    current_thread: bool,
    worker_cpus: Option<Vec<usize>>,
    reps: usize,
    warmup: usize,
    only: Option<Vec<String>>,
    json: Option<String>,
    label: Option<String>,
    quiet: bool,
    pairs: usize,
    round_trips: usize,
    sample_every: usize,
    conns: usize,
    storm_clients: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage: io-driver-bench [--workers N | --current-thread] [options]

runtime:
  --workers N          multi-thread runtime with N worker threads (default 1)
  --current-thread     current_thread runtime (the main thread drives it)
  --worker-cpus LIST   pin worker thread k to LIST[k % len] (current-thread: the main thread)
measurement:
  --reps N             measured samples per benchmark (default 5)
  --warmup N           discarded samples before them (default 1)
  --only A,B           run only these benchmarks (default: all)
workloads:
  --pairs P            tcp_ping_pong: connection pairs (default 64)
  --round-trips M      tcp_ping_pong: 64-byte round trips per pair (default 2000)
  --sample-every K     tcp_ping_pong: time every K-th round trip (default 16)
  --conns C            accept_storm: connections (default 2000)
  --storm-clients K    accept_storm: concurrent connecting tasks (default 64)
output:
  --json FILE          write machine-readable results
  --label NAME         config label (default mt-wN or ct)
  --quiet              no progress lines on stderr

benchmarks: {}",
        ALL_BENCHES.join(", ")
    );
    std::process::exit(2)
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        workers: 1,
        current_thread: false,
        worker_cpus: None,
        reps: 5,
        warmup: 1,
        only: None,
        json: None,
        label: None,
        quiet: false,
        pairs: 64,
        round_trips: 2000,
        sample_every: 16,
        conns: 2000,
        storm_clients: 64,
    };
    let mut args = std::env::args().skip(1);
    fn val<T: std::str::FromStr>(flag: &str, v: Option<String>) -> T {
        match v.as_deref().map(str::parse::<T>) {
            Some(Ok(x)) => x,
            _ => {
                eprintln!("bad or missing value for {flag}");
                usage()
            }
        }
    }
    fn positive(flag: &str, v: usize) -> usize {
        if v == 0 {
            eprintln!("{flag} must be at least 1");
            usage()
        }
        v
    }
    while let Some(a) = args.next() {
        match a.as_str() {
            "--workers" => o.workers = positive(&a, val(&a, args.next())),
            "--current-thread" => o.current_thread = true,
            "--worker-cpus" => {
                let s: String = val(&a, args.next());
                let v: Result<Vec<usize>, _> = s.split(',').map(|x| x.trim().parse::<usize>()).collect();
                match v {
                    Ok(v) if !v.is_empty() => o.worker_cpus = Some(v),
                    _ => {
                        eprintln!("bad --worker-cpus {s}");
                        usage()
                    }
                }
            }
            "--reps" => o.reps = positive(&a, val(&a, args.next())),
            "--warmup" => o.warmup = val(&a, args.next()),
            "--only" => {
                let s: String = val(&a, args.next());
                let v: Vec<String> = s.split(',').map(|x| x.trim().to_string()).collect();
                for b in &v {
                    if !ALL_BENCHES.contains(&b.as_str()) {
                        eprintln!("unknown benchmark {b}");
                        usage()
                    }
                }
                o.only = Some(v);
            }
            "--json" => o.json = Some(val(&a, args.next())),
            "--label" => o.label = Some(val(&a, args.next())),
            "--quiet" => o.quiet = true,
            "--pairs" => o.pairs = positive(&a, val(&a, args.next())),
            "--round-trips" => o.round_trips = positive(&a, val(&a, args.next())),
            "--sample-every" => o.sample_every = positive(&a, val(&a, args.next())),
            "--conns" => o.conns = positive(&a, val(&a, args.next())),
            "--storm-clients" => o.storm_clients = positive(&a, val(&a, args.next())),
            "-h" | "--help" => usage(),
            _ => {
                eprintln!("unknown argument {a}");
                usage()
            }
        }
    }
    o
}

impl Opts {
    fn selected(&self, b: &str) -> bool {
        self.only.as_ref().is_none_or(|v| v.iter().any(|x| x == b))
    }
    fn runtime_name(&self) -> &'static str {
        if self.current_thread {
            "current_thread"
        } else {
            "multi_thread"
        }
    }
    fn label(&self) -> String {
        self.label.clone().unwrap_or_else(|| {
            if self.current_thread {
                "ct".into()
            } else {
                format!("mt-w{}", self.workers)
            }
        })
    }
}

fn build_runtime(o: &Opts) -> Runtime {
    let mut b = if o.current_thread {
        if let Some(cpus) = &o.worker_cpus {
            pin_current_thread(cpus[0]);
        }
        Builder::new_current_thread()
    } else {
        let mut b = Builder::new_multi_thread();
        b.worker_threads(o.workers);
        if let Some(cpus) = o.worker_cpus.clone() {
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            b.on_thread_start(move || {
                let k = next.fetch_add(1, Relaxed);
                pin_current_thread(cpus[k % cpus.len()]);
            });
        }
        b
    };
    b.enable_all().build().expect("build runtime")
}

// ---------------------------------------------------------------------------
// Watchdog: a sample that takes longer than SAMPLE_DEADLINE is a hang (a lost wake-up or a
// stuck connection); the process then exits with status 1 instead of blocking the bench lock.
// ---------------------------------------------------------------------------

static DEADLINE_NS: AtomicU64 = AtomicU64::new(u64::MAX);

fn arm_deadline() {
    DEADLINE_NS.store(now_ns() + SAMPLE_DEADLINE.as_nanos() as u64, Relaxed);
}

fn start_watchdog() {
    let watchdog = move || loop {
        std::thread::sleep(Duration::from_millis(250));
        if now_ns() > DEADLINE_NS.load(Relaxed) {
            eprintln!("io-driver-bench: a sample took longer than {SAMPLE_DEADLINE:?}: hang");
            std::process::exit(1);
        }
    };
    std::thread::Builder::new().name("watchdog".into()).spawn(watchdog).expect("watchdog thread");
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("io-driver-bench: {what}: {e}");
    std::process::exit(1)
}

// ---------------------------------------------------------------------------
// Messages: 8 bytes sequence number, 8 bytes sender id, then a pattern derived from both, so a
// reply that is stale, reordered, cross-connection or corrupted never compares equal.
// ---------------------------------------------------------------------------

fn fill_message(buf: &mut [u8; MSG], id: u64, seq: u64) {
    buf[0..8].copy_from_slice(&seq.to_le_bytes());
    buf[8..16].copy_from_slice(&id.to_le_bytes());
    for (j, b) in buf.iter_mut().enumerate().skip(16) {
        *b = (seq.wrapping_mul(31).wrapping_add(id.wrapping_mul(7)).wrapping_add(j as u64)) as u8;
    }
}

/// Reads one 64-byte message, or None at a clean end of stream before its first byte.
async fn read_message(s: &mut TcpStream, buf: &mut [u8; MSG]) -> std::io::Result<Option<()>> {
    let n = s.read(&mut buf[..]).await?;
    if n == 0 {
        return Ok(None);
    }
    if n < MSG {
        s.read_exact(&mut buf[n..]).await?;
    }
    Ok(Some(()))
}

/// Server side of one connection: echoes 64-byte messages until the peer closes. Returns the
/// number of messages echoed.
async fn echo(mut s: TcpStream) -> u64 {
    let mut buf = [0u8; MSG];
    let mut n = 0u64;
    loop {
        match read_message(&mut s, &mut buf).await {
            Ok(Some(())) => {}
            Ok(None) => return n,
            Err(e) => fail("echo read", e),
        }
        if let Err(e) = s.write_all(&buf).await {
            fail("echo write", e)
        }
        n += 1;
    }
}

async fn round_trip(s: &mut TcpStream, msg: &[u8; MSG], reply: &mut [u8; MSG]) {
    if let Err(e) = s.write_all(msg).await {
        fail("client write", e)
    }
    if let Err(e) = s.read_exact(&mut reply[..]).await {
        fail("client read", e)
    }
    if reply != msg {
        fail("client", "echo differs from the request")
    }
}

// ---------------------------------------------------------------------------
// tcp_ping_pong
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct PingPongCfg {
    pairs: usize,
    round_trips: usize,
    sample_every: usize,
}

/// One sample: P pairs, each M timed round trips after one untimed warm-up round trip.
/// Returns (round trips per second, sampled round-trip times in ns).
async fn ping_pong_sample(cfg: PingPongCfg) -> (f64, Vec<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| fail("bind", e));
    let addr = listener.local_addr().unwrap_or_else(|e| fail("local_addr", e));
    let pairs = cfg.pairs;
    let acceptor = tokio::spawn(async move {
        let mut echoes = Vec::with_capacity(pairs);
        for _ in 0..pairs {
            let (s, _) = listener.accept().await.unwrap_or_else(|e| fail("accept", e));
            s.set_nodelay(true).unwrap_or_else(|e| fail("set_nodelay", e));
            echoes.push(tokio::spawn(echo(s)));
        }
        let mut total = 0u64;
        for h in echoes {
            total += h.await.unwrap_or_else(|e| fail("echo task", e));
        }
        total
    });
    let ready = Arc::new(Semaphore::new(0));
    let go = Arc::new(Semaphore::new(0));
    let mut clients = Vec::with_capacity(pairs);
    for id in 0..pairs {
        let (ready, go) = (ready.clone(), go.clone());
        clients.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap_or_else(|e| fail("connect", e));
            s.set_nodelay(true).unwrap_or_else(|e| fail("set_nodelay", e));
            let mut msg = [0u8; MSG];
            let mut reply = [0u8; MSG];
            fill_message(&mut msg, id as u64, u64::MAX);
            round_trip(&mut s, &msg, &mut reply).await; // warm-up, untimed
            ready.add_permits(1);
            let _go = go.acquire().await.unwrap_or_else(|e| fail("go", e));
            let mut rtt = Vec::with_capacity(cfg.round_trips / cfg.sample_every + 1);
            for i in 0..cfg.round_trips {
                fill_message(&mut msg, id as u64, i as u64);
                if i % cfg.sample_every == 0 {
                    let t = Instant::now();
                    round_trip(&mut s, &msg, &mut reply).await;
                    rtt.push(t.elapsed().as_nanos() as u64);
                } else {
                    round_trip(&mut s, &msg, &mut reply).await;
                }
            }
            rtt // dropping the stream closes it: the echo task sees end of stream
        }));
    }
    let all_ready = ready.acquire_many(pairs as u32).await.unwrap_or_else(|e| fail("ready", e));
    all_ready.forget();
    let t0 = Instant::now();
    go.add_permits(pairs);
    let mut rtt = Vec::with_capacity(pairs * (cfg.round_trips / cfg.sample_every + 1));
    for c in clients {
        rtt.extend(c.await.unwrap_or_else(|e| fail("client task", e)));
    }
    let elapsed = t0.elapsed();
    let echoed = acceptor.await.unwrap_or_else(|e| fail("acceptor task", e));
    let expected = (pairs * (cfg.round_trips + 1)) as u64;
    if echoed != expected {
        fail("tcp_ping_pong", format!("server echoed {echoed} messages, expected {expected}"));
    }
    ((pairs * cfg.round_trips) as f64 / elapsed.as_secs_f64(), rtt)
}

// ---------------------------------------------------------------------------
// accept_storm
// ---------------------------------------------------------------------------

/// Server side of one storm connection: one message echoed, then the server closes.
async fn storm_handler(mut s: TcpStream) -> bool {
    let mut buf = [0u8; MSG];
    match read_message(&mut s, &mut buf).await {
        Ok(Some(())) => {}
        Ok(None) => fail("storm handler", "end of stream before the message"),
        Err(e) => fail("storm handler read", e),
    }
    if let Err(e) = s.write_all(&buf).await {
        fail("storm handler write", e)
    }
    true
}

/// One sample: C connections from K concurrent client tasks (client k opens connections
/// k, k+K, k+2K, ... one after another). Returns connections per second.
async fn accept_storm_sample(conns: usize, clients_n: usize) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| fail("bind", e));
    let addr = listener.local_addr().unwrap_or_else(|e| fail("local_addr", e));
    let t0 = Instant::now();
    let acceptor = tokio::spawn(async move {
        let mut handlers = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (s, _) = listener.accept().await.unwrap_or_else(|e| fail("accept", e));
            handlers.push(tokio::spawn(storm_handler(s)));
        }
        let mut served = 0usize;
        for h in handlers {
            served += h.await.unwrap_or_else(|e| fail("storm handler task", e)) as usize;
        }
        served
    });
    let mut clients = Vec::with_capacity(clients_n);
    for k in 0..clients_n.min(conns) {
        clients.push(tokio::spawn(async move {
            let mut done = 0usize;
            let mut msg = [0u8; MSG];
            let mut reply = [0u8; MSG];
            for j in (k..conns).step_by(clients_n) {
                let mut s = TcpStream::connect(addr).await.unwrap_or_else(|e| fail("connect", e));
                fill_message(&mut msg, j as u64, 0);
                round_trip(&mut s, &msg, &mut reply).await;
                // The server closes after its one reply: the next read must be end of stream.
                match s.read(&mut reply[..]).await {
                    Ok(0) => {}
                    Ok(n) => fail("storm client", format!("{n} unexpected bytes after the echo")),
                    Err(e) => fail("storm client read", e),
                }
                done += 1;
            }
            done
        }));
    }
    let mut done = 0usize;
    for c in clients {
        done += c.await.unwrap_or_else(|e| fail("storm client task", e));
    }
    let elapsed = t0.elapsed();
    let served = acceptor.await.unwrap_or_else(|e| fail("acceptor task", e));
    if done != conns || served != conns {
        fail("accept_storm", format!("{done} clients done, {served} served, expected {conns}"));
    }
    conns as f64 / elapsed.as_secs_f64()
}

// ---------------------------------------------------------------------------
// Statistics and output (the row shape of shared/bench/tokio-rt)
// ---------------------------------------------------------------------------

enum Summary {
    Reps(Vec<f64>),
    Dist(Vec<u64>),
}

struct Row {
    bench: &'static str,
    unit: &'static str,
    summary: Summary,
    c2c: Option<(f64, f64)>,
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile.
fn pct(sorted: &[u64], q: f64) -> u64 {
    let n = sorted.len();
    let rank = (q * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

impl Row {
    fn stats(&self) -> Vec<(&'static str, f64)> {
        match &self.summary {
            Summary::Reps(v) => {
                let mut s = v.clone();
                s.sort_by(|a, b| a.partial_cmp(b).unwrap());
                vec![("min", s[0]), ("median", median(&s)), ("max", s[s.len() - 1])]
            }
            Summary::Dist(v) => {
                let mut s = v.clone();
                s.sort_unstable();
                let mean = s.iter().map(|&x| x as f64).sum::<f64>() / s.len() as f64;
                vec![
                    ("min", s[0] as f64),
                    ("p50", pct(&s, 0.50) as f64),
                    ("p90", pct(&s, 0.90) as f64),
                    ("p99", pct(&s, 0.99) as f64),
                    ("p999", pct(&s, 0.999) as f64),
                    ("max", s[s.len() - 1] as f64),
                    ("mean", mean),
                ]
            }
        }
    }
    fn samples(&self) -> usize {
        match &self.summary {
            Summary::Reps(v) => v.len(),
            Summary::Dist(v) => v.len(),
        }
    }
}

fn fmt_val(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn json_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

fn main() {
    let o = parse_opts();
    BASE.set(Instant::now()).unwrap();
    let affinity = current_affinity();
    start_watchdog();
    let rt = build_runtime(&o);
    let label = o.label();
    let progress = |s: &str| {
        if !o.quiet {
            eprintln!("[tokio {label}] {s}");
        }
    };
    // Let the worker threads start.
    rt.block_on(async {
        for _ in 0..100 {
            tokio::spawn(async {}).await.unwrap();
        }
    });
    let probe = || -> Option<f64> {
        if affinity.len() < 2 {
            return None;
        }
        let mut v: Vec<f64> = (0..3).map(|_| c2c_roundtrip(affinity[0], affinity[1], 10_000)).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        Some(v[1])
    };

    let mut rows: Vec<Row> = Vec::new();
    if o.selected("tcp_ping_pong") {
        progress("tcp_ping_pong");
        let cfg = PingPongCfg { pairs: o.pairs, round_trips: o.round_trips, sample_every: o.sample_every };
        let before = probe();
        let (mut rate, mut rtt, mut busiest, mut cpus) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut cpu_per_op = Vec::new();
        for i in 0..o.warmup + o.reps {
            arm_deadline();
            let (c0, t0, p0) = (worker_cpu(WORKER_THREAD_PREFIX), Instant::now(), process_cpu_ns());
            let (r, mut lat) =
                rt.block_on(rt.spawn(ping_pong_sample(cfg))).unwrap_or_else(|e| fail("root", e));
            let (share, used) =
                cpu_spread(&c0, &worker_cpu(WORKER_THREAD_PREFIX), t0.elapsed().as_nanos() as u64);
            if i >= o.warmup {
                rate.push(r);
                rtt.append(&mut lat);
                cpu_per_op.push((process_cpu_ns() - p0) as f64 / 1e3 / (o.pairs * o.round_trips) as f64);
                busiest.push(share);
                cpus.push(used);
            }
        }
        let c2c = before.zip(probe());
        rows.push(Row { bench: "tcp_ping_pong", unit: "round_trips/s", summary: Summary::Reps(rate), c2c });
        rows.push(Row { bench: "tcp_ping_pong_rtt", unit: "ns", summary: Summary::Dist(rtt), c2c });
        rows.push(Row {
            bench: "tcp_ping_pong_cpu_per_op",
            unit: "us CPU/round trip",
            summary: Summary::Reps(cpu_per_op),
            c2c,
        });
        if !o.current_thread {
            rows.push(Row {
                bench: "tcp_ping_pong_busiest_cpu",
                unit: "% of worker CPU",
                summary: Summary::Reps(busiest),
                c2c,
            });
            rows.push(Row {
                bench: "tcp_ping_pong_worker_cpus",
                unit: "CPUs",
                summary: Summary::Reps(cpus),
                c2c,
            });
        }
    }
    if o.selected("accept_storm") {
        progress("accept_storm");
        let before = probe();
        let (mut rate, mut busiest, mut cpus, mut cpu_per_op) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..o.warmup + o.reps {
            arm_deadline();
            let (c0, t0, p0) = (worker_cpu(WORKER_THREAD_PREFIX), Instant::now(), process_cpu_ns());
            let r = rt
                .block_on(rt.spawn(accept_storm_sample(o.conns, o.storm_clients)))
                .unwrap_or_else(|e| fail("root", e));
            let (share, used) =
                cpu_spread(&c0, &worker_cpu(WORKER_THREAD_PREFIX), t0.elapsed().as_nanos() as u64);
            if i >= o.warmup {
                rate.push(r);
                cpu_per_op.push((process_cpu_ns() - p0) as f64 / 1e3 / o.conns as f64);
                busiest.push(share);
                cpus.push(used);
            }
        }
        let c2c = before.zip(probe());
        rows.push(Row { bench: "accept_storm", unit: "conns/s", summary: Summary::Reps(rate), c2c });
        rows.push(Row {
            bench: "accept_storm_cpu_per_op",
            unit: "us CPU/conn",
            summary: Summary::Reps(cpu_per_op),
            c2c,
        });
        if !o.current_thread {
            rows.push(Row {
                bench: "accept_storm_busiest_cpu",
                unit: "% of worker CPU",
                summary: Summary::Reps(busiest),
                c2c,
            });
            rows.push(Row {
                bench: "accept_storm_worker_cpus",
                unit: "CPUs",
                summary: Summary::Reps(cpus),
                c2c,
            });
        }
    }
    DEADLINE_NS.store(u64::MAX, Relaxed);

    // ---- markdown to stdout
    let tokio_version = env!("BENCH_TOKIO_VERSION");
    let rustc_version = env!("BENCH_RUSTC_VERSION");
    println!(
        "### tokio {tokio_version} — {label}: {} runtime, {} worker(s), cpus {}\n",
        o.runtime_name(),
        o.workers,
        cpu_list(&affinity)
    );
    println!("| bench | unit | stats | samples | c2c ns before/after |");
    println!("|---|---|---|---:|---:|");
    for r in &rows {
        let s: Vec<String> = r.stats().iter().map(|(k, v)| format!("{k} {}", fmt_val(*v))).collect();
        let c2c = r.c2c.map(|(a, b)| format!("{}/{}", fmt_val(a), fmt_val(b))).unwrap_or_else(|| "–".into());
        println!("| {} | {} | {} | {} | {} |", r.bench, r.unit, s.join(", "), r.samples(), c2c);
    }
    println!();

    // ---- JSON
    if let Some(path) = &o.json {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut s = String::new();
        s.push_str("{\n\"meta\": {");
        s.push_str(&format!(
            "\"impl\": \"tokio\", \"tokio_version\": \"{}\", \"compiler\": \"{}\", \"label\": \"{}\", \
             \"runtime\": \"{}\", \"workers\": {}, \"cpus\": \"{}\", \"worker_cpus\": \"{}\", \
             \"reps\": {}, \"warmup\": {}, \"pairs\": {}, \"round_trips\": {}, \"sample_every\": {}, \
             \"conns\": {}, \"storm_clients\": {}, \"msg_bytes\": {}, \"kernel\": \"{}\", \
             \"cpu_model\": \"{}\", \"nproc\": {}, \"unix_time\": {}, \"args\": \"{}\"",
            json_escape(tokio_version),
            json_escape(rustc_version),
            json_escape(&label),
            o.runtime_name(),
            if o.current_thread { 1 } else { o.workers },
            cpu_list(&affinity),
            o.worker_cpus.as_ref().map(|c| cpu_list(c)).unwrap_or_default(),
            o.reps,
            o.warmup,
            o.pairs,
            o.round_trips,
            o.sample_every,
            o.conns,
            o.storm_clients,
            MSG,
            json_escape(&uname()),
            json_escape(&cpu_model()),
            unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) },
            unix,
            json_escape(&args.join(" ")),
        ));
        s.push_str("},\n\"results\": [\n");
        let mut recs = Vec::new();
        for r in &rows {
            for (stat, v) in r.stats() {
                let (cb, ca) = match r.c2c {
                    Some((b, a)) => (format!("{b:.1}"), format!("{a:.1}")),
                    None => ("null".into(), "null".into()),
                };
                recs.push(format!(
                    "{{\"bench\": \"{}\", \"label\": \"{}\", \"runtime\": \"{}\", \"workers\": {}, \
                     \"stat\": \"{}\", \"value\": {:.3}, \"unit\": \"{}\", \"samples\": {}, \
                     \"c2c_before_ns\": {}, \"c2c_after_ns\": {}}}",
                    r.bench,
                    json_escape(&label),
                    o.runtime_name(),
                    if o.current_thread { 1 } else { o.workers },
                    stat,
                    v,
                    r.unit,
                    r.samples(),
                    cb,
                    ca
                ));
            }
        }
        s.push_str(&recs.join(",\n"));
        s.push_str("\n]\n}\n");
        std::fs::write(path, s).unwrap_or_else(|e| fail(&format!("write {path}"), e));
    }
    // Drop the runtime: every task has finished; shutting down joins the workers.
    drop(rt);
}
