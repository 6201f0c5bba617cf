# WebSocket (strata/http/ws): the frame codec and UTF-8 validator.
strata_test(http_ws_frame_test LABELS "http;ws" SOURCES http/ws_frame_test.cpp)
# Server and client over loopback: handshake, echo with and without deflate, limits, close.
strata_test(http_ws_test LABELS "http;ws" SOURCES http/ws_test.cpp)
