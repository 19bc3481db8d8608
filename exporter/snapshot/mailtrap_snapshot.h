// The one place where a Mailtrap account's counts meet metric names: turns
// the state's counts (keyed by its interned ids) into the mailtrap_* metric
// families and the account's label-overflow and eviction counters, at
// publish time.
#pragma once

#include "exporter/metrics/metric_set.h"
#include "exporter/state/mailtrap_state.h"

namespace ele {

// Adds the series of `state`'s account to `out`.
void AddMailtrapSeries(const MailtrapState& state, metrics::MetricSet& out);

}  // namespace ele
