// What one Mailtrap account has counted, as plain numbers keyed by the
// state's interned ids (count_tables.h). The state updates it; the snapshot
// step (snapshot/mailtrap_snapshot.h) names it; the state file stores it.
// Label values are already folded to the label_value_limit.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "exporter/base/buckets.h"
#include "exporter/state/count_tables.h"
#include "exporter/state/label_folder.h"

namespace ele {

struct MailtrapCounts {
  // A message's labels: domain, stream, category. Fixed at its first sighting.
  using LabelSet = std::array<std::string, 3>;
  // What bounces and delivery delays are by: domain and stream.
  using Route = std::array<std::string, 2>;

  std::vector<LabelSet> label_sets;
  std::map<LabelSet, std::uint32_t> label_set_ids;
  std::vector<std::uint32_t> route_of;         // by label set: its route
  std::vector<Route> routes;
  std::map<Route, std::uint32_t> route_ids;
  std::vector<std::string> statuses;           // by status index (at most 16)
  InternedNames bounce_categories;

  std::map<IdPair, std::uint64_t> messages;    // (label set, status): messages seen in that status
  std::map<IdPair, std::int64_t> held;         // (label set, status): tracked messages in it now
  // By label set; every label set has an entry, so its series exist from
  // the start (at 0) and rate() and alerts see them before the first open.
  std::vector<std::uint64_t> opens, clicks, opened, clicked;
  std::map<IdPair, std::uint64_t> events;      // (label set, events::DeliveryEventType)
  std::map<IdPair, std::uint64_t> bounces;     // (route, bounce category)
  std::map<std::uint32_t, HistogramCounts> delivery_delays;  // by route
  InternedNames mailbox_providers;             // folded, lowercased; "unknown" when none was named
  std::map<IdTriple, std::uint64_t> mailbox_provider_events;  // (route, mailbox provider, events::DeliveryEventType)
  OverflowCounts overflow;
  std::uint64_t limit_evictions = 0;           // since start; not in the state file

  std::uint32_t LabelSetId(const LabelSet& labels) {
    auto [it, is_new] = label_set_ids.try_emplace(labels, static_cast<std::uint32_t>(label_sets.size()));
    if (is_new) {
      label_sets.push_back(labels);
      route_of.push_back(RouteId({labels[0], labels[1]}));
      for (auto* per_set : {&opens, &clicks, &opened, &clicked}) per_set->push_back(0);
    }
    return it->second;
  }

  std::uint32_t RouteId(const Route& route) {
    auto [it, is_new] = route_ids.try_emplace(route, static_cast<std::uint32_t>(routes.size()));
    if (is_new) routes.push_back(route);
    return it->second;
  }
};

}  // namespace ele
