#include "exporter/state/state_codec.h"

namespace ele {

namespace m = metrics;

void EncodeStrings(const std::vector<std::string>& values, BinaryWriter& out) {
  out.U64(values.size());
  for (const auto& v : values) out.Str(v);
}

bool DecodeStrings(BinaryReader& in, std::vector<std::string>* values) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  values->resize(n);
  for (auto& v : *values) {
    if (!in.Str(&v)) return false;
  }
  return true;
}

void EncodeMetricSet(const m::MetricSet& set, BinaryWriter& out) {
  for (const m::Desc* desc : m::All()) {
    const m::MetricSet::Family* family = set.Find(*desc);
    if (family == nullptr || family->empty()) continue;
    out.U64(static_cast<std::uint64_t>(desc->id) + 1);
    out.U64(family->size());
    for (const auto& [labels, series] : *family) {
      EncodeStrings(labels, out);
      out.F64(series.value);
      out.U64(series.count);
      out.F64(series.sum);
      out.U64(series.bucket_counts.size());
      for (std::uint64_t b : series.bucket_counts) out.U64(b);
    }
  }
  out.U64(0);  // end of families
}

bool DecodeMetricSet(BinaryReader& in, m::MetricSet* set) {
  for (;;) {
    std::uint64_t id_plus_one = 0, series_count = 0;
    if (!in.U64(&id_plus_one)) return false;
    if (id_plus_one == 0) return true;
    if (id_plus_one > m::All().size() || !in.Count(&series_count)) return false;
    const m::Desc& desc = *m::All()[id_plus_one - 1];
    for (std::uint64_t i = 0; i < series_count; ++i) {
      m::LabelValues labels;
      if (!DecodeStrings(in, &labels) || labels.size() != desc.labels.size()) return false;
      m::Series& s = set->At(desc, labels);
      std::uint64_t buckets = 0;
      if (!in.F64(&s.value) || !in.U64(&s.count) || !in.F64(&s.sum) || !in.Count(&buckets)) return false;
      if (buckets != s.bucket_counts.size()) return false;
      for (auto& b : s.bucket_counts) {
        if (!in.U64(&b)) return false;
      }
    }
  }
}

void EncodeLabelFolder(const LabelFolder& folder, BinaryWriter& out) {
  EncodeStrings(folder.kept_values(), out);
  EncodeStrings(folder.folded_values(), out);
}

bool DecodeLabelFolder(BinaryReader& in, LabelFolder* folder) {
  std::vector<std::string> kept, folded;
  if (!DecodeStrings(in, &kept) || !DecodeStrings(in, &folded)) return false;
  folder->Restore(kept, folded);
  return true;
}

void EncodeOverflowCounts(const OverflowCounts& counts, BinaryWriter& out) {
  out.U64(counts.size());
  for (const auto& [label, n] : counts) {
    out.Str(label);
    out.U64(n);
  }
}

bool DecodeOverflowCounts(BinaryReader& in, OverflowCounts* counts) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string label;
    std::uint64_t count = 0;
    if (!in.Str(&label) || !in.U64(&count)) return false;
    (*counts)[label] = count;
  }
  return true;
}

}  // namespace ele
