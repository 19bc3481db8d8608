// What one JetEmail account has counted, as plain numbers keyed by the
// state's interned label ids (count_tables.h). The state updates it; the
// snapshot step (snapshot/jetemail_snapshot.h) names it; the state file
// stores it. Domain, status and logtype values are already folded to the
// label_value_limit.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "exporter/base/buckets.h"
#include "exporter/state/count_tables.h"
#include "exporter/state/label_folder.h"

namespace ele {

struct JetEmailCounts {
  InternedNames domains, statuses, logtypes;
  std::map<IdPair, std::uint64_t> messages;   // (domain, status): messages seen in that status
  std::map<IdPair, std::int64_t> held;        // (domain, status): tracked messages in it now
  std::map<IdPair, std::uint64_t> actions;    // (domain, logtype): action rows
  // By domain id; every interned domain has an entry, so its series exist
  // from the start (at 0) and rate() and alerts see them.
  std::vector<std::uint64_t> deliveries, rejections;
  std::vector<HistogramCounts> spam_scores, delivery_delays;
  std::map<std::string, bool> domain_up;      // by domain as queried
  std::int64_t account_domains = -1;          // -1: not reported yet
  OverflowCounts overflow;
  std::uint64_t limit_evictions = 0;          // since start; not in the state file

  // Interns `folded` and gives a new domain its per-domain entries.
  std::uint32_t DomainId(const std::string& folded) {
    const std::uint32_t id = domains.Id(folded);
    if (id >= deliveries.size()) {
      deliveries.resize(id + 1, 0);
      rejections.resize(id + 1, 0);
      spam_scores.resize(id + 1, HistogramCounts(buckets::kSpamScore.size()));
      delivery_delays.resize(id + 1, HistogramCounts(buckets::kDelaySeconds.size()));
    }
    return id;
  }
};

}  // namespace ele
