"""Graceful drain: the server shuts down while a stream is in flight."""
from h2lib import (DATA, END_STREAM, GOAWAY, HEADERS, NO_ERROR, REFUSED_STREAM, RST_STREAM,
                   Conn, Fail, data)


def graceful_drain(port, pid):
    """Stream 1 uploads slowly (its body ends only when the client says so); stream 3 asks the
    server to shut down. The server sends a shutdown notice (GOAWAY 2^31-1) and a PING, then
    the final GOAWAY naming stream 3; stream 5, opened after it, is not processed; stream 1
    still completes; then the connection closes."""
    c = Conn(port)
    c.until(lambda f: f.type == 4 and not f.flags & 1, "server SETTINGS")
    c.send(c.request("/echo", "POST", sid=1, end_stream=False), data(1, b"first half, "))
    c.send(c.request("/drain", sid=3))
    goaways = []
    frames = []
    while not goaways or goaways[-1].last_sid() == 0x7fffffff:
        f = c.read()
        if f is None:
            raise Fail("closed during the drain; saw %s" % frames[-8:])
        frames.append(f)
        if f.type == GOAWAY:
            if f.code() != NO_ERROR:
                raise Fail("drain GOAWAY %r" % f)
            goaways.append(f)
    if goaways[0].last_sid() != 0x7fffffff:
        raise Fail("no shutdown notice first: %s" % goaways)
    if goaways[-1].last_sid() != 3:
        raise Fail("final GOAWAY names %d, wanted 3" % goaways[-1].last_sid())
    c.send(c.request("/plaintext", sid=5))
    c.send(data(1, b"second half", end=True))
    frames += c.expect_closed()
    body = b"".join(f.payload for f in frames if f.type == DATA and f.sid == 1)
    if body != b"first half, second half":
        raise Fail("stream 1 got %r; frames %s" % (body, frames))
    if not any(f.type == DATA and f.sid == 1 and f.flags & END_STREAM for f in frames):
        raise Fail("stream 1 did not end")
    if not any(f.type == HEADERS and f.sid == 3 for f in frames):
        raise Fail("stream 3 got no response")
    for f in frames:
        if f.sid == 5 and not (f.type == RST_STREAM and f.code() == REFUSED_STREAM):
            raise Fail("stream 5, above the last stream id, was processed: %r" % f)


CASES = [graceful_drain]
