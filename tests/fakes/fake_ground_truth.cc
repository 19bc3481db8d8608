// Ground truth: what the exporter's series must read once every scripted
// change has happened, computed from the timelines themselves (not from API
// answers), per the metric catalogue of the contract.
#include <algorithm>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "tests/fakes/fake_handlers.h"

namespace ele::fake::internal {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// `name{a="1",b="2"}` with labels sorted by name.
std::string Series(std::string_view name, Labels labels) {
  std::sort(labels.begin(), labels.end());
  std::string out(name);
  out += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first + "=\"" + labels[i].second + "\"";
  }
  out += '}';
  return out;
}

class Truth {
 public:
  void Add(std::string_view name, Labels labels, double value) {
    if (value != 0) series_[Series(name, std::move(labels))] += value;
  }
  std::map<std::string, double> Take() { return std::move(series_); }

 private:
  std::map<std::string, double> series_;
};

std::vector<Ref> AllRefs(const RefSource& source, std::int64_t end) {
  return source.Collect(std::numeric_limits<std::int64_t>::min(), end, end);
}

void AddJetMessage(Truth& truth, const std::string& account, const std::string& domain,
                   const JetMessage& m, std::int64_t end) {
  const JetState state = JetStateAt(m, end);
  const Labels base{{"account", account}, {"domain", domain}};
  std::set<std::string> seen;
  for (const JetStep& step : m.steps) seen.insert(ToLower(step.status));
  for (const std::string& status : seen) {
    Labels labels = base;
    labels.emplace_back("status", status);
    truth.Add("jetemail_inbound_messages_total", labels, 1);
  }
  Labels current = base;
  current.emplace_back("status", ToLower(state.status));
  truth.Add("jetemail_inbound_messages", current, 1);
  truth.Add("jetemail_inbound_deliveries_total", base, static_cast<double>(state.delivery_count));
  truth.Add("jetemail_inbound_rejections_total", base, static_cast<double>(state.rejected_count));
  double max_score = 0;
  for (const JetAction* action : state.actions) {
    Labels labels = base;
    labels.emplace_back("logtype", action->logtype);
    truth.Add("jetemail_inbound_actions_total", labels, 1);
    max_score = std::max(max_score, action->spam_score);
    if (action->logtype == "delivery") {
      truth.Add("jetemail_inbound_delivery_delay_seconds_count", base, 1);
      truth.Add("jetemail_inbound_delivery_delay_seconds_sum", base,
                static_cast<double>(action->delay_s));
    }
  }
  if (!state.actions.empty()) {
    truth.Add("jetemail_inbound_spam_score_count", base, 1);
    truth.Add("jetemail_inbound_spam_score_sum", base, max_score);
  }
}

std::string CategoryLabel(const std::optional<std::string>& category, const TruthOptions& options) {
  const auto& allow = options.mailtrap_categories;
  if (allow.empty()) return "";
  if (category && std::find(allow.begin(), allow.end(), *category) != allow.end()) {
    return *category;
  }
  return "other";
}

// The mailbox provider the exporter labels a message's events with: the
// last delivery, bounce or soft_bounce naming one, lowercased. Exact as long
// as the exporter fetches a message only after its first such event, as in
// scripted runs (it fetches final messages; the 10-minute rule for
// long-enqueued ones never fires in them).
std::string MailboxProviderLabel(const MtMessage& m) {
  std::string provider = "unknown";
  for (const MtEvent& e : m.events) {
    if (e.type != "delivery" && e.type != "bounce" && e.type != "soft_bounce") continue;
    const auto named = e.details.find("email_service_provider");
    if (named == e.details.end() || !named->is_string() || named->get<std::string>().empty()) continue;
    provider = ToLower(named->get<std::string>());
  }
  return provider;
}

void AddMtEvents(Truth& truth, const Labels& base, const std::string& account,
                 const std::string& domain, const MtMessage& m) {
  const Labels delay_labels{{"account", account}, {"domain", domain}, {"stream", m.stream}};
  const std::string provider = MailboxProviderLabel(m);
  for (const MtEvent& e : m.events) {
    Labels labels = base;
    labels.emplace_back("event", e.type);
    truth.Add("mailtrap_events_total", labels, 1);
    truth.Add("mailtrap_mailbox_provider_events_total",
              {{"account", account}, {"domain", domain}, {"event", e.type}, {"mailbox_provider", provider}}, 1);
    if (e.type == "bounce" || e.type == "soft_bounce") {
      truth.Add("mailtrap_bounces_total",
                {{"account", account},
                 {"bounce_category", e.details.value("bounce_category", "")},
                 {"domain", domain},
                 {"stream", m.stream}},
                1);
    }
    if (e.type == "delivery") {
      truth.Add("mailtrap_delivery_delay_seconds_count", delay_labels, 1);
      truth.Add("mailtrap_delivery_delay_seconds_sum", delay_labels,
                static_cast<double>(e.at_ms - m.sent_ms) / 1000.0);
    }
  }
}

void AddMtMessage(Truth& truth, const MailtrapAccountSpec& account, const MtMessage& m,
                  std::int64_t end, const TruthOptions& options) {
  const SendingDomainSpec& sd = account.sending_domains[m.domain];
  const std::string domain = options.mailtrap_domain_names ? sd.name : std::to_string(sd.id);
  const Labels base{{"account", account.name},
                    {"category", CategoryLabel(m.category, options)},
                    {"domain", domain},
                    {"stream", m.stream}};
  std::set<std::string> seen;
  for (const auto& entry : m.statuses) seen.insert(entry.second);
  for (const std::string& status : seen) {
    Labels labels = base;
    labels.emplace_back("status", status);
    truth.Add("mailtrap_messages_total", labels, 1);
  }
  const MtState state = MtStateAt(m, end);
  Labels current = base;
  current.emplace_back("status", state.status);
  truth.Add("mailtrap_messages", current, 1);
  truth.Add("mailtrap_opens_total", base, static_cast<double>(state.opens));
  truth.Add("mailtrap_clicks_total", base, static_cast<double>(state.clicks));
  truth.Add("mailtrap_opened_messages_total", base, state.opens > 0 ? 1 : 0);
  truth.Add("mailtrap_clicked_messages_total", base, state.clicks > 0 ? 1 : 0);
  if (options.mailtrap_events == "all" || (options.mailtrap_events == "failures" && (seen.contains("not_delivered") || seen.contains("opted_out")))) {
    AddMtEvents(truth, base, account.name, domain, m);
  }
}

// The health gauges of the sending domains, as the fake lists them.
void AddMtSendingDomains(Truth& truth, const MailtrapAccountSpec& account) {
  for (const SendingDomainSpec& d : account.sending_domains) {
    const Labels labels{{"account", account.name}, {"domain", d.name}};
    truth.Add("mailtrap_sending_domain_dns_verified", labels, d.dns_verified ? 1 : 0);
    truth.Add("mailtrap_sending_domain_open_tracking_enabled", labels, d.open_tracking_enabled ? 1 : 0);
    truth.Add("mailtrap_sending_domain_click_tracking_enabled", labels, d.click_tracking_enabled ? 1 : 0);
    truth.Add("mailtrap_sending_domain_info", {{"account", account.name}, {"compliance_status", d.compliance_status}, {"domain", d.name}}, 1);
  }
}

}  // namespace

std::map<std::string, double> ComputeGroundTruth(const Scenario& scenario,
                                                 const TruthOptions& options) {
  if (scenario.continuous()) return {};
  const std::int64_t end = scenario.end_ms();
  Truth truth;
  const ScenarioSpec& spec = scenario.spec();
  for (std::size_t a = 0; a < spec.jetemail.size(); ++a) {
    for (const Ref& ref : AllRefs(scenario.jet_refs(a), end)) {
      const std::string& domain =
          scenario.jet_domains(a)[static_cast<std::size_t>(ref.domain)].name;
      AddJetMessage(truth, spec.jetemail[a].name, domain, scenario.Jet(a, ref), end);
    }
  }
  for (std::size_t a = 0; a < spec.mailtrap.size(); ++a) {
    for (const Ref& ref : AllRefs(scenario.mt_refs(a), end)) {
      AddMtMessage(truth, spec.mailtrap[a], scenario.Mt(a, ref), end, options);
    }
    AddMtSendingDomains(truth, spec.mailtrap[a]);
  }
  return truth.Take();
}

}  // namespace ele::fake::internal
