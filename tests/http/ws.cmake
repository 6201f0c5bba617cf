# WebSocket (strata/http/ws): the frame codec and UTF-8 validator.
strata_test(http_ws_frame_test LABELS "http;ws" SOURCES http/ws_frame_test.cpp)
# Server and client over loopback: handshake, echo with and without deflate, limits, close.
strata_test(http_ws_test LABELS "http;ws" SOURCES http/ws_test.cpp)
# Node's `ws` package (npm, installed on first use) against the bench server, with and without
# permessage-deflate; the gtest WsNode.* runs Strata's client against a Node ws server.
if(STRATA_BUILD_EXAMPLES)
  add_test(NAME http_ws_node_client
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/http/ws_node.sh $<TARGET_FILE:strata-bench-server>)
  set_tests_properties(http_ws_node_client PROPERTIES LABELS "http;ws;integration" TIMEOUT 120)
endif()
