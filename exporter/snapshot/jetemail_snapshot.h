// The one place where a JetEmail account's counts meet metric names: turns
// the state's counts (keyed by its interned ids) into the jetemail_* metric
// families and the account's label-overflow and eviction counters, at
// publish time.
#pragma once

#include "exporter/metrics/metric_set.h"
#include "exporter/state/jetemail_state.h"

namespace ele {

// Adds the series of `state`'s account to `out`.
void AddJetEmailSeries(const JetEmailState& state, metrics::MetricSet& out);

}  // namespace ele
