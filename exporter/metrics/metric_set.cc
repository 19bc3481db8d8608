#include "exporter/metrics/metric_set.h"

#include <algorithm>

namespace ele::metrics {

Series& MetricSet::At(const Desc& desc, const LabelValues& labels) {
  if (families_.size() <= static_cast<size_t>(desc.id)) families_.resize(static_cast<size_t>(desc.id) + 1);
  auto [it, inserted] = families_[static_cast<size_t>(desc.id)].try_emplace(labels);
  if (inserted && desc.kind == Kind::kHistogram) it->second.bucket_counts.assign(desc.buckets.size() + 1, 0);
  return it->second;
}

void MetricSet::Observe(const Desc& desc, const LabelValues& labels, double value) { ObserveInto(desc, At(desc, labels), value); }

void MetricSet::ObserveInto(const Desc& desc, Series& s, double value) {
  const auto bucket = std::lower_bound(desc.buckets.begin(), desc.buckets.end(), value) - desc.buckets.begin();
  s.bucket_counts[static_cast<size_t>(bucket)] += 1;
  s.count += 1;
  s.sum += value;
}

void MetricSet::Clear(const Desc& desc) {
  if (families_.size() > static_cast<size_t>(desc.id)) families_[static_cast<size_t>(desc.id)].clear();
}

void MetricSet::CopyInto(MetricSet& out) const {
  for (const Desc* desc : All()) {
    const Family* family = Find(*desc);
    if (family == nullptr) continue;
    for (const auto& [labels, series] : *family) out.At(*desc, labels) = series;
  }
}

const MetricSet::Family* MetricSet::Find(const Desc& desc) const {
  if (families_.size() <= static_cast<size_t>(desc.id)) return nullptr;
  return &families_[static_cast<size_t>(desc.id)];
}

double MetricSet::Value(const Desc& desc, const LabelValues& labels) const {
  const Family* family = Find(desc);
  if (family == nullptr) return 0;
  auto it = family->find(labels);
  return it == family->end() ? 0 : it->second.value;
}

size_t MetricSet::series_count() const {
  size_t n = 0;
  for (const auto& f : families_) n += f.size();
  return n;
}

}  // namespace ele::metrics
