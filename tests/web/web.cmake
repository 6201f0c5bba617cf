# The web framework (strata/web): pipeline, extraction and validation, DI, guards and built-ins
# over real sockets.
strata_test(web_test LABELS web SOURCES web/web_test.cpp)
target_link_libraries(web_test PRIVATE ZLIB::ZLIB)  # the compression test inflates
# The framework's worked example, examples/todo_api, end to end with curl over HTTP/1.1 and h2c.
if(STRATA_BUILD_EXAMPLES)
  add_test(NAME web_todo_api COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/web/todo_api_test.py $<TARGET_FILE:todo_api>)
  set_tests_properties(web_todo_api PROPERTIES LABELS "web;integration" TIMEOUT 120)
endif()
# Routes and providers that cannot work must not compile, with a message that says why: each
# case compiles with -DGOOD (must succeed, so the case is otherwise valid) and without (must
# fail with its static_assert text).
set(WEB_MNC_DIR ${CMAKE_CURRENT_SOURCE_DIR}/web/must_not_compile)
foreach(pair
    "not_extractor|parameters must be extractors"
    "param_not_in_path|has no `:name` segment in the route's pattern"
    "two_bodies|takes at most one web::Body"
    "no_inject|naming its constructor's dependencies"
    "bad_dto|described with BOOST_DESCRIBE_STRUCT")
  string(REPLACE "|" ";" parts "${pair}")
  list(GET parts 0 case)
  list(GET parts 1 message)
  set(cmd ${CMAKE_CXX_COMPILER} -std=c++2b -fsyntax-only -I${PROJECT_SOURCE_DIR}/include
      ${WEB_MNC_DIR}/${case}.cpp)
  add_test(NAME web_must_compile_${case} COMMAND ${cmd} -DGOOD)
  add_test(NAME web_must_not_compile_${case} COMMAND ${cmd})
  set_tests_properties(web_must_compile_${case} PROPERTIES LABELS "web" TIMEOUT 120)
  set_tests_properties(web_must_not_compile_${case} PROPERTIES LABELS "web" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "${message}")
endforeach()
# The rx bridge of WebSocket (strata/web/ws.hpp) over real sockets, Strata on both ends.
strata_test(web_ws_test LABELS "web;rx" SOURCES web/ws_test.cpp)
