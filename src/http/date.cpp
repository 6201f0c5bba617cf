#include "strata/http/date.hpp"

#include <algorithm>
#include <cstring>

namespace strata::http {

namespace {

constexpr char day_names[7][4] = {"Thu", "Fri", "Sat", "Sun",
                                  "Mon", "Tue", "Wed"};  // from 1970-01-01
constexpr std::string_view long_day_names[7] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                                "Monday",   "Tuesday", "Wednesday"};
constexpr char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::int64_t seconds_per_day = 86400;
constexpr std::int64_t min_seconds = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t max_seconds = 253402300799;  // 9999-12-31T23:59:59Z

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr Civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(1994, 11, 6) * seconds_per_day == 784080000);

constexpr bool is_leap(std::int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// 0 = Thursday, as day_names.
constexpr unsigned weekday(std::int64_t days) noexcept {
  return static_cast<unsigned>(((days % 7) + 7) % 7);
}

// Whole days since 1970-01-01 of a (clamped) Unix time, rounding down.
constexpr std::int64_t floor_days(std::int64_t unix_seconds) noexcept {
  const std::int64_t t = std::clamp(unix_seconds, min_seconds, max_seconds);
  return t / seconds_per_day - (t % seconds_per_day < 0 ? 1 : 0);
}

void put2(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Reads exactly n ASCII digits.
bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

int month_index(std::string_view s) noexcept {
  for (int i = 0; i < 12; ++i) {
    if (s == month_names[i]) return i + 1;
  }
  return 0;
}

// "HH:MM:SS" at pos.
bool time_of_day(std::string_view s, std::size_t pos, unsigned& h, unsigned& mi,
                 unsigned& se) noexcept {
  return digits(s, pos, 2, h) && pos + 2 < s.size() && s[pos + 2] == ':' &&
         digits(s, pos + 3, 2, mi) && pos + 5 < s.size() && s[pos + 5] == ':' &&
         digits(s, pos + 6, 2, se) && h < 24 && mi < 60 && se <= 60;
}

std::unexpected<Error> bad_date() {
  return fail(Errc::invalid_input, "http date");
}

// Validates the date and that `day` (0 = Thursday) is its weekday; returns Unix seconds.
Result<std::int64_t> assemble(std::int64_t y, unsigned m, unsigned d, unsigned h, unsigned mi,
                              unsigned se, unsigned day) noexcept {
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return bad_date();
  const std::int64_t days = days_from_civil(y, m, d);
  if (weekday(days) != day) return bad_date();
  return days * seconds_per_day + h * 3600 + mi * 60 + se;
}

int short_day_index(std::string_view s) noexcept {
  for (int i = 0; i < 7; ++i) {
    if (s == day_names[i]) return i;
  }
  return -1;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
Result<std::int64_t> parse_imf(std::string_view s) noexcept {
  if (s.size() != http_date_len) return bad_date();
  const int day = short_day_index(s.substr(0, 3));
  unsigned d, y, h, mi, se;
  if (day < 0 || s.substr(3, 2) != ", " || !digits(s, 5, 2, d) || s[7] != ' ' || s[11] != ' ' ||
      !digits(s, 12, 4, y) || s[16] != ' ' || !time_of_day(s, 17, h, mi, se) ||
      s.substr(25) != " GMT") {
    return bad_date();
  }
  const int m = month_index(s.substr(8, 3));
  if (m == 0) return bad_date();
  return assemble(y, static_cast<unsigned>(m), d, h, mi, se, static_cast<unsigned>(day));
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
Result<std::int64_t> parse_rfc850(std::string_view s, std::int64_t now) noexcept {
  const std::size_t comma = s.find(',');
  if (comma == std::string_view::npos) return bad_date();
  int day = -1;
  for (int i = 0; i < 7; ++i) {
    if (s.substr(0, comma) == long_day_names[i]) day = i;
  }
  std::string_view r = s.substr(comma);
  unsigned d, yy, h, mi, se;
  if (day < 0 || r.size() != 24 || r.substr(0, 2) != ", " || !digits(r, 2, 2, d) || r[4] != '-' ||
      r[8] != '-' || !digits(r, 9, 2, yy) || r[11] != ' ' || !time_of_day(r, 12, h, mi, se) ||
      r.substr(20) != " GMT") {
    return bad_date();
  }
  const int m = month_index(r.substr(5, 3));
  if (m == 0) return bad_date();
  // RFC 9110 §5.6.7: the most recent year in the past with these two digits, unless that is
  // more than 50 years back (then the next one).
  const std::int64_t now_year = civil_from_days(floor_days(now)).y;
  std::int64_t y = now_year - now_year % 100 + yy;
  if (y > now_year + 50) y -= 100;
  if (y < now_year - 49 && y + 100 <= now_year + 50) y += 100;
  return assemble(y, static_cast<unsigned>(m), d, h, mi, se, static_cast<unsigned>(day));
}

// "Sun Nov  6 08:49:37 1994"
Result<std::int64_t> parse_asctime(std::string_view s) noexcept {
  if (s.size() != 24) return bad_date();
  const int day = short_day_index(s.substr(0, 3));
  unsigned d, y, h, mi, se;
  if (day < 0 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || !time_of_day(s, 11, h, mi, se) ||
      s[19] != ' ' || !digits(s, 20, 4, y)) {
    return bad_date();
  }
  // day = ( 2DIGIT / ( SP DIGIT ) )
  if (s[8] == ' ') {
    if (!digits(s, 9, 1, d)) return bad_date();
  } else if (!digits(s, 8, 2, d)) {
    return bad_date();
  }
  const int m = month_index(s.substr(4, 3));
  if (m == 0) return bad_date();
  return assemble(y, static_cast<unsigned>(m), d, h, mi, se, static_cast<unsigned>(day));
}

}  // namespace

void format_http_date(std::int64_t unix_seconds, std::span<char, http_date_len> out) noexcept {
  const std::int64_t t = std::clamp(unix_seconds, min_seconds, max_seconds);
  const std::int64_t days = floor_days(t);
  const std::int64_t secs = t - days * seconds_per_day;
  const Civil c = civil_from_days(days);
  char* p = out.data();
  std::memcpy(p, day_names[weekday(days)], 3);
  p[3] = ',';
  p[4] = ' ';
  put2(p + 5, c.d);
  p[7] = ' ';
  std::memcpy(p + 8, month_names[c.m - 1], 3);
  p[11] = ' ';
  const auto y = static_cast<unsigned>(c.y);
  put2(p + 12, y / 100);
  put2(p + 14, y % 100);
  p[16] = ' ';
  const auto s = static_cast<unsigned>(secs);
  put2(p + 17, s / 3600);
  p[19] = ':';
  put2(p + 20, s / 60 % 60);
  p[22] = ':';
  put2(p + 23, s % 60);
  std::memcpy(p + 25, " GMT", 4);
}

Result<std::int64_t> parse_http_date(std::string_view text, std::int64_t now) noexcept {
  if (text.size() == http_date_len && text.size() > 3 && text[3] == ',') return parse_imf(text);
  if (text.size() == 24 && text.size() > 3 && text[3] == ' ') return parse_asctime(text);
  return parse_rfc850(text, now);
}

Result<std::int64_t> parse_http_date(std::string_view text) noexcept {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return parse_http_date(text, now);
}

}  // namespace strata::http
