#include "strata/http/status.hpp"

#include <array>
#include <cstddef>

namespace strata::http {

namespace {

struct Registered {
  std::uint16_t code;
  std::string_view reason;
};

// The IANA "HTTP Status Code Registry" (RFC 9110 §15 and the RFCs it cites); 306 and 418 are
// registered as "(Unused)" and have no phrase here.
constexpr Registered registry[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

constexpr std::size_t code_count = 900;  // 100..999

constexpr std::string_view reason_of(std::uint16_t code) {
  for (const auto& r : registry) {
    if (r.code == code) return r.reason;
  }
  return {};
}

// "HTTP/1.1 " + 3 digits + " " + reason + "\r\n"
constexpr std::size_t line_len(std::uint16_t code) {
  return 15 + reason_of(code).size();
}

constexpr std::size_t total_len() {
  std::size_t n = 0;
  for (std::uint16_t c = 100; c < 1000; ++c) n += line_len(c);
  return n;
}

// Every status line back to back, and where each starts: one constant-initialised table, so
// status_line() is two loads.
struct LineTable {
  std::array<char, total_len()> bytes{};
  std::array<std::uint32_t, code_count + 1> offset{};
  std::array<std::string_view, code_count> reason{};
};

constexpr LineTable build_table() {
  LineTable t;
  std::size_t pos = 0;
  for (std::uint16_t c = 100; c < 1000; ++c) {
    t.offset[c - 100] = static_cast<std::uint32_t>(pos);
    t.reason[c - 100] = reason_of(c);
    for (char ch : std::string_view("HTTP/1.1 ")) t.bytes[pos++] = ch;
    t.bytes[pos++] = static_cast<char>('0' + c / 100);
    t.bytes[pos++] = static_cast<char>('0' + c / 10 % 10);
    t.bytes[pos++] = static_cast<char>('0' + c % 10);
    t.bytes[pos++] = ' ';
    for (char ch : reason_of(c)) t.bytes[pos++] = ch;
    t.bytes[pos++] = '\r';
    t.bytes[pos++] = '\n';
  }
  t.offset[code_count] = static_cast<std::uint32_t>(pos);
  return t;
}

constexpr LineTable table = build_table();

static_assert(std::string_view(table.bytes.data() + table.offset[100], 17) ==
              "HTTP/1.1 200 OK\r\n");

}  // namespace

std::string_view StatusCode::reason() const noexcept {
  return table.reason[code_ - 100];
}

std::string_view status_line(StatusCode code) noexcept {
  const std::size_t i = code.as_u16() - 100u;
  return {table.bytes.data() + table.offset[i], table.offset[i + 1] - table.offset[i]};
}

}  // namespace strata::http
