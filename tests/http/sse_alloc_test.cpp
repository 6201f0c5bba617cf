// Proves the SSE encoder allocates nothing per event once its output buffer is warm: a stream
// reuses one buffer, so an event costs only its own strings.
#include <gtest/gtest.h>

#include <string>

#include "strata/http/sse/event.hpp"

#include "../support/count_allocations.hpp"

namespace strata::http {
namespace {

TEST(SseAlloc, EncodingIntoAReusedBufferAllocatesNothing) {
  sse::Event e;
  e.data = "first line of a payload\nsecond line of it\r\nthird";
  e.event = "update";
  e.id = "123456";
  std::string out;
  sse::append_event(out, e);  // warm-up: the buffer grows once
  sse::append_comment(out, "");
  out.clear();
  allocations = 0;
  counting = true;
  for (int i = 0; i < 1000; ++i) {
    out.clear();
    sse::append_event(out, e);
    sse::append_comment(out, "");
  }
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
  EXPECT_EQ(out.size(), sse::encoded_size(e) + 2);
}

}  // namespace
}  // namespace strata::http
