// What /metrics serves: the last published snapshot of every account plus
// the process-wide metrics. Workers publish after each cycle (after the state
// file is saved, so a scraper never sees a count that a crash could take
// back); scrapes read from memory and never wait for an API. The rendered
// text is cached until the next publish. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <cstdint>
#include <string>

#include "exporter/metrics/metric_set.h"

namespace ele::metrics {

class MetricsHub {
 public:
  MetricsHub();
  void Publish(const std::string& key, MetricSet snapshot);
  void Remove(const std::string& key);
  void SetGlobal(const Desc& desc, const LabelValues& labels, double value);
  void IncGlobal(const Desc& desc, const LabelValues& labels, double by = 1);
  // Text format 0.0.4 of everything published. Shared, not copied: the
  // text is about 100 bytes a series and every scrape reads it; the same
  // pointer comes back until the next change (the gzip cache keys on it).
  std::shared_ptr<const std::string> Render();
  std::shared_ptr<const MetricSet> Get(const std::string& key) const;

 private:
  mutable std::mutex mutex_;
  std::mutex render_mutex_;  // taken before mutex_, never while holding it
  std::map<std::string, std::shared_ptr<const MetricSet>> sets_;
  MetricSet global_;
  std::shared_ptr<const std::string> cached_text_;
  std::uint64_t version_ = 0;  // bumped by every change; guards the cache
};

}  // namespace ele::metrics
