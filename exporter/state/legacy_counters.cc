#include "exporter/state/legacy_counters.h"

#include <cmath>

#include "exporter/state/state_codec.h"

namespace ele::legacy {
namespace {

struct Shape {
  size_t labels;
  size_t buckets;  // 0 for counters; bounds + 1 for histograms
};

// The families a state stored, with their label and bucket counts then.
bool ShapeOf(std::uint64_t family, Shape* shape) {
  switch (family) {
    case kJetMessagesTotal: case kJetActionsTotal: *shape = {3, 0}; return true;
    case kJetDeliveriesTotal: case kJetRejectionsTotal: *shape = {2, 0}; return true;
    case kJetSpamScore: *shape = {2, 13}; return true;
    case kJetDeliveryDelay: *shape = {2, 14}; return true;
    case kMtMessagesTotal: case kMtEventsTotal: *shape = {5, 0}; return true;
    case kMtOpensTotal: case kMtClicksTotal: case kMtOpenedMessagesTotal: case kMtClickedMessagesTotal:
    case kMtBouncesTotal: *shape = {4, 0}; return true;
    case kMtDeliveryDelay: *shape = {3, 14}; return true;
    default: return false;
  }
}

bool ReadSeries(BinaryReader& in, std::uint64_t family, const Shape& shape, Series* series) {
  series->family = family;
  std::uint64_t buckets = 0;
  if (!DecodeStrings(in, &series->labels) || series->labels.size() != shape.labels || !in.F64(&series->value) ||
      !in.U64(&series->count) || !in.F64(&series->sum) || !in.Count(&buckets) || buckets != shape.buckets) {
    return false;
  }
  series->buckets.resize(buckets);
  for (auto& b : series->buckets) {
    if (!in.U64(&b)) return false;
  }
  return true;
}

}  // namespace

// Layout: per family its id + 1 and its series (label values, value, count,
// sum, buckets); 0 ends the list.
bool ReadCounters(BinaryReader& in, std::vector<Series>* out) {
  for (;;) {
    std::uint64_t id_plus_one = 0, series_count = 0;
    if (!in.U64(&id_plus_one)) return false;
    if (id_plus_one == 0) return true;
    Shape shape{};
    if (!ShapeOf(id_plus_one - 1, &shape) || !in.Count(&series_count)) return false;
    for (std::uint64_t i = 0; i < series_count; ++i) {
      Series series;
      if (!ReadSeries(in, id_plus_one - 1, shape, &series)) return false;
      out->push_back(std::move(series));
    }
  }
}

bool CountOf(const Series& series, std::uint64_t* count) {
  if (!std::isfinite(series.value) || series.value < 0 || series.value >= 0x1p63) return false;
  *count = static_cast<std::uint64_t>(series.value);
  return true;
}

HistogramCounts HistogramOf(const Series& series) {
  HistogramCounts histogram;
  histogram.buckets = series.buckets;
  histogram.count = series.count;
  histogram.sum = series.sum;
  return histogram;
}

}  // namespace ele::legacy
