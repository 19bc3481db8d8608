// Mailtrap's email logs (list with deep-object filters and a search_after
// cursor, get by id with events) and sending domains, as its OpenAPI
// document describes them.
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fakes/fake_handlers.h"

namespace ele::fake::internal {
namespace {

using Json = nlohmann::ordered_json;

// `equal` / `not_equal` (or include_event / not_include_event) over a set.
struct SetFilter {
  bool equal = true;
  std::vector<std::string> values;

  bool Matches(const std::optional<std::string>& value) const {
    const bool found = value && std::find(values.begin(), values.end(), *value) != values.end();
    return found == equal;
  }
};

struct CountFilter {
  std::string op;  // equal | greater_than | less_than
  std::int64_t value = 0;

  bool Matches(std::int64_t n) const {
    if (op == "greater_than") return n > value;
    if (op == "less_than") return n < value;
    return n == value;
  }
};

struct Filters {
  std::optional<std::int64_t> sent_after;
  std::optional<std::int64_t> sent_before;
  std::optional<SetFilter> status, stream, category, domain_id, events;
  std::optional<CountFilter> opens, clicks;

  bool NeedsMessage() const {
    return status || stream || category || domain_id || events || opens || clicks;
  }
};

std::string Key(std::string_view field, std::string_view part) {
  return "filters[" + std::string(field) + "]" + std::string(part);
}

// A filter with a missing or unknown operator, or no value, is ignored like
// any other invalid filter: the API documents that it ignores them.
std::optional<SetFilter> ParseSet(const Query& query, std::string_view field, std::string_view yes,
                                  std::string_view no) {
  const auto op = query.Get(Key(field, "[operator]"));
  if (!op || (*op != yes && *op != no)) return std::nullopt;
  SetFilter filter;
  filter.equal = *op == yes;
  filter.values = query.All(Key(field, "[value]"));
  for (std::string& v : query.All(Key(field, "[value][]"))) filter.values.push_back(std::move(v));
  if (filter.values.empty()) return std::nullopt;
  return filter;
}

std::optional<CountFilter> ParseCount(const Query& query, std::string_view field) {
  const auto op = query.Get(Key(field, "[operator]"));
  const auto raw = query.Get(Key(field, "[value]"));
  const auto value = raw ? ParseInt(*raw) : std::nullopt;
  if (!op || !value || (*op != "equal" && *op != "greater_than" && *op != "less_than")) {
    return std::nullopt;
  }
  return CountFilter{*op, *value};
}

std::optional<std::int64_t> ParseTime(const Query& query, std::string_view field) {
  const auto raw = query.Get(Key(field, ""));
  return raw ? ParseIsoMs(*raw) : std::nullopt;
}

Filters ParseFilters(const Query& query) {
  Filters f;
  f.sent_after = ParseTime(query, "sent_after");
  f.sent_before = ParseTime(query, "sent_before");
  f.status = ParseSet(query, "status", "equal", "not_equal");
  f.stream = ParseSet(query, "sending_stream", "equal", "not_equal");
  f.category = ParseSet(query, "category", "equal", "not_equal");
  f.domain_id = ParseSet(query, "sending_domain_id", "equal", "not_equal");
  f.events = ParseSet(query, "events", "include_event", "not_include_event");
  f.opens = ParseCount(query, "opens_count");
  f.clicks = ParseCount(query, "clicks_count");
  return f;
}

// Whether the message has any of the filter's events by `now`.
bool EventsMatch(const SetFilter& filter, const MtMessage& m, std::int64_t now) {
  bool any = false;
  for (const MtEvent& e : m.events) {
    if (e.at_ms <= now &&
        std::find(filter.values.begin(), filter.values.end(), e.type) != filter.values.end()) {
      any = true;
    }
  }
  return any == filter.equal;
}

bool Matches(const Filters& f, const MailtrapAccountSpec& account, const MtMessage& m,
             std::int64_t now) {
  const MtState state = MtStateAt(m, now);
  const std::string domain_id = std::to_string(account.sending_domains[m.domain].id);
  return (!f.status || f.status->Matches(state.status)) &&
         (!f.stream || f.stream->Matches(m.stream)) &&
         (!f.category || f.category->Matches(m.category)) &&
         (!f.domain_id || f.domain_id->Matches(domain_id)) &&
         (!f.events || EventsMatch(*f.events, m, now)) &&
         (!f.opens || f.opens->Matches(state.opens)) &&
         (!f.clicks || f.clicks->Matches(state.clicks));
}

Json MessageJson(const MailtrapAccountSpec& account, const MtMessage& m, std::int64_t now) {
  const MtState state = MtStateAt(m, now);
  const bool templated = m.template_id.has_value();
  return Json{{"message_id", m.id},
              {"status", state.status},
              {"subject", m.subject},
              {"from", m.from},
              {"to", m.to},
              {"sent_at", FormatIsoMs(m.sent_ms)},
              {"client_ip", m.client_ip},
              {"category", m.category ? Json(*m.category) : Json(nullptr)},
              {"custom_variables", templated ? Json::object() : Json(nullptr)},
              {"sending_stream", m.stream},
              {"sending_domain_id", account.sending_domains[m.domain].id},
              {"template_id", templated ? Json(*m.template_id) : Json(nullptr)},
              {"template_variables", templated ? Json{{"first_name", "Alex"}} : Json(nullptr)},
              {"opens_count", state.opens},
              {"clicks_count", state.clicks}};
}

// Position of a search_after cursor, or an error reply.
std::optional<Ref> CursorRef(const Scenario& scenario, std::size_t account, const Query& query,
                             std::int64_t now, bool* invalid) {
  *invalid = false;
  const auto raw = query.Get("search_after");
  if (!raw || raw->empty()) return std::nullopt;
  const auto key = ParseUuid(*raw);
  std::optional<Ref> ref;
  if (key) ref = scenario.mt_refs(account).Find(key->first, key->second, now);
  *invalid = !ref.has_value();
  return ref;
}

}  // namespace

Reply MailtrapError(int status, std::string_view message, bool plural) {
  return JsonReply(status, Json{{plural ? "errors" : "error", message}}.dump());
}

Reply MailtrapList(const Scenario& scenario, std::size_t account, const Query& query,
                   std::int64_t now) {
  const MailtrapAccountSpec& spec = scenario.spec().mailtrap[account];
  const Filters f = ParseFilters(query);
  bool invalid_cursor = false;
  const std::optional<Ref> cursor = CursorRef(scenario, account, query, now, &invalid_cursor);
  if (invalid_cursor) return MailtrapError(400, "invalid search_after");

  std::vector<Ref> refs = scenario.mt_refs(account).Collect(
      f.sent_after.value_or(std::numeric_limits<std::int64_t>::min()),
      f.sent_before.value_or(std::numeric_limits<std::int64_t>::max()), now);
  if (f.NeedsMessage()) {
    std::erase_if(refs,
                  [&](const Ref& r) { return !Matches(f, spec, scenario.Mt(account, r), now); });
  }
  // Newest first; the cursor continues strictly after its own position.
  std::reverse(refs.begin(), refs.end());
  auto begin = refs.begin();
  if (cursor) {
    begin = std::find_if(refs.begin(), refs.end(), [&](const Ref& r) { return r < *cursor; });
  }
  const auto page_size = static_cast<std::ptrdiff_t>(spec.page_size);
  const auto end = (refs.end() - begin) > page_size ? begin + page_size : refs.end();

  Json messages = Json::array();
  for (auto it = begin; it != end; ++it) {
    messages.push_back(MessageJson(spec, scenario.Mt(account, *it), now));
  }
  Json next = end != refs.end() ? Json(messages.back()["message_id"]) : Json(nullptr);
  Json body{{"messages", std::move(messages)},
            {"total_count", refs.size()},
            {"next_page_cursor", std::move(next)}};
  return JsonReply(200, body.dump());
}

Reply MailtrapDetail(const Scenario& scenario, std::size_t account, std::string_view message_id,
                     std::int64_t now, std::string_view host) {
  const MailtrapAccountSpec& spec = scenario.spec().mailtrap[account];
  const auto key = ParseUuid(message_id);
  const std::optional<Ref> ref =
      key ? scenario.mt_refs(account).Find(key->first, key->second, now) : std::nullopt;
  if (!ref) return MailtrapError(404, "Not Found");
  const MtMessage m = scenario.Mt(account, *ref);
  Json body = MessageJson(spec, m, now);
  body["raw_message_url"] = "http://" + std::string(host) + "/raw/" + m.id +
                            ".eml?signature=" + std::to_string(Mix(ref->seed, 7) % 1'000'000'007);
  Json events = Json::array();
  for (const MtEvent& e : m.events) {
    if (e.at_ms > now) break;
    events.push_back(
        Json{{"event_type", e.type}, {"created_at", FormatIsoMs(e.at_ms)}, {"details", e.details}});
  }
  body["events"] = std::move(events);
  return JsonReply(200, body.dump());
}

Reply MailtrapSendingDomains(const Scenario& scenario, std::size_t account) {
  Json data = Json::array();
  for (const SendingDomainSpec& d : scenario.spec().mailtrap[account].sending_domains) {
    data.push_back(Json{{"id", d.id},
                        {"domain_name", d.name},
                        {"demo", false},
                        {"compliance_status", d.compliance_status},
                        {"dns_verified", d.dns_verified},
                        {"open_tracking_enabled", d.open_tracking_enabled},
                        {"click_tracking_enabled", d.click_tracking_enabled},
                        {"dns_records", Json::array({Json{{"key", "dkim1"}, {"type", "CNAME"}, {"status", d.dns_verified ? "pass" : "missing"}}})}});
  }
  return JsonReply(200, Json{{"data", std::move(data)}}.dump());
}

}  // namespace ele::fake::internal
