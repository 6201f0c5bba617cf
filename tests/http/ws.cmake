# WebSocket (strata/http/ws): the frame codec and UTF-8 validator.
strata_test(http_ws_frame_test LABELS "http;ws" SOURCES http/ws_frame_test.cpp)
