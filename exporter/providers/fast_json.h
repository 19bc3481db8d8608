// Building blocks of the wire parsers' fast paths, on simdjson's DOM.
//
// A fast path reads a page only when it is exactly as documented and returns
// false on anything else (wrong type, missing or duplicate member), so the
// nlohmann-based reference parser reads the page again and decides: results
// and error messages stay the reference's, simdjson only buys speed (an order
// of magnitude on a 1,000-entry page; README, "Performance").
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <simdjson.h>

namespace ele::fast_json {

using simdjson::dom::element;
using simdjson::dom::object;

inline bool Int(element e, std::int64_t& out) {
  if (e.is_int64()) {
    out = e.get_int64().value_unsafe();
    return true;
  }
  if (!e.is_uint64()) return false;
  const std::uint64_t u = e.get_uint64().value_unsafe();
  if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
  out = static_cast<std::int64_t>(u);
  return true;
}

inline bool Count(element e, std::int64_t& out) { return Int(e, out) && out >= 0; }

inline bool OptionalInt(element e, std::int64_t& out) { return e.is_null() || Int(e, out); }

inline bool Number(element e, double& out) {
  if (!e.is_number()) return false;
  out = e.get_double().value_unsafe();  // integers convert, as nlohmann's get<double>
  return true;
}

inline bool String(element e, std::string& out) {
  if (!e.is_string()) return false;
  out = e.get_string().value_unsafe();
  return true;
}

inline bool Id(element e, std::string& out) { return String(e, out) && !out.empty(); }

// One bit per member a record reads: a second sighting of one (nlohmann
// keeps the last, simdjson both) hands the page to the reference parser.
class Seen {
 public:
  bool First(int bit) {
    const std::uint32_t mask = 1u << bit;
    if (bits_ & mask) return false;
    bits_ |= mask;
    return true;
  }
  bool Has(std::uint32_t mask) const { return (bits_ & mask) == mask; }

 private:
  std::uint32_t bits_ = 0;
};

template <typename T, typename ReadOne>
bool ReadArray(element e, ReadOne read_one, std::vector<T>& out) {
  simdjson::dom::array array;
  if (e.get(array)) return false;
  out.resize(array.size());
  std::size_t i = 0;
  for (element item : array) {
    if (!read_one(item, out[i++])) return false;
  }
  return true;
}

// The document's root, parsed by a per-thread parser: its buffers, sized by
// the largest page so far, are reused (a third of the parse time). The body
// is copied into padded memory, as simdjson needs. False on a syntax error.
inline bool ParseRoot(std::string_view body, element& root) {
  thread_local simdjson::dom::parser parser;
  return !parser.parse(body.data(), body.size()).get(root);
}

}  // namespace ele::fast_json
