// Counters as the first state-file layouts stored them (blob tags
// jetemail-1 and mailtrap-2): by the metric catalogue's descriptor id of
// that time and full label values. Read once on upgrade and handed to the
// state, which interns them into its own counts; never written.
//
// The ids below freeze what those layouts meant, so reading them needs no
// metric names. They are persistence facts, not the catalogue of today.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exporter/state/binary_codec.h"
#include "exporter/state/count_tables.h"

namespace ele::legacy {

enum Family : std::uint64_t {
  kJetMessagesTotal = 0,    // account, domain, status
  kJetDeliveriesTotal = 2,  // account, domain
  kJetRejectionsTotal = 3,  // account, domain
  kJetActionsTotal = 4,     // account, domain, logtype
  kJetSpamScore = 5,        // account, domain; 12 bounds
  kJetDeliveryDelay = 6,    // account, domain; 13 bounds
  kMtMessagesTotal = 9,     // account, domain, stream, category, status
  kMtOpensTotal = 11,       // account, domain, stream, category
  kMtClicksTotal = 12,
  kMtOpenedMessagesTotal = 13,
  kMtClickedMessagesTotal = 14,
  kMtEventsTotal = 15,      // account, domain, stream, category, event
  kMtBouncesTotal = 16,     // account, domain, stream, bounce_category
  kMtDeliveryDelay = 17,    // account, domain, stream; 13 bounds
};

struct Series {
  std::uint64_t family = 0;
  std::vector<std::string> labels;
  double value = 0;                    // counters
  std::vector<std::uint64_t> buckets;  // histograms: one per bound and +Inf, not cumulative
  std::uint64_t count = 0;
  double sum = 0;
};

// Reads the counters section of an old blob. False when it is malformed or
// names a family a state never stored.
bool ReadCounters(BinaryReader& in, std::vector<Series>* out);

// A counter's value (a double) as a count; false for what no counter could
// have held (negative, NaN, 2^63 or more).
bool CountOf(const Series& series, std::uint64_t* count);
// A histogram's series as the state's counts (same bounds: ReadCounters
// checked the bucket count).
HistogramCounts HistogramOf(const Series& series);

}  // namespace ele::legacy
