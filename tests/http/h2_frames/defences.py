"""The server's defences against abusive HTTP/2 clients, each asserting the frame that ends the
abuse and (run.py) that another client is served afterwards. The server under test runs with
idle_timeout = 1 s and write_timeout = 3 s (tests/http/server_h2_frames_test.cpp)."""
import time

from h2lib import (CANCEL, CONTINUATION, ENHANCE_YOUR_CALM, END_HEADERS, END_STREAM, HEADERS,
                   INITIAL_WINDOW, NO_ERROR, PROTOCOL_ERROR, REFUSED_STREAM, RST_STREAM, DATA, Conn, Fail, data,
                   frame, ping, rss_kib, rst, settings, window_update)

MIB = 1024


def hpack_int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def literal(name, value, indexing=False):
    first = 0x40 if indexing else 0x00
    return bytes([first]) + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


# GET / over http with :authority localhost, from the static table and a literal.
GET_ROOT = b"\x82\x86\x84" + b"\x01" + hpack_int(9, 7) + b"localhost"


def rapid_reset(port, pid):
    """CVE-2023-44487: streams opened and cancelled at once, far beyond the reset budget."""
    c = Conn(port)
    chunks = []
    for i in range(2000):
        sid = 1 + 2 * i
        chunks.append(c.request("/plaintext", sid=sid))
        chunks.append(rst(sid, CANCEL))
    c.send_quietly(*chunks)
    c.expect_connection_error(ENHANCE_YOUR_CALM)


def continuation_flood(port, pid):
    """CVE-2024-27316 class: a header block that never ends (no END_HEADERS), CONTINUATION
    after CONTINUATION; the connection ends after a few, the server's memory stays flat."""
    c = Conn(port)
    before = rss_kib(pid)
    c.send(frame(HEADERS, END_STREAM, 1, GET_ROOT))
    piece = frame(CONTINUATION, 0, 1, literal(b"x-flood", b"v" * 4000) * 4)
    for _ in range(200):  # 200 x 100 frames of 16 KB: 320 MB if it were all kept
        c.send_quietly(piece * 100)
        if c.closed:
            break
    c.expect_connection_error(ENHANCE_YOUR_CALM)
    grown = rss_kib(pid) - before
    if grown > 64 * MIB:
        raise Fail("server RSS grew by %d KiB" % grown)


def hpack_bomb(port, pid):
    """A 4 KB field put in the HPACK table once, then referenced with one byte 16,000 times: a
    64 MB header list from 16 KB on the wire. Answered 431, memory flat, connection usable."""
    c = Conn(port)
    before = rss_kib(pid)
    big = literal(b"x-big", b"b" * 4000, indexing=True)  # dynamic table index 62
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, GET_ROOT + big))
    status, _, _ = c.response(1)
    if status != 200:
        raise Fail("the request that fills the table got %s" % status)
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 3, GET_ROOT + b"\xbe" * 16000))
    status, _, _ = c.response(3)
    if status != 431:
        raise Fail("HPACK bomb answered %s, wanted 431" % status)
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 5, GET_ROOT))
    status, _, _ = c.response(5)
    if status != 200:
        raise Fail("the connection is not usable after the bomb: %s" % status)
    grown = rss_kib(pid) - before
    if grown > 64 * MIB:
        raise Fail("server RSS grew by %d KiB" % grown)


def ack_flood(port, one, count):
    """Frames that each queue an ACK, from a client that does not read: GOAWAY once the queue
    passes max_outbound_acks."""
    c = Conn(port, rcvbuf=4096)
    batch = one * 10000
    c.s.settimeout(0.3)  # once the server stops reading, stop sending and read what it sent
    try:
        for _ in range(count // 10000):
            c.s.sendall(batch)
    except OSError:
        pass
    frames = c.drain()
    goaways = [f for f in frames if f.type == 7]
    if not goaways or goaways[-1].code() != ENHANCE_YOUR_CALM:
        raise Fail("%d frames, GOAWAY %s, wanted ENHANCE_YOUR_CALM" % (len(frames), goaways))


def settings_flood(port, pid):
    """CVE-2019-9515: SETTINGS frames whose ACKs the client never reads."""
    ack_flood(port, settings(), 300000)


def ping_flood(port, pid):
    """CVE-2019-9512: PINGs whose ACKs the client never reads (more than the socket buffers
    of both sides hold)."""
    ack_flood(port, ping(), 1000000)


def empty_data_flood(port, pid):
    """CVE-2019-9518: empty DATA frames (no payload, no END_STREAM) on an open stream."""
    c = Conn(port)
    c.send(c.request("/echo", "POST", end_stream=False))
    c.send_quietly(data(1, b"") * 20000)
    c.expect_connection_error(ENHANCE_YOUR_CALM)


def window_update_flood(port, pid):
    """CVE-2019-9517 class: WINDOW_UPDATEs far beyond anything we sent."""
    c = Conn(port)
    c.send_quietly(window_update(0, 1) * 20000)
    c.expect_connection_error(ENHANCE_YOUR_CALM)


def too_many_streams(port, pid):
    """SETTINGS_MAX_CONCURRENT_STREAMS (128), opened at once (before our SETTINGS is acked, as
    an attacker does): the 129th stream is refused, the others keep working."""
    c = Conn(port)
    c.send(*[c.request("/echo", "POST", sid=1 + 2 * i, end_stream=False) for i in range(129)])
    c.expect_stream_error(257, REFUSED_STREAM)
    c.send(data(1, b"still here", end=True))
    status, _, body = c.response(1)
    if status != 200 or body != b"still here":
        raise Fail("stream 1 after the refusal: %s %r" % (status, body))


def too_many_streams_after_ack(port, pid):
    """The same from a client that has acknowledged the limit: nghttp2 treats it as a
    connection error, GOAWAY(PROTOCOL_ERROR) (RFC 9113 §5.1.2 allows PROTOCOL_ERROR, §5.4.2
    allows ending the connection for a stream error)."""
    c = Conn(port)
    c.until(lambda f: f.type == 4 and not f.flags & 1, "server SETTINGS")  # acked by read()
    c.send(*[c.request("/echo", "POST", sid=1 + 2 * i, end_stream=False) for i in range(129)])
    c.expect_connection_error(PROTOCOL_ERROR)


def idle_timeout(port, pid):
    """A connection with no stream open ends after idle_timeout with GOAWAY(NO_ERROR)."""
    c = Conn(port)
    c.send(c.request("/plaintext"))
    c.response(1)
    g = c.expect_goaway(NO_ERROR, timeout=20)
    if g.last_sid() != 1:
        raise Fail("idle GOAWAY names stream %d, wanted 1" % g.last_sid())
    c.expect_closed()


def slow_read_window(port, pid):
    """A client that reads but never opens its window: after the first 64 KiB of a 1 MB
    response the stream stalls; after write_timeout the connection ends with GOAWAY."""
    c = Conn(port)
    c.send(c.request("/big"))
    got = 0
    while True:
        f = c.read(timeout=20)
        if f is None:
            raise Fail("closed without GOAWAY after %d bytes" % got)
        if f.type == DATA:
            got += len(f.payload)
        if f.type == 7:
            break
    if f.code() != ENHANCE_YOUR_CALM or got > 65535:
        raise Fail("GOAWAY %r after %d bytes" % (f, got))
    c.expect_closed()


def server_socket_state(port, client_port):
    """The state of the server's side of a loopback connection (from /proc/net/tcp), or None
    once it is gone."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            local, remote, state = parts[1], parts[2], parts[3]
            if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
                return int(state, 16)
    return None


def slow_read_tcp(port, pid):
    """A client that never reads at all, with huge windows: the server's socket fills, and
    after write_timeout without progress the server closes its side (memory: what the socket
    buffers hold, then nothing)."""
    c = Conn(port, rcvbuf=4096, client_settings=[(INITIAL_WINDOW, 0x7fffffff)])
    c.send(window_update(0, 0x7fffffff - 65535))
    for i in range(8):
        c.send(c.request("/big", sid=1 + 2 * i))
    client_port = c.s.getsockname()[1]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server_socket_state(port, client_port) != 1:  # 1: ESTABLISHED
            return
        time.sleep(0.2)
    raise Fail("the server kept the connection of a client that never reads")


CASES = [rapid_reset, continuation_flood, hpack_bomb, settings_flood, ping_flood,
         empty_data_flood, window_update_flood, too_many_streams, too_many_streams_after_ack,
         idle_timeout, slow_read_window,
         slow_read_tcp]


def priority_flood(port, pid):
    """CVE-2019-9513 class: PRIORITY frames (ignored by the server, which has RFC 7540
    priorities off) beyond 100 per stream."""
    c = Conn(port)
    c.send_quietly(frame(2, 0, 1, bytes([0, 0, 0, 3, 15])) * 20000)
    c.expect_connection_error(ENHANCE_YOUR_CALM)


CASES.append(priority_flood)
