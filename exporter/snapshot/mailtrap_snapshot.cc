#include "exporter/snapshot/mailtrap_snapshot.h"

#include "exporter/events/outbound.h"
#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/snapshot_series.h"

namespace ele {

namespace m = metrics;

namespace {

// account, domain, stream, category; then `extra` when given.
m::LabelValues LabelsOf(const MailtrapCounts& counts, const std::string& account, std::uint32_t label_set, const std::string* extra = nullptr) {
  const MailtrapCounts::LabelSet& set = counts.label_sets[label_set];
  m::LabelValues labels = {account, set[0], set[1], set[2]};
  if (extra != nullptr) labels.push_back(*extra);
  return labels;
}

void AddStatusSeries(const MailtrapCounts& counts, const std::string& account, m::MetricSet& out) {
  for (const auto& [key, n] : counts.messages) {
    out.At(m::kMtMessagesTotal, LabelsOf(counts, account, key.first, &counts.statuses[key.second])).value = static_cast<double>(n);
  }
  for (const auto& [key, n] : counts.held) {
    out.Set(m::kMtMessages, LabelsOf(counts, account, key.first, &counts.statuses[key.second]), static_cast<double>(n));
  }
}

// Every label set has these from its first message, at 0 until an open.
void AddEngagementSeries(const MailtrapCounts& counts, const std::string& account, m::MetricSet& out) {
  for (std::uint32_t s = 0; s < counts.label_sets.size(); ++s) {
    const m::LabelValues labels = LabelsOf(counts, account, s);
    out.At(m::kMtOpensTotal, labels).value = static_cast<double>(counts.opens[s]);
    out.At(m::kMtClicksTotal, labels).value = static_cast<double>(counts.clicks[s]);
    out.At(m::kMtOpenedMessagesTotal, labels).value = static_cast<double>(counts.opened[s]);
    out.At(m::kMtClickedMessagesTotal, labels).value = static_cast<double>(counts.clicked[s]);
  }
}

void AddEventSeries(const MailtrapCounts& counts, const std::string& account, m::MetricSet& out) {
  for (const auto& [key, n] : counts.events) {
    const std::string type(events::DeliveryEventTypeName(static_cast<events::DeliveryEventType>(key.second)));
    out.At(m::kMtEventsTotal, LabelsOf(counts, account, key.first, &type)).value = static_cast<double>(n);
  }
  for (const auto& [key, n] : counts.bounces) {
    const MailtrapCounts::Route& route = counts.routes[key.first];
    out.At(m::kMtBouncesTotal, {account, route[0], route[1], counts.bounce_categories[key.second]}).value = static_cast<double>(n);
  }
  for (const auto& [key, n] : counts.mailbox_provider_events) {  // summed over the routes of a domain
    const std::string type(events::DeliveryEventTypeName(static_cast<events::DeliveryEventType>(key[2])));
    out.Inc(m::kMtMailboxProviderEventsTotal, {account, counts.routes[key[0]][0], counts.mailbox_providers[key[1]], type}, static_cast<double>(n));
  }
  for (const auto& [route_id, histogram] : counts.delivery_delays) {
    const MailtrapCounts::Route& route = counts.routes[route_id];
    CopyHistogram(histogram, out.At(m::kMtDeliveryDelay, {account, route[0], route[1]}));
  }
}

}  // namespace

void AddMailtrapSeries(const MailtrapState& state, m::MetricSet& out) {
  const MailtrapCounts& counts = state.counts();
  AddStatusSeries(counts, state.account(), out);
  AddEngagementSeries(counts, state.account(), out);
  AddEventSeries(counts, state.account(), out);
  AddAccountLimits("mailtrap", state.account(), counts.overflow, counts.limit_evictions, out);
}

void AddSendingDomainSeries(const std::string& account, const std::vector<events::SendingDomain>& domains, m::MetricSet& out) {
  for (const events::SendingDomain& d : domains) {
    const m::LabelValues labels = {account, d.name};
    if (d.dns_verified) out.Set(m::kMtSendingDomainDnsVerified, labels, *d.dns_verified ? 1 : 0);
    if (d.compliance_status) out.Set(m::kMtSendingDomainInfo, {account, d.name, *d.compliance_status}, 1);
    if (d.open_tracking_enabled) out.Set(m::kMtSendingDomainOpenTracking, labels, *d.open_tracking_enabled ? 1 : 0);
    if (d.click_tracking_enabled) out.Set(m::kMtSendingDomainClickTracking, labels, *d.click_tracking_enabled ? 1 : 0);
  }
}

}  // namespace ele
