#include "exporter/snapshot/jetemail_snapshot.h"

#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/snapshot_series.h"

namespace ele {

namespace m = metrics;

namespace {

void AddPerDomainSeries(const JetEmailCounts& counts, const std::string& account, m::MetricSet& out) {
  // Every domain has these from its first sighting, at 0 until something counts.
  for (std::uint32_t d = 0; d < counts.domains.size(); ++d) {
    const m::LabelValues labels = {account, counts.domains[d]};
    out.At(m::kJetDeliveriesTotal, labels).value = static_cast<double>(counts.deliveries[d]);
    out.At(m::kJetRejectionsTotal, labels).value = static_cast<double>(counts.rejections[d]);
    CopyHistogram(counts.spam_scores[d], out.At(m::kJetSpamScore, labels));
    CopyHistogram(counts.delivery_delays[d], out.At(m::kJetDeliveryDelay, labels));
  }
}

}  // namespace

void AddJetEmailSeries(const JetEmailState& state, m::MetricSet& out) {
  const JetEmailCounts& counts = state.counts();
  const std::string& account = state.account();
  for (const auto& [key, n] : counts.messages) {
    out.At(m::kJetMessagesTotal, {account, counts.domains[key.first], counts.statuses[key.second]}).value = static_cast<double>(n);
  }
  for (const auto& [key, n] : counts.held) {
    out.Set(m::kJetMessages, {account, counts.domains[key.first], counts.statuses[key.second]}, static_cast<double>(n));
  }
  AddPerDomainSeries(counts, account, out);
  for (const auto& [key, n] : counts.actions) {
    out.At(m::kJetActionsTotal, {account, counts.domains[key.first], counts.logtypes[key.second]}).value = static_cast<double>(n);
  }
  for (const auto& [domain, up] : counts.domain_up) out.Set(m::kJetDomainUp, {account, domain}, up ? 1 : 0);
  if (counts.account_domains >= 0) out.Set(m::kJetAccountDomains, {account}, static_cast<double>(counts.account_domains));
  AddAccountLimits("jetemail", account, counts.overflow, counts.limit_evictions, out);
}

}  // namespace ele
