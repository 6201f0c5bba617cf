// Internal: the boilerplate of the forward iterators over header values, list elements and query
// pairs (Headers::ValueRange, ListElements, QueryParams), written once as a CRTP base: the
// iterator traits and both increments, in terms of the derived iterator's advance().
//
//   class iterator : public detail::AdvancingIterator<iterator, std::string_view> {
//     friend detail::AdvancingIterator<iterator, std::string_view>;   // may call advance()
//     void advance() noexcept;   // moves to the next element (or to the end)
//     ...                        // operator*, operator== and the state stay in the iterator
//   };
#pragma once

#include <cstddef>
#include <iterator>

namespace strata::http::detail {

// Traits and increments of a forward iterator whose step is Derived::advance().
template <class Derived, class Value, class Reference = Value>
class AdvancingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using pointer = const Value*;
  using reference = Reference;

  Derived& operator++() noexcept {
    self().advance();
    return self();
  }
  Derived operator++(int) noexcept {
    Derived t = self();
    self().advance();
    return t;
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace strata::http::detail
