#include "exporter/state/state_codec.h"

namespace ele {

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

void EncodeHistogram(const HistogramCounts& histogram, BinaryWriter& out) {
  out.U64(histogram.count);
  out.F64(histogram.sum);
  out.U64(histogram.buckets.size());
  for (std::uint64_t b : histogram.buckets) out.U64(b);
}

bool DecodeHistogram(BinaryReader& in, size_t bounds, HistogramCounts* histogram) {
  std::uint64_t buckets = 0;
  if (!in.U64(&histogram->count) || !in.F64(&histogram->sum) || !in.Count(&buckets) || buckets != bounds + 1) return false;
  histogram->buckets.resize(buckets);
  for (auto& b : histogram->buckets) {
    if (!in.U64(&b)) return false;
  }
  return true;
}

void EncodeCountVector(const std::vector<std::uint64_t>& counts, BinaryWriter& out) {
  out.U64(counts.size());
  for (std::uint64_t n : counts) out.U64(n);
}

bool DecodeCountVector(BinaryReader& in, std::vector<std::uint64_t>* counts) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  counts->resize(n);
  for (auto& c : *counts) {
    if (!in.U64(&c)) return false;
  }
  return true;
}

void WriteBlobHeader(std::string_view tag, const std::optional<TimePoint>& watermark, BinaryWriter& out) {
  out.Str(tag);
  out.I64(watermark ? ToUnixMillis(*watermark) : 0);
}

bool ReadBlobHeader(BinaryReader& in, std::string* tag, std::optional<TimePoint>* watermark) {
  std::int64_t watermark_ms = 0;
  if (!in.Str(tag) || !in.I64(&watermark_ms) || !PlausibleUnixMs(watermark_ms)) return false;
  if (watermark_ms != 0) *watermark = FromUnixMillis(watermark_ms);
  return true;
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
