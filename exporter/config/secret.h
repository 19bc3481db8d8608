// A token that is never printed: no stream operator, no implicit conversion.
// The only way to the bytes is Reveal(), called where an auth header is built.
#pragma once

#include <string>
#include <utility>

namespace ele {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

}  // namespace ele
