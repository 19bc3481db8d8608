#include "exporter/providers/jetemail/jetemail_wire.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <expected>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "exporter/providers/fast_json.h"

namespace ele::jetemail {
namespace {

using Json = nlohmann::json;
// Success, or the reason a value or page was refused.
using Status = std::expected<void, std::string>;

constexpr std::size_t kMaxErrorMessageBytes = 200;

// ---------------------------------------------------------------------------
// JSON path and generic readers. Mailtrap's parser holds a copy of these: the
// two providers share no code so either can change its wire format alone.
// ---------------------------------------------------------------------------

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

std::unexpected<std::string> Fail(const Path& path, std::string_view why) {
  std::string message = path.Render();
  message += ": ";
  message += why;
  return std::unexpected(std::move(message));
}

// Names JSON kinds the way error messages talk about them: integers and
// floats apart, because that is the difference most often reported.
std::string_view KindName(const Json& value) {
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

std::unexpected<std::string> Expected(std::string_view what, const Json& got) {
  std::string message = "expected ";
  message += what;
  message += ", got ";
  message += KindName(got);
  return std::unexpected(std::move(message));
}

Status ToInt(const Json& value, std::int64_t& out) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::unexpected("integer out of range: " + std::to_string(u));
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
Status ToCount(const Json& value, std::int64_t& out) {
  if (auto status = ToInt(value, out); !status) return status;
  if (out < 0) {
    return std::unexpected("expected non-negative integer, got " + std::to_string(out));
  }
  return {};
}

Status ToNumber(const Json& value, double& out) {
  if (!value.is_number()) return Expected("number", value);
  out = value.get<double>();
  return {};
}

Status ToBool(const Json& value, bool& out) {
  if (!value.is_boolean()) return Expected("boolean", value);
  out = value.get<bool>();
  return {};
}

Status ToString(const Json& value, std::string& out) {
  if (!value.is_string()) return Expected("string", value);
  out = value.get_ref<const std::string&>();
  return {};
}

// Identifiers key de-duplication; an empty one would merge unrelated rows.
Status ToId(const Json& value, std::string& out) {
  if (auto status = ToString(value, out); !status) return status;
  if (out.empty()) return std::unexpected(std::string("expected non-empty string"));
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
      status_ = Fail(path_.Member(key), status.error());
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
    status_ = Fail(path_.Member(key), Expected(kind_name, *value).error());
    return nullptr;
  }

  const Json& object_;
  const Path& path_;
  Status status_;
};

// Reads every element of `array` with `read_one`, stopping at the first
// failure so the error names that element.
template <typename T, typename ReadOne>
Status ReadArray(const Json& array, const Path& path, ReadOne read_one, std::vector<T>& out) {
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const Path element = path.Element(i);
    const Json& value = array[i];
    if (!value.is_object()) return Fail(element, Expected("object", value).error());
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

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Whether `c` can open a JSON value: tells "an HTML error page" apart from
// "JSON cut short by a dropped connection".
bool CanStartJson(char c) {
  return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') ||
         c == 't' || c == 'f' || c == 'n';
}

// Only called once the DOM parse failed, so the second pass costs nothing on
// the success path.
std::string DescribeSyntaxError(std::string_view body) {
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

std::expected<Json, std::string> ParseJson(std::string_view body) {
  Json doc = Json::parse(body.data(), body.data() + body.size(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(DescribeSyntaxError(body));
  return doc;
}

// Cuts at `max_bytes` without splitting a UTF-8 sequence: continuation bytes
// (10xxxxxx) at the cut are dropped along with their lead byte.
std::string TruncateUtf8(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

// The text of one error member: a string, strings joined by "; ", or an
// object's own `message`. Anything else carries no usable text.
std::string ErrorText(const Json& value) {
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

std::string ErrorMessageOf(const Json& doc) {
  if (!doc.is_object()) return {};
  for (std::string_view key : {"error", "errors", "message"}) {
    auto it = doc.find(key);
    if (it == doc.end()) continue;
    std::string text = ErrorText(*it);
    if (!text.empty()) return TruncateUtf8(std::move(text), kMaxErrorMessageBytes);
  }
  return {};
}

// ---------------------------------------------------------------------------
// JetEmail records.
// ---------------------------------------------------------------------------

Status ReadAction(const Json& json, const Path& path, Action& out) {
  Fields fields(json, path);
  fields.Required("id", ToId, out.id)
      .Required("logtype", ToString, out.logtype)
      .Optional("date", ToInt, out.date_ms)
      .Optional("delay", ToNumber, out.delay_seconds)
      // "Not scored" must stay distinct from a score of 0.
      .Nullable("spam_score", ToNumber, out.spam_score);
  return fields.Take();
}

Status ReadEntry(const Json& json, const Path& path, Entry& out) {
  Fields fields(json, path);
  fields.Required("uid", ToId, out.uid)
      .Required("status", ToString, out.status)
      .Required("delivery_count", ToCount, out.delivery_count)
      .Required("rejected_count", ToCount, out.rejected_count)
      .Required("_domain", ToString, out.domain);
  if (const Json* actions = fields.RequiredArray("actions")) {
    fields.Merge(ReadArray(*actions, path.Member("actions"), ReadAction, out.actions));
  }
  return fields.Take();
}

Status ReadPagination(const Json& json, const Path& path, Page& out) {
  Fields fields(json, path);
  fields.Required("total", ToInt, out.total)
      .Required("returned", ToInt, out.returned)
      .Optional("limit", ToInt, out.limit)
      .Optional("offset", ToInt, out.offset);
  return fields.Take();
}

Status ReadDomainQueried(const Json& json, const Path& path, DomainQueried& out) {
  Fields fields(json, path);
  fields.Required("domain", ToString, out.domain)
      .Required("status", ToString, out.status)
      .Optional("count", ToInt, out.count);
  return fields.Take();
}

// `"success": false` pages carry no data; the provider's own message, when
// present, is the most useful thing to report.
Status CheckSuccess(const Json& doc, const Path& root) {
  bool success = false;
  Fields fields(doc, root);
  fields.Required("success", ToBool, success);
  if (!fields.ok()) return fields.Take();
  if (success) return {};
  std::string message = "success: false";
  if (std::string text = ErrorMessageOf(doc); !text.empty()) message += " (" + text + ")";
  return std::unexpected(std::move(message));
}

Status ReadPage(const Json& doc, Page& out) {
  const Path root;
  if (!doc.is_object()) return Fail(root, Expected("object", doc).error());
  if (auto status = CheckSuccess(doc, root); !status) return status;
  Fields fields(doc, root);
  if (const Json* data = fields.RequiredArray("data")) {
    fields.Merge(ReadArray(*data, root.Member("data"), ReadEntry, out.entries));
  }
  if (const Json* pagination = fields.RequiredObject("pagination")) {
    fields.Merge(ReadPagination(*pagination, root.Member("pagination"), out));
  }
  if (const Json* domains = fields.OptionalArray("domains_queried")) {
    fields.Merge(ReadArray(*domains, root.Member("domains_queried"), ReadDomainQueried,
                           out.domains_queried));
  }
  fields.Optional("total_domains", ToInt, out.total_domains)
      .Optional("domains_included", ToInt, out.domains_included);
  return fields.Take();
}


// ---------------------------------------------------------------------------
// Fast path: simdjson's DOM parser, for pages that are exactly as documented.
//
// nlohmann's DOM parse reads a 1,000-entry page at 63,000 entries a second
// (67 MB/s; every value becomes a heap node). simdjson parses it into one
// flat tape at 1,030,000 entries a second (1.1 GB/s), which takes ingest
// past the 500,000 a second target (benchmarks/ingest_bench). It is only a
// fast path: anything it does not accept exactly as documented (a syntax
// error, a wrong type, a missing field, a duplicate key, a number beyond 64
// bits, a byte order mark) makes it give up, and the nlohmann reader above
// parses the page again and decides, so results and error messages stay
// those of the reference parser. simdjson is stricter than nlohmann where
// they differ (checked: control characters, lone surrogates, big numbers,
// BOM), so it never accepts what the reference refuses.
// ---------------------------------------------------------------------------

namespace fast {

using fast_json::element;
using fast_json::object;
using fast_json::Count;
using fast_json::Id;
using fast_json::Int;
using fast_json::Number;
using fast_json::OptionalInt;
using fast_json::ReadArray;
using fast_json::Seen;
using fast_json::String;

bool ReadAction(element e, Action& out) {
  object obj;
  if (e.get(obj)) return false;
  enum { kId, kLogtype, kDate, kDelay, kSpamScore };
  Seen seen;
  for (auto field : obj) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "id") {
      ok = seen.First(kId) && Id(field.value, out.id);
    } else if (key == "logtype") {
      ok = seen.First(kLogtype) && String(field.value, out.logtype);
    } else if (key == "date") {
      ok = seen.First(kDate) && OptionalInt(field.value, out.date_ms);
    } else if (key == "delay") {
      ok = seen.First(kDelay) && (field.value.is_null() || Number(field.value, out.delay_seconds));
    } else if (key == "spam_score") {
      double score = 0;
      ok = seen.First(kSpamScore) && (field.value.is_null() || Number(field.value, score));
      if (ok && !field.value.is_null()) out.spam_score = score;
    }
    if (!ok) return false;
  }
  return seen.Has(1u << kId | 1u << kLogtype);
}

bool ReadEntry(element e, Entry& out) {
  object obj;
  if (e.get(obj)) return false;
  enum { kUid, kStatus, kDeliveryCount, kRejectedCount, kDomain, kActions };
  Seen seen;
  for (auto field : obj) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "uid") {
      ok = seen.First(kUid) && Id(field.value, out.uid);
    } else if (key == "status") {
      ok = seen.First(kStatus) && String(field.value, out.status);
    } else if (key == "delivery_count") {
      ok = seen.First(kDeliveryCount) && Count(field.value, out.delivery_count);
    } else if (key == "rejected_count") {
      ok = seen.First(kRejectedCount) && Count(field.value, out.rejected_count);
    } else if (key == "_domain") {
      ok = seen.First(kDomain) && String(field.value, out.domain);
    } else if (key == "actions") {
      simdjson::dom::array actions;
      ok = seen.First(kActions) && !field.value.get(actions);
      if (ok) out.actions.resize(actions.size());
      std::size_t i = 0;
      for (auto it = actions.begin(); ok && it != actions.end(); ++it) ok = ReadAction(*it, out.actions[i++]);
    }
    if (!ok) return false;
  }
  return seen.Has(1u << kUid | 1u << kStatus | 1u << kDeliveryCount | 1u << kRejectedCount | 1u << kDomain | 1u << kActions);
}

bool ReadPagination(element e, Page& out) {
  object obj;
  if (e.get(obj)) return false;
  enum { kTotal, kReturned, kLimit, kOffset };
  Seen seen;
  for (auto field : obj) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "total") {
      ok = seen.First(kTotal) && Int(field.value, out.total);
    } else if (key == "returned") {
      ok = seen.First(kReturned) && Int(field.value, out.returned);
    } else if (key == "limit") {
      ok = seen.First(kLimit) && OptionalInt(field.value, out.limit);
    } else if (key == "offset") {
      ok = seen.First(kOffset) && OptionalInt(field.value, out.offset);
    }
    if (!ok) return false;
  }
  return seen.Has(1u << kTotal | 1u << kReturned);
}

bool ReadDomainQueried(element e, DomainQueried& out) {
  object obj;
  if (e.get(obj)) return false;
  enum { kDomain, kStatus, kCount };
  Seen seen;
  for (auto field : obj) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "domain") {
      ok = seen.First(kDomain) && String(field.value, out.domain);
    } else if (key == "status") {
      ok = seen.First(kStatus) && String(field.value, out.status);
    } else if (key == "count") {
      ok = seen.First(kCount) && OptionalInt(field.value, out.count);
    }
    if (!ok) return false;
  }
  return seen.Has(1u << kDomain | 1u << kStatus);
}

std::optional<Page> ReadPage(element root) {
  object obj;
  if (root.get(obj)) return std::nullopt;
  enum { kSuccess, kData, kPagination, kDomainsQueried, kTotalDomains, kDomainsIncluded };
  Seen seen;
  Page page;
  bool success = false;
  for (auto field : obj) {
    const std::string_view key = field.key;
    bool ok = true;
    if (key == "success") {
      ok = seen.First(kSuccess) && !field.value.get(success) && success;
    } else if (key == "data") {
      ok = seen.First(kData) && ReadArray(field.value, ReadEntry, page.entries);
    } else if (key == "pagination") {
      ok = seen.First(kPagination) && ReadPagination(field.value, page);
    } else if (key == "domains_queried") {
      ok = seen.First(kDomainsQueried) && (field.value.is_null() || ReadArray(field.value, ReadDomainQueried, page.domains_queried));
    } else if (key == "total_domains") {
      ok = seen.First(kTotalDomains) && OptionalInt(field.value, page.total_domains);
    } else if (key == "domains_included") {
      ok = seen.First(kDomainsIncluded) && OptionalInt(field.value, page.domains_included);
    }
    if (!ok) return std::nullopt;
  }
  if (!seen.Has(1u << kSuccess | 1u << kData | 1u << kPagination)) return std::nullopt;
  return page;
}

// The page when it is exactly as documented; std::nullopt hands it to the
// reference parser.
std::optional<Page> ParsePage(std::string_view body) {
  element root;
  if (!fast_json::ParseRoot(body, root)) return std::nullopt;
  return ReadPage(root);
}

}  // namespace fast
}  // namespace

std::expected<Page, std::string> ParsePageReference(std::string_view body) {
  try {
    auto doc = ParseJson(body);
    if (!doc) return std::unexpected(std::move(doc.error()));
    Page page;
    if (auto status = ReadPage(*doc, page); !status) return std::unexpected(std::move(status.error()));
    return page;
  } catch (const std::exception& e) {
    // nlohmann or the allocator; the contract is to report, never to throw.
    return std::unexpected(std::string("internal parser error: ") + e.what());
  }
}

std::expected<Page, std::string> ParsePage(std::string_view body) {
  try {
    if (auto page = fast::ParsePage(body)) return std::move(*page);
  } catch (const std::exception&) {
    // Allocation failure in the fast path: the reference path reports it.
  }
  return ParsePageReference(body);
}

std::string ParseErrorMessage(std::string_view body) {
  try {
    const Json doc = Json::parse(body.data(), body.data() + body.size(), nullptr,
                                 /*allow_exceptions=*/false);
    return doc.is_discarded() ? std::string() : ErrorMessageOf(doc);
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace ele::jetemail
