"""Raw HTTP/2 frames over a real socket, for the frame-level tests of the Strata server.

Frames are built by hand (9-byte header + payload) so that tests can send what no conforming
client would; header blocks are HPACK-encoded with python3-hpack. Frames read back are parsed
by hand too, so that a test sees exactly what the server sent.
"""
import socket
import struct
import time

from hpack import Decoder, Encoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, STREAM_CLOSED, \
    FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR, CONNECT_ERROR, \
    ENHANCE_YOUR_CALM, INADEQUATE_SECURITY, HTTP_1_1_REQUIRED = range(14)
ERRORS = {v: k for k, v in dict(
    NO_ERROR=0, PROTOCOL_ERROR=1, INTERNAL_ERROR=2, FLOW_CONTROL_ERROR=3, SETTINGS_TIMEOUT=4,
    STREAM_CLOSED=5, FRAME_SIZE_ERROR=6, REFUSED_STREAM=7, CANCEL=8, COMPRESSION_ERROR=9,
    CONNECT_ERROR=10, ENHANCE_YOUR_CALM=11, INADEQUATE_SECURITY=12,
    HTTP_1_1_REQUIRED=13).items()}


# SETTINGS identifiers.
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW, MAX_FRAME_SIZE, \
    MAX_HEADER_LIST_SIZE = range(1, 7)


class Fail(AssertionError):
    pass


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid & 0x7fffffff) + payload


def settings(*pairs, ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def rst(sid, code):
    return frame(RST_STREAM, 0, sid, struct.pack(">I", code))


def window_update(sid, inc):
    return frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", inc))


def ping(data=b"12345678", ack=False):
    return frame(PING, ACK if ack else 0, 0, data)


def data(sid, payload, end=False):
    return frame(DATA, END_STREAM if end else 0, sid, payload)


class Frame:
    def __init__(self, ftype, flags, sid, payload):
        self.type, self.flags, self.sid, self.payload = ftype, flags, sid, payload
        self.headers = None

    def code(self):  # RST_STREAM / GOAWAY error code
        return struct.unpack(">I", self.payload[-4:] if self.type == RST_STREAM
                             else self.payload[4:8])[0]

    def last_sid(self):  # GOAWAY
        return struct.unpack(">I", self.payload[:4])[0] & 0x7fffffff

    def __repr__(self):
        names = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
                 "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]
        name = names[self.type] if self.type < len(names) else str(self.type)
        extra = ""
        if self.type in (RST_STREAM, GOAWAY):
            extra = " " + ERRORS.get(self.code(), str(self.code()))
        if self.type == GOAWAY:
            extra += " last=%d" % self.last_sid()
        if self.headers is not None:
            extra += " " + str(self.headers)
        return "%s(sid=%d flags=%#x len=%d%s)" % (name, self.sid, self.flags, len(self.payload),
                                                  extra)


class Conn:
    """One client connection. Sends the preface and an empty SETTINGS unless told not to."""

    def __init__(self, port, preface=True, rcvbuf=None, client_settings=()):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(10)
        self.s.connect(("127.0.0.1", port))
        self.buf = b""
        self.enc = Encoder()
        self.dec = Decoder()
        self.closed = False
        self.next_sid = 1
        if preface:
            self.send(PREFACE + settings(*client_settings))

    def send(self, *chunks):
        self.s.sendall(b"".join(chunks))

    def send_quietly(self, *chunks):
        """Sends, ignoring a connection the server already closed."""
        try:
            self.send(*chunks)
        except OSError:
            pass

    def block(self, hdrs, huffman=True):
        return self.enc.encode(hdrs, huffman=huffman)

    def headers(self, sid, hdrs, end_stream=True, end_headers=True, block=None):
        flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
        return frame(HEADERS, flags, sid, self.block(hdrs) if block is None else block)

    def request(self, path="/plaintext", method="GET", extra=(), sid=None, end_stream=True):
        if sid is None:
            sid = self.next_sid
        self.next_sid = max(self.next_sid, sid + 2)
        hdrs = [(":method", method), (":scheme", "http"), (":path", path),
                (":authority", "localhost")] + list(extra)
        return self.headers(sid, hdrs, end_stream=end_stream)

    def read(self, timeout=10):
        """The next frame, or None once the server has closed the connection."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < 9 or len(self.buf) < 9 + int.from_bytes(self.buf[:3], "big"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("no frame within %ss" % timeout)
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                raise Fail("no frame within %ss" % timeout)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.buf += chunk
        n = int.from_bytes(self.buf[:3], "big")
        f = Frame(self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], "big") & 0x7fffffff,
                  self.buf[9:9 + n])
        self.buf = self.buf[9 + n:]
        if f.type == HEADERS:
            block = f.payload
            if f.flags & PADDED:
                block = block[1:len(block) - block[0]]
            if f.flags & PRIORITY_FLAG:
                block = block[5:]
            f.headers = self.dec.decode(block)
        if f.type == SETTINGS and not f.flags & ACK:
            self.send_quietly(settings(ack=True))
        if f.type == PING and not f.flags & ACK:
            self.send_quietly(ping(f.payload, ack=True))
        return f

    def until(self, pred, what, timeout=10):
        """Reads frames until pred(frame); fails if the connection closes first."""
        seen = []
        while True:
            f = self.read(timeout)
            if f is None:
                raise Fail("closed before %s; saw %s" % (what, seen[-8:]))
            seen.append(f)
            if pred(f):
                return f

    def goaway(self, timeout=10):
        return self.until(lambda f: f.type == GOAWAY, "GOAWAY", timeout)

    def expect_goaway(self, code, timeout=10):
        g = self.goaway(timeout)
        if g.code() != code:
            raise Fail("GOAWAY %s, wanted %s" % (ERRORS.get(g.code()), ERRORS[code]))
        return g

    def expect_closed(self, timeout=10):
        """Reads until the server closes; returns the frames seen."""
        seen = []
        while True:
            f = self.read(timeout)
            if f is None:
                return seen
            seen.append(f)

    def drain(self, timeout=30):
        """Reads raw bytes until the server closes (fast: a flood's answers may be megabytes),
        then parses them; returns the frames."""
        data = bytearray(self.buf)
        self.buf = b""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("still open after %ss" % timeout)
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(1 << 20)
            except ConnectionResetError:
                chunk = b""
            except socket.timeout:
                raise Fail("still open after %ss" % timeout)
            if not chunk:
                break
            data += chunk
        self.closed = True
        frames, at = [], 0
        while at + 9 <= len(data):
            n = int.from_bytes(data[at:at + 3], "big")
            frames.append(Frame(data[at + 3], data[at + 4],
                                int.from_bytes(data[at + 5:at + 9], "big") & 0x7fffffff,
                                bytes(data[at + 9:at + 9 + n])))
            at += 9 + n
        return frames

    def expect_connection_error(self, code, timeout=10):
        """GOAWAY with `code`, then the connection closes (RFC 9113 §5.4.1)."""
        self.expect_goaway(code, timeout)
        self.expect_closed(timeout)

    def expect_stream_error(self, sid, code, timeout=10):
        """RST_STREAM(code) on `sid`; a connection error of the same code also satisfies the
        RFC (§5.4.2: an endpoint may treat a stream error as a connection error)."""
        f = self.until(lambda f: (f.type == RST_STREAM and f.sid == sid) or f.type == GOAWAY,
                       "RST_STREAM(%d)" % sid, timeout)
        if f.code() != code:
            raise Fail("%r, wanted %s" % (f, ERRORS[code]))
        return f

    def response(self, sid, timeout=10):
        """(status, headers, body) of stream `sid`."""
        status, hdrs, body = None, None, b""
        while True:
            f = self.until(lambda f: f.sid == sid or f.type == GOAWAY, "response %d" % sid,
                           timeout)
            if f.type == GOAWAY:
                raise Fail("GOAWAY before response %d: %r" % (sid, f))
            if f.type == RST_STREAM:
                raise Fail("stream %d reset: %r" % (sid, f))
            if f.type == HEADERS and hdrs is None:
                hdrs = dict(f.headers)
                status = int(hdrs[":status"])
            elif f.type == DATA:
                p = f.payload
                if f.flags & PADDED:
                    p = p[1:len(p) - p[0]]
                body += p
                if p:
                    self.send_quietly(window_update(0, len(p)), window_update(sid, len(p)))
            if f.flags & END_STREAM and f.type in (HEADERS, DATA):
                return status, hdrs, body

    def close(self):
        self.s.close()


def healthy(port):
    """A new client gets its answer: the server survived what the case did."""
    c = Conn(port)
    c.send(c.request("/plaintext"))
    status, _, body = c.response(1)
    c.close()
    if status != 200 or body != b"Hello, World!":
        raise Fail("server unhealthy after the case: %s %r" % (status, body))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
