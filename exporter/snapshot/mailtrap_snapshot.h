// The one place where a Mailtrap account's counts meet metric names: turns
// the state's counts (keyed by its interned ids) into the mailtrap_* metric
// families and the account's label-overflow and eviction counters, at
// publish time.
#pragma once

#include <string>
#include <vector>

#include "exporter/events/outbound.h"
#include "exporter/metrics/metric_set.h"
#include "exporter/state/mailtrap_state.h"

namespace ele {

// Adds the series of `state`'s account to `out`.
void AddMailtrapSeries(const MailtrapState& state, metrics::MetricSet& out);

// The health gauges of the account's sending domains, as last listed: DNS
// verified, compliance status, open and click tracking. A field the API did
// not send has no series.
void AddSendingDomainSeries(const std::string& account, const std::vector<events::SendingDomain>& domains, metrics::MetricSet& out);

}  // namespace ele
