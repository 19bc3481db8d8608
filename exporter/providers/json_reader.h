// Reading JSON pages with nlohmann/json into typed records, shared by the
// providers' reference parsers: a JSON path rendered only when an error is
// reported, converters that name what they expected, a `Fields` reader that
// turns a record into a flat list of declarations, and syntax errors told
// apart ("not JSON" from "cut short at byte N"). What a page means stays in
// each provider's wire file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "exporter/base/error.h"

namespace ele::json_reader {

using Json = nlohmann::json;
// Success, or the reason a value or page was refused.
using Status = Result<void>;

inline constexpr std::size_t kMaxErrorMessageBytes = 200;

// A JSON path kept on the stack and rendered only when an error is reported,
// so the success path allocates nothing for it.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;  // member name; unused for array elements
  std::size_t index = 0;
  bool is_element = false;

  Path Member(std::string_view name) const { return {this, name, 0, false}; }
  Path Element(std::size_t i) const { return {this, {}, i, true}; }

  void AppendTo(std::string& out) const {
    if (parent != nullptr) parent->AppendTo(out);
    if (is_element) {
      out += '[';
      out += std::to_string(index);
      out += ']';
    } else if (!key.empty()) {
      if (!out.empty()) out += '.';
      out += key;
    }
  }

  std::string Render() const {
    std::string out;
    AppendTo(out);
    return out.empty() ? std::string("body") : out;
  }
};

inline std::unexpected<Error> Fail(const Path& path, std::string_view why) {
  std::string message = path.Render();
  message += ": ";
  message += why;
  return ele::Fail(std::move(message));
}

// Names JSON kinds the way error messages talk about them: integers and
// floats apart, because that is the difference most often reported.
inline std::string_view KindName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "float";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "unknown";
  }
}

inline std::unexpected<Error> Expected(std::string_view what, const Json& got) {
  std::string message = "expected ";
  message += what;
  message += ", got ";
  message += KindName(got);
  return ele::Fail(std::move(message));
}

inline Status ToInt(const Json& value, std::int64_t& out) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return ele::Fail("integer out of range: " + std::to_string(u));
    }
    out = static_cast<std::int64_t>(u);
    return {};
  }
  if (value.is_number_integer()) {
    out = value.get<std::int64_t>();
    return {};
  }
  return Expected("integer", value);
}

// Counts come from the provider's aggregation; a negative one means the
// page is corrupt, and would make a Prometheus counter go backwards.
inline Status ToCount(const Json& value, std::int64_t& out) {
  if (auto status = ToInt(value, out); !status) return status;
  if (out < 0) {
    return ele::Fail("expected non-negative integer, got " + std::to_string(out));
  }
  return {};
}

inline Status ToString(const Json& value, std::string& out) {
  if (!value.is_string()) return Expected("string", value);
  out = value.get_ref<const std::string&>();
  return {};
}

// Identifiers key de-duplication; an empty one would merge unrelated rows.
inline Status ToId(const Json& value, std::string& out) {
  if (auto status = ToString(value, out); !status) return status;
  if (out.empty()) return ele::Fail("expected non-empty string");
  return {};
}

inline Status ToNumber(const Json& value, double& out) {
  if (!value.is_number()) return Expected("number", value);
  out = value.get<double>();
  return {};
}

inline Status ToBool(const Json& value, bool& out) {
  if (!value.is_boolean()) return Expected("boolean", value);
  out = value.get<bool>();
  return {};
}

template <typename T>
using Converter = Status (*)(const Json&, T&);

// Reads members of one JSON object. The first failure wins and later reads
// become no-ops, so a record's fields read as a flat list of declarations.
class Fields {
 public:
  Fields(const Json& object, const Path& path) : object_(object), path_(path) {}

  template <typename T>
  Fields& Required(std::string_view key, Converter<T> convert, T& out) {
    if (!status_) return *this;
    const Json* value = Find(key);
    if (value == nullptr) {
      status_ = Fail(path_.Member(key), "missing");
    } else {
      Convert(key, *value, convert, out);
    }
    return *this;
  }

  // Absent and null both leave `out` at its default.
  template <typename T>
  Fields& Optional(std::string_view key, Converter<T> convert, T& out) {
    if (!status_) return *this;
    const Json* value = Find(key);
    if (value != nullptr && !value->is_null()) Convert(key, *value, convert, out);
    return *this;
  }

  // Absent and null both give std::nullopt, which differs from any value.
  template <typename T>
  Fields& Nullable(std::string_view key, Converter<T> convert, std::optional<T>& out) {
    if (!status_) return *this;
    const Json* value = Find(key);
    if (value == nullptr || value->is_null()) {
      out.reset();
      return *this;
    }
    T parsed{};
    Convert(key, *value, convert, parsed);
    if (status_) out = std::move(parsed);
    return *this;
  }

  // The key must be present; null gives std::nullopt.
  template <typename T>
  Fields& RequiredNullable(std::string_view key, Converter<T> convert, std::optional<T>& out) {
    if (status_ && Find(key) == nullptr) status_ = Fail(path_.Member(key), "missing");
    return Nullable(key, convert, out);
  }

  // The member if it has the wanted kind; nullptr (and a failure) otherwise.
  const Json* RequiredArray(std::string_view key) {
    return Container(key, /*required=*/true, Json::value_t::array, "array");
  }
  // The member if it is an array; nullptr when absent or null.
  const Json* OptionalArray(std::string_view key) {
    return Container(key, /*required=*/false, Json::value_t::array, "array");
  }
  const Json* RequiredObject(std::string_view key) {
    return Container(key, /*required=*/true, Json::value_t::object, "object");
  }

  // Records a failure found by the caller while reading a nested value.
  void Merge(Status status) {
    if (status_ && !status) status_ = std::move(status);
  }

  bool ok() const { return status_.has_value(); }
  Status Take() { return std::move(status_); }

 private:
  const Json* Find(std::string_view key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  template <typename T>
  void Convert(std::string_view key, const Json& value, Converter<T> convert, T& out) {
    if (auto status = convert(value, out); !status) {
      status_ = Fail(path_.Member(key), status.error().message);
    }
  }

  const Json* Container(std::string_view key, bool required, Json::value_t kind,
                        std::string_view kind_name) {
    if (!status_) return nullptr;
    const Json* value = Find(key);
    if (value == nullptr) {
      if (required) status_ = Fail(path_.Member(key), "missing");
      return nullptr;
    }
    if (value->type() == kind) return value;
    if (!required && value->is_null()) return nullptr;
    status_ = Fail(path_.Member(key), Expected(kind_name, *value).error().message);
    return nullptr;
  }

  const Json& object_;
  const Path& path_;
  Status status_;
};

// Reads every element of `array` with `read_one`, stopping at the first
// failure so the error names that element.
template <typename T, typename ReadOne>
inline Status ReadArray(const Json& array, const Path& path, ReadOne read_one, std::vector<T>& out) {
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const Path element = path.Element(i);
    const Json& value = array[i];
    if (!value.is_object()) return Fail(element, Expected("object", value).error().message);
    T item;
    if (auto status = read_one(value, element, item); !status) return status;
    out.push_back(std::move(item));
  }
  return {};
}

// Records where a SAX parse stopped; every event is accepted unchanged.
class SyntaxErrorLocator : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    position_ = position;
    return false;
  }
  std::size_t position() const { return position_; }

 private:
  std::size_t position_ = 0;  // nlohmann counts from 1; EOF is size + 1
};

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Whether `c` can open a JSON value: tells "an HTML error page" apart from
// "JSON cut short by a dropped connection".
inline bool CanStartJson(char c) {
  return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') ||
         c == 't' || c == 'f' || c == 'n';
}

// Only called once the DOM parse failed, so the second pass costs nothing on
// the success path.
inline std::string DescribeSyntaxError(std::string_view body) {
  std::size_t first = 0;
  while (first < body.size() && IsSpace(body[first])) ++first;
  if (first == body.size()) return "not JSON: empty body";
  // A UTF-8 byte order mark is valid before JSON, nlohmann skips it.
  if (!CanStartJson(body[first]) && body.substr(first, 3) != "\xEF\xBB\xBF") return "not JSON";
  SyntaxErrorLocator locator;
  Json::sax_parse(body.data(), body.data() + body.size(), &locator);
  std::size_t offset = locator.position() == 0 ? 0 : locator.position() - 1;
  if (offset > body.size()) offset = body.size();
  return "truncated or invalid JSON at byte " + std::to_string(offset);
}

inline Result<Json> ParseJson(std::string_view body) {
  Json doc = Json::parse(body.data(), body.data() + body.size(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) return ele::Fail(DescribeSyntaxError(body));
  return doc;
}

// Cuts at `max_bytes` without splitting a UTF-8 sequence: continuation bytes
// (10xxxxxx) at the cut are dropped along with their lead byte.
inline std::string TruncateUtf8(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

// The text of one error member: a string, strings joined by "; ", or an
// object's own `message`. Anything else carries no usable text.
inline std::string ErrorText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) {
    auto it = value.find("message");
    return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
  if (!value.is_array()) return {};
  std::string joined;
  for (const Json& item : value) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) continue;
    if (!joined.empty()) joined += "; ";
    joined += item.get_ref<const std::string&>();
  }
  return joined;
}

inline std::string ErrorMessageOf(const Json& doc) {
  if (!doc.is_object()) return {};
  for (std::string_view key : {"error", "errors", "message"}) {
    auto it = doc.find(key);
    if (it == doc.end()) continue;
    std::string text = ErrorText(*it);
    if (!text.empty()) return TruncateUtf8(std::move(text), kMaxErrorMessageBytes);
  }
  return {};
}

// ErrorMessageOf an HTTP error body, which may be anything. Never throws.
inline std::string ErrorMessageOfBody(std::string_view body) {
  try {
    const Json doc = Json::parse(body.data(), body.data() + body.size(), nullptr, /*allow_exceptions=*/false);
    return doc.is_discarded() ? std::string() : ErrorMessageOf(doc);
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace ele::json_reader
