// JetEmail's account-wide inbound logs, as its API page documents them.
#include <algorithm>
#include <limits>
#include <utility>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fakes/fake_handlers.h"

namespace ele::fake::internal {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxDomainsPerCall = 20;
constexpr std::int64_t kMaxSeconds = 100'000'000'000;  // keeps *1000 far from overflow

struct LogsQuery {
  std::int64_t limit = 100;
  std::int64_t offset = 0;
  bool ascending = false;
  std::optional<std::int64_t> date_from;  // Unix seconds
  std::optional<std::int64_t> date_to;
  std::vector<std::size_t> domains;  // indexes into the account's domains, in query order
};

// Parses an optional integer parameter within [lo, hi]; false on a bad one.
bool IntParam(const Query& query, const char* name, std::int64_t lo, std::int64_t hi,
              std::optional<std::int64_t>* out) {
  const auto raw = query.Get(name);
  if (!raw) return true;
  const auto value = ParseInt(*raw);
  if (!value || *value < lo || *value > hi) return false;
  *out = value;
  return true;
}

// Without `domains` the API queries the first 20 of the account; with it,
// the named ones (unknown names ignored, at most 20 names).
bool ParseDomains(const Query& query, const std::vector<JetDomain>& all,
                  std::vector<std::size_t>* out, std::string* error) {
  const auto raw = query.Get("domains");
  if (!raw || raw->empty()) {
    for (std::size_t i = 0; i < std::min(all.size(), kMaxDomainsPerCall); ++i) out->push_back(i);
    return true;
  }
  std::vector<std::string> names;
  std::size_t begin = 0;
  while (begin <= raw->size()) {
    std::size_t end = raw->find(',', begin);
    if (end == std::string::npos) end = raw->size();
    std::string name = raw->substr(begin, end - begin);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) names.push_back(ToLower(name));
    begin = end + 1;
  }
  if (names.size() > kMaxDomainsPerCall) {
    *error = "A maximum of 20 domains can be queried at once";
    return false;
  }
  for (const std::string& name : names) {
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i].name == name && std::find(out->begin(), out->end(), i) == out->end()) {
        out->push_back(i);
      }
    }
  }
  return true;
}

bool ParseLogsQuery(const Query& query, const std::vector<JetDomain>& domains, LogsQuery* out,
                    std::string* error) {
  std::optional<std::int64_t> limit, page, offset;
  if (!IntParam(query, "limit", 1, 1000, &limit)) {
    *error = "limit must be an integer between 1 and 1000";
    return false;
  }
  if (!IntParam(query, "page", 1, std::numeric_limits<std::int32_t>::max(), &page) ||
      !IntParam(query, "offset", 0, std::numeric_limits<std::int32_t>::max(), &offset)) {
    *error = "page must be >= 1 and offset >= 0";
    return false;
  }
  if (!IntParam(query, "date_from", -kMaxSeconds, kMaxSeconds, &out->date_from) ||
      !IntParam(query, "date_to", -kMaxSeconds, kMaxSeconds, &out->date_to)) {
    *error = "date_from and date_to must be Unix timestamps";
    return false;
  }
  if (const auto order = query.Get("sort_order")) {
    const std::string lower = ToLower(*order);
    if (lower != "asc" && lower != "desc") {
      *error = "sort_order must be ASC or DESC";
      return false;
    }
    out->ascending = lower == "asc";
  }
  out->limit = limit.value_or(100);
  // `page` takes precedence over `offset`.
  out->offset = page ? (*page - 1) * out->limit : offset.value_or(0);
  return ParseDomains(query, domains, &out->domains, error);
}

Json ActionJson(const JetAction& action) {
  return Json{{"id", action.id},
              {"logtype", action.logtype},
              {"response", action.response},
              {"date", action.date_ms},
              {"timestamp", FormatIsoMs(action.date_ms)},
              {"host", action.host},
              {"ip", action.ip},
              {"port", action.port},
              {"mode", action.mode},
              {"delay", action.delay_s},
              {"spam_score", action.spam_score},
              {"spam_report", action.spam_report}};
}

Json EntryJson(const JetDomain& domain, const JetMessage& m, const JetState& state) {
  Json actions = Json::array();
  for (const JetAction* action : state.actions) actions.push_back(ActionJson(*action));
  return Json{{"_domain", domain.name},
              {"_domain_uuid", domain.uuid},
              {"_domain_type", "domain"},
              {"uid", m.uid},
              {"status", state.status},
              {"from", m.from},
              {"to", m.to},
              {"subject", m.subject},
              {"rejected_count", state.rejected_count},
              {"delivery_count", state.delivery_count},
              {"delivered_timestamp",
               state.delivered_timestamp ? Json(*state.delivered_timestamp) : Json(nullptr)},
              {"rejected_response", state.rejected_response},
              {"response", state.response},
              {"actions", std::move(actions)}};
}

// Upper bound of the arrival filter. With page jitter on, the API lets in up
// to 2 s more, differently from one call to the next (like the real one's
// inconsistent date filter).
std::int64_t UpperBoundMs(const Scenario& scenario, std::size_t account, const LogsQuery& q,
                          std::int64_t now) {
  if (!q.date_to) return now;
  std::int64_t hi = *q.date_to * 1000 + 999;
  if (scenario.spec().jetemail[account].page_jitter) {
    const std::uint64_t roll =
        Mix(Mix(scenario.spec().seed, static_cast<std::uint64_t>(*q.date_to)),
            static_cast<std::uint64_t>(now));
    hi += static_cast<std::int64_t>(roll % 2001);
  }
  return hi;
}

// Entries whose filter date lies in [lo, hi], ascending by it: the arrival,
// or with date_filter_on_last_change the latest change up to `now`.
std::vector<Ref> FilteredRefs(const Scenario& scenario, std::size_t account, std::int64_t lo,
                              std::int64_t hi, std::int64_t now) {
  const RefSource& source = scenario.jet_refs(account);
  if (!scenario.spec().jetemail[account].date_filter_on_last_change) return source.Collect(lo, hi, now);
  // A change comes after the arrival, so only arrivals up to `hi` qualify.
  std::vector<std::pair<std::int64_t, Ref>> by_change;
  for (const Ref& ref : source.Collect(std::numeric_limits<std::int64_t>::min(), hi, now)) {
    std::int64_t changed = ref.at_ms;
    for (const JetStep& step : scenario.Jet(account, ref).steps) {
      if (step.at_ms <= now) changed = step.at_ms;
    }
    if (changed >= lo && changed <= hi) by_change.emplace_back(changed, ref);
  }
  std::sort(by_change.begin(), by_change.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first < b.first : a.second < b.second; });
  std::vector<Ref> refs;
  for (const auto& [changed, ref] : by_change) refs.push_back(ref);
  return refs;
}

}  // namespace

Reply JetEmailError(int status, std::string_view message) {
  return JsonReply(status, Json{{"success", false}, {"message", message}}.dump());
}

Reply JetEmailLogs(const Scenario& scenario, std::size_t account, const Query& query,
                   std::int64_t now) {
  const std::vector<JetDomain>& domains = scenario.jet_domains(account);
  LogsQuery q;
  std::string error;
  if (!ParseLogsQuery(query, domains, &q, &error)) return JetEmailError(400, error);

  const std::int64_t lo =
      q.date_from ? *q.date_from * 1000 : std::numeric_limits<std::int64_t>::min();
  std::vector<Ref> refs = FilteredRefs(scenario, account, lo, UpperBoundMs(scenario, account, q, now), now);
  std::vector<bool> queried(domains.size(), false);
  for (const std::size_t i : q.domains) queried[i] = true;
  std::erase_if(refs, [&](const Ref& r) { return !queried[static_cast<std::size_t>(r.domain)]; });
  std::vector<std::int64_t> counts(domains.size(), 0);
  for (const Ref& r : refs) ++counts[static_cast<std::size_t>(r.domain)];
  // Newest first by default: arrival, then uid, both descending.
  if (!q.ascending) std::reverse(refs.begin(), refs.end());

  Json data = Json::array();
  const auto total = static_cast<std::int64_t>(refs.size());
  for (std::int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) {
    const Ref& ref = refs[static_cast<std::size_t>(i)];
    const JetMessage m = scenario.Jet(account, ref);
    data.push_back(EntryJson(domains[static_cast<std::size_t>(ref.domain)], m, JetStateAt(m, now)));
  }
  Json queried_json = Json::array();
  for (const std::size_t i : q.domains) {
    queried_json.push_back(Json{{"domain", domains[i].name},
                                {"domain_uuid", domains[i].uuid},
                                {"domain_type", "domain"},
                                {"count", counts[i]},
                                {"status", "success"}});
  }
  const auto returned = static_cast<std::int64_t>(data.size());
  Json body{{"success", true},
            {"data", std::move(data)},
            {"pagination",
             {{"total", total}, {"limit", q.limit}, {"offset", q.offset}, {"returned", returned}}},
            {"domains_queried", std::move(queried_json)},
            {"total_domains", domains.size()},
            {"domains_included", q.domains.size()}};
  return JsonReply(200, body.dump());
}

}  // namespace ele::fake::internal
