"""h2spec-class conformance cases: RFC 9113 §3-§8 and RFC 7541, each asserting the error the
RFC requires. A stream error is satisfied by RST_STREAM(code) on the stream or by a connection
error of the same code (§5.4.2 lets an endpoint end the connection for a stream error); a
connection error needs GOAWAY(code) and then the close (§5.4.1)."""
import struct

from defences import GET_ROOT, hpack_int, literal
from h2lib import (ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, FLOW_CONTROL_ERROR,
                   FRAME_SIZE_ERROR, GOAWAY, HEADERS, PADDED, PING, PRIORITY, PRIORITY_FLAG,
                   PROTOCOL_ERROR, COMPRESSION_ERROR, RST_STREAM, SETTINGS, STREAM_CLOSED,
                   WINDOW_UPDATE, Conn, Fail, data, frame, ping, rst, settings, window_update,
                   PREFACE, CANCEL, ENABLE_PUSH, INITIAL_WINDOW, MAX_FRAME_SIZE)

HE = END_HEADERS
HES = END_HEADERS | END_STREAM
PSEUDO = [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "localhost")]
CASES = []


def ready(port):
    """A connection past the SETTINGS exchange."""
    c = Conn(port)
    c.until(lambda f: f.type == SETTINGS and not f.flags & ACK, "server SETTINGS")
    return c


def conn_error(name, code, send):
    def case(port, pid):
        c = ready(port)
        c.send_quietly(*send(c))
        c.expect_connection_error(code)
    case.__name__ = name
    CASES.append(case)


def stream_error(name, code, send, sid=1):
    def case(port, pid):
        c = ready(port)
        c.send_quietly(*send(c))
        c.expect_stream_error(sid, code)
    case.__name__ = name
    CASES.append(case)


def ok(name, send, sid=1, status=200):
    def case(port, pid):
        c = ready(port)
        c.send(*send(c))
        got, _, _ = c.response(sid)
        if status is not None and got != status:
            raise Fail("status %s, wanted %s" % (got, status))
    case.__name__ = name
    CASES.append(case)


def ping_answered(name, send):
    """The frames are ignored: a PING after them is answered with its own payload."""
    def case(port, pid):
        c = ready(port)
        c.send(*send(c), ping(b"answered"))
        f = c.until(lambda f: f.type in (PING, GOAWAY) and (f.flags & ACK or f.type == GOAWAY),
                    "PING ACK")
        if f.type != PING or f.payload != b"answered":
            raise Fail("got %r" % f)
    case.__name__ = name
    CASES.append(case)


def req(c, hdrs=None, flags=HES, sid=1):
    return frame(HEADERS, flags, sid, c.block(PSEUDO if hdrs is None else hdrs))


def post(c, extra=(), sid=1):
    hdrs = [(":method", "POST"), (":scheme", "http"), (":path", "/echo"),
            (":authority", "localhost")] + list(extra)
    return frame(HEADERS, HE, sid, c.block(hdrs))


# §3.4 The connection preface.
def bad_preface(port, pid):
    c = Conn(port, preface=False)
    c.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
    c.expect_connection_error(PROTOCOL_ERROR)


def preface_without_settings(port, pid):
    c = Conn(port, preface=False)
    c.send(PREFACE + ping())
    c.expect_connection_error(PROTOCOL_ERROR)


CASES += [bad_preface, preface_without_settings]

# §4.1 Frame format: unknown types and flags are ignored, the reserved bit too.
ping_answered("unknown_frame_type_is_ignored", lambda c: [frame(0xfa, 0, 0, b"xyz")])
def unknown_ping_flags_are_ignored(port, pid):
    c = ready(port)
    c.send(frame(PING, 0xfe, 0, b"unknownf"))
    f = c.until(lambda f: f.type in (PING, GOAWAY), "PING ACK")
    if f.type != PING or not f.flags & ACK or f.payload != b"unknownf":
        raise Fail("got %r" % f)


CASES.append(unknown_ping_flags_are_ignored)
def reserved_bit(c):
    f = bytearray(frame(HEADERS, HES, 1, GET_ROOT))
    f[5] |= 0x80
    return [bytes(f)]


ok("reserved_stream_bit_is_ignored", reserved_bit)

# §4.2 Frame size.
conn_error("data_frame_beyond_max_frame_size", FRAME_SIZE_ERROR,
           lambda c: [post(c), data(1, b"x" * 16385)])
conn_error("headers_frame_beyond_max_frame_size", FRAME_SIZE_ERROR,
           lambda c: [frame(HEADERS, HES, 1, GET_ROOT + literal(b"x-big", b"v" * 16400))])

# §4.3 Field section compression and decompression.
conn_error("hpack_index_zero", COMPRESSION_ERROR, lambda c: [frame(HEADERS, HES, 1, b"\x80")])
conn_error("header_block_interrupted_by_another_frame", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, END_STREAM, 1, GET_ROOT), ping()])
conn_error("header_block_interrupted_by_unknown_frame", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, END_STREAM, 1, GET_ROOT), frame(0xfa, 0, 0, b"")])

# §5.1 Stream states, §5.1.1 stream identifiers.
conn_error("data_on_idle_stream", PROTOCOL_ERROR, lambda c: [data(1, b"x")])
conn_error("rst_stream_on_idle_stream", PROTOCOL_ERROR, lambda c: [rst(1, CANCEL)])
conn_error("window_update_on_idle_stream", PROTOCOL_ERROR, lambda c: [window_update(1, 100)])
conn_error("continuation_on_idle_stream", PROTOCOL_ERROR,
           lambda c: [frame(CONTINUATION, HE, 1, GET_ROOT)])
stream_error("data_on_half_closed_remote_stream", STREAM_CLOSED,
             lambda c: [frame(HEADERS, HES, 1, GET_ROOT), data(1, b"late")])
stream_error("headers_on_half_closed_remote_stream", STREAM_CLOSED,
             lambda c: [frame(HEADERS, HES, 1, GET_ROOT), frame(HEADERS, HES, 1, GET_ROOT)])
conn_error("even_stream_id_from_client", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, HES, 2, GET_ROOT)])
conn_error("decreasing_stream_id", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, HES, 5, GET_ROOT), frame(HEADERS, HES, 3, GET_ROOT)])


def data_on_closed_stream(port, pid):
    c = ready(port)
    c.send(frame(HEADERS, HES, 1, GET_ROOT))
    c.response(1)
    c.send(data(1, b"after the end"))
    c.expect_stream_error(1, STREAM_CLOSED)


CASES.append(data_on_closed_stream)
# The same with the client's own RST_STREAM and the DATA after it in one write (h2spec 5.1/8):
# the check must see the reset that precedes the DATA in the same read.
stream_error("data_after_client_rst_stream_in_one_write", STREAM_CLOSED,
             lambda c: [post(c), rst(1, CANCEL), data(1, b"test", True)])
stream_error("headers_after_client_rst_stream_in_one_write", STREAM_CLOSED,
             lambda c: [post(c), rst(1, CANCEL), frame(HEADERS, HES, 1, c.block(PSEUDO))])

# §5.3.1 A stream cannot depend on itself.
stream_error("headers_depending_on_itself", PROTOCOL_ERROR,
             lambda c: [frame(HEADERS, HES | PRIORITY_FLAG, 1,
                              struct.pack(">IB", 1, 15) + GET_ROOT)])
stream_error("priority_depending_on_itself", PROTOCOL_ERROR,
             lambda c: [frame(PRIORITY, 0, 1, struct.pack(">IB", 1, 15))])

# §6.1 DATA.
conn_error("data_on_stream_zero", PROTOCOL_ERROR, lambda c: [data(0, b"x")])
conn_error("data_padding_longer_than_payload", PROTOCOL_ERROR,
           lambda c: [post(c), frame(DATA, PADDED, 1, bytes([10]) + b"abc")])
ok("data_with_valid_padding", lambda c: [
    post(c, [("content-length", "3")]), frame(DATA, PADDED | END_STREAM, 1,
                                             bytes([4]) + b"abc" + b"\0" * 4)])
# §6.2 HEADERS.
conn_error("headers_on_stream_zero", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, HES, 0, GET_ROOT)])
conn_error("headers_padding_longer_than_payload", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, HES | PADDED, 1, bytes([200]) + GET_ROOT)])
ok("headers_with_valid_padding",
   lambda c: [frame(HEADERS, HES | PADDED, 1, bytes([5]) + GET_ROOT + b"\0" * 5)])
# §6.3 PRIORITY.
conn_error("priority_on_stream_zero", PROTOCOL_ERROR,
           lambda c: [frame(PRIORITY, 0, 0, struct.pack(">IB", 3, 15))])
stream_error("priority_with_bad_length", FRAME_SIZE_ERROR,
             lambda c: [frame(PRIORITY, 0, 1, struct.pack(">I", 3))])
# §6.4 RST_STREAM.
conn_error("rst_stream_on_stream_zero", PROTOCOL_ERROR, lambda c: [rst(0, CANCEL)])
conn_error("rst_stream_with_bad_length", FRAME_SIZE_ERROR,
           lambda c: [frame(HEADERS, HE, 1, GET_ROOT), frame(RST_STREAM, 0, 1, b"\0\0\0")])
# §6.5 SETTINGS.
conn_error("settings_ack_with_payload", FRAME_SIZE_ERROR,
           lambda c: [frame(SETTINGS, ACK, 0, struct.pack(">HI", 3, 100))])
conn_error("settings_on_a_stream", PROTOCOL_ERROR,
           lambda c: [frame(SETTINGS, 0, 1, struct.pack(">HI", 3, 100))])
conn_error("settings_with_bad_length", FRAME_SIZE_ERROR,
           lambda c: [frame(SETTINGS, 0, 0, b"\0\3\0\0\0")])
conn_error("settings_enable_push_2", PROTOCOL_ERROR, lambda c: [settings((ENABLE_PUSH, 2))])
conn_error("settings_initial_window_above_2_31", FLOW_CONTROL_ERROR,
           lambda c: [settings((INITIAL_WINDOW, 1 << 31))])
conn_error("settings_max_frame_size_below_16384", PROTOCOL_ERROR,
           lambda c: [settings((MAX_FRAME_SIZE, 16383))])
conn_error("settings_max_frame_size_above_2_24", PROTOCOL_ERROR,
           lambda c: [settings((MAX_FRAME_SIZE, 1 << 24))])


def settings_unknown_is_acked(port, pid):
    c = ready(port)
    c.send(settings((0xf0f0, 7)))
    c.until(lambda f: f.type == SETTINGS and f.flags & ACK, "SETTINGS ACK")


CASES.append(settings_unknown_is_acked)
# §6.7 PING.
conn_error("ping_on_a_stream", PROTOCOL_ERROR, lambda c: [frame(PING, 0, 1, b"12345678")])
conn_error("ping_with_bad_length", FRAME_SIZE_ERROR, lambda c: [frame(PING, 0, 0, b"1234567")])
ping_answered("ping_ack_is_not_answered", lambda c: [ping(b"no reply", ack=True)])
# §6.8 GOAWAY.
conn_error("goaway_on_a_stream", PROTOCOL_ERROR,
           lambda c: [frame(GOAWAY, 0, 1, struct.pack(">II", 0, 0))])
# §6.9 WINDOW_UPDATE.
conn_error("window_update_zero_on_connection", PROTOCOL_ERROR,
           lambda c: [window_update(0, 0)])
stream_error("window_update_zero_on_stream", PROTOCOL_ERROR,
             lambda c: [post(c), window_update(1, 0)])
conn_error("window_update_with_bad_length", FRAME_SIZE_ERROR,
           lambda c: [frame(WINDOW_UPDATE, 0, 0, b"\0\0\1")])
conn_error("connection_window_overflow", FLOW_CONTROL_ERROR,
           lambda c: [window_update(0, 0x7fffffff)])
stream_error("stream_window_overflow", FLOW_CONTROL_ERROR,
             lambda c: [post(c), window_update(1, 0x7fffffff)])
# §6.10 CONTINUATION.
conn_error("continuation_after_end_headers", PROTOCOL_ERROR,
           lambda c: [post(c), frame(CONTINUATION, HE, 1, literal(b"x-a", b"b"))])
conn_error("continuation_on_another_stream", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, END_STREAM, 1, GET_ROOT),
                      frame(CONTINUATION, HE, 3, literal(b"x-a", b"b"))])
conn_error("continuation_on_stream_zero", PROTOCOL_ERROR,
           lambda c: [frame(HEADERS, END_STREAM, 1, GET_ROOT),
                      frame(CONTINUATION, HE, 0, literal(b"x-a", b"b"))])
ok("header_block_split_over_continuations", lambda c: [
    frame(HEADERS, END_STREAM, 1, GET_ROOT[:2]), frame(CONTINUATION, 0, 1, GET_ROOT[2:5]),
    frame(CONTINUATION, HE, 1, GET_ROOT[5:])])

# §8.1 HTTP message framing: content-length must match the DATA; trailers end the stream.
stream_error("data_beyond_content_length", PROTOCOL_ERROR,
             lambda c: [post(c, [("content-length", "1")]), data(1, b"hello", end=True)])
stream_error("data_short_of_content_length", PROTOCOL_ERROR,
             lambda c: [post(c, [("content-length", "10")]), data(1, b"hello", end=True)])
stream_error("trailers_without_end_stream", PROTOCOL_ERROR,
             lambda c: [post(c), data(1, b"x"), frame(HEADERS, HE, 1, c.block([("x-t", "1")]))])
stream_error("pseudo_header_in_trailers", PROTOCOL_ERROR,
             lambda c: [post(c), data(1, b"x"),
                        frame(HEADERS, HES, 1, c.block([(":path", "/")]))])
ok("trailers_end_the_request", lambda c: [
    post(c), data(1, b"x"), frame(HEADERS, HES, 1, c.block([("x-checksum", "1")]))])

# §8.2 Fields: lower case, no connection-specific fields, TE only "trailers", valid chars.
for name, hdrs in [
        ("uppercase_field_name", PSEUDO + [("X-Upper", "1")]),
        ("connection_field", PSEUDO + [("connection", "keep-alive")]),
        ("keep_alive_field", PSEUDO + [("keep-alive", "timeout=5")]),
        ("proxy_connection_field", PSEUDO + [("proxy-connection", "keep-alive")]),
        ("transfer_encoding_field", PSEUDO + [("transfer-encoding", "chunked")]),
        ("upgrade_field", PSEUDO + [("upgrade", "websocket")]),
        ("te_other_than_trailers", PSEUDO + [("te", "gzip")]),
        ("field_name_with_space", PSEUDO + [("x y", "1")]),
        ("field_value_with_newline", PSEUDO + [("x-a", "1\r\nx-b: 2")]),
        ("field_value_with_nul", PSEUDO + [("x-a", "1\x002")]),
        ("empty_field_name", PSEUDO + [("", "1")]),
        # §8.3 Pseudo-header fields.
        ("unknown_pseudo_header", PSEUDO + [(":foo", "bar")]),
        ("response_pseudo_header_in_request", PSEUDO + [(":status", "200")]),
        ("pseudo_header_after_regular_field", PSEUDO[:3] + [("x-a", "1"), PSEUDO[3]]),
        ("duplicate_path", PSEUDO + [(":path", "/again")]),
        ("duplicate_method", PSEUDO + [(":method", "GET")]),
        ("missing_method", PSEUDO[1:]),
        ("missing_scheme", [PSEUDO[0]] + PSEUDO[2:]),
        ("missing_path", PSEUDO[:2] + PSEUDO[3:]),
        ("empty_path", PSEUDO[:2] + [(":path", "")] + PSEUDO[3:]),
        ("relative_path", PSEUDO[:2] + [(":path", "index.html")] + PSEUDO[3:]),
]:
    stream_error(name, PROTOCOL_ERROR,
                 lambda c, hdrs=hdrs: [frame(HEADERS, HES, 1, c.enc.encode(hdrs, huffman=False))])
ok("te_trailers_is_allowed", lambda c: [req(c, PSEUDO + [("te", "trailers")])])
ok("options_asterisk", lambda c: [req(c, [(":method", "OPTIONS"), (":scheme", "http"),
                                        (":path", "*"), (":authority", "localhost")])],
   status=None)

# RFC 7541: index and size errors are COMPRESSION_ERROR (a connection error, §4.3).
conn_error("hpack_index_beyond_the_tables", COMPRESSION_ERROR,
           lambda c: [frame(HEADERS, HES, 1, GET_ROOT + bytes([0x80 | 70]))])
conn_error("hpack_table_size_update_above_the_limit", COMPRESSION_ERROR,
           lambda c: [frame(HEADERS, HES, 1, hpack_int(8192, 5, 0x20) + GET_ROOT)])
conn_error("hpack_table_size_update_after_a_field", COMPRESSION_ERROR,
           lambda c: [frame(HEADERS, HES, 1, GET_ROOT + hpack_int(100, 5, 0x20))])
conn_error("hpack_huffman_with_eos", COMPRESSION_ERROR,
           lambda c: [frame(HEADERS, HES, 1, GET_ROOT + b"\x00\x83" + b"\xff\xff\xff" +
                            b"\x01a")])
conn_error("hpack_integer_overflow", COMPRESSION_ERROR,
           lambda c: [frame(HEADERS, HES, 1, GET_ROOT + b"\x00\x7f" + b"\xff" * 10 + b"\x01")])
conn_error("hpack_truncated_block", COMPRESSION_ERROR,
           lambda c: [frame(HEADERS, HES, 1, GET_ROOT + b"\x00\x05ab")])


def hpack_dynamic_table_reused(port, pid):
    """RFC 7541 C.3: a field added to the dynamic table is then sent as one index byte."""
    c = ready(port)
    c.send(frame(HEADERS, HES, 1, GET_ROOT + literal(b"x-custom", b"value", indexing=True)))
    if c.response(1)[0] != 200:
        raise Fail("first request")
    c.send(frame(HEADERS, HES, 3, GET_ROOT + b"\xbe"))
    if c.response(3)[0] != 200:
        raise Fail("second request")


CASES.append(hpack_dynamic_table_reused)
