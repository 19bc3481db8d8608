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

#include "exporter/providers/json_reader.h"

#include "exporter/providers/fast_json.h"

namespace ele::jetemail {
namespace {

using namespace json_reader;  // Json, Status, Path, Fields, the converters

// ---------------------------------------------------------------------------
// JetEmail records.
// ---------------------------------------------------------------------------

Status ReadAction(const Json& json, const Path& path, events::InboundAction& out) {
  Fields fields(json, path);
  fields.Required("id", ToId, out.id)
      .Required("logtype", ToString, out.logtype)
      .Optional("date", ToInt, out.date_ms)
      .Optional("delay", ToNumber, out.delay_seconds)
      // "Not scored" must stay distinct from a score of 0.
      .Nullable("spam_score", ToNumber, out.spam_score);
  return fields.Take();
}

Status ReadEntry(const Json& json, const Path& path, events::InboundSighting& out) {
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
  return ele::Fail(std::move(message));
}

Status ReadPage(const Json& doc, Page& out) {
  const Path root;
  if (!doc.is_object()) return Fail(root, Expected("object", doc).error().message);
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

bool ReadAction(element e, events::InboundAction& out) {
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

bool ReadEntry(element e, events::InboundSighting& out) {
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
      // Not an array (null, say): ReadArray refuses before touching it.
      ok = seen.First(kActions) && ReadArray(field.value, ReadAction, out.actions);
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

Result<Page> ParsePageReference(std::string_view body) {
  try {
    auto doc = ParseJson(body);
    if (!doc) return std::unexpected(std::move(doc.error()));
    Page page;
    if (auto status = ReadPage(*doc, page); !status) return std::unexpected(std::move(status.error()));
    return page;
  } catch (const std::exception& e) {
    // nlohmann or the allocator; the contract is to report, never to throw.
    return ele::Fail(std::string("internal parser error: ") + e.what());
  }
}

Result<Page> ParsePage(std::string_view body) {
  try {
    if (auto page = fast::ParsePage(body)) return std::move(*page);
  } catch (const std::exception&) {
    // Allocation failure in the fast path: the reference path reports it.
  }
  return ParsePageReference(body);
}

std::string ParseErrorMessage(std::string_view body) { return ErrorMessageOfBody(body); }

}  // namespace ele::jetemail
