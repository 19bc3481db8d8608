// Binary encoding of the pieces every account's state is made of. Decoders
// validate as they go (descriptor ids, label counts, bucket counts) and
// return false on anything unexpected, so a damaged blob is refused rather
// than half-loaded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "exporter/collect/clock.h"
#include "exporter/metrics/metric_set.h"
#include "exporter/state/binary_codec.h"
#include "exporter/state/label_folder.h"

namespace ele {

void EncodeMetricSet(const metrics::MetricSet& set, BinaryWriter& out);
bool DecodeMetricSet(BinaryReader& in, metrics::MetricSet* set);

void EncodeLabelFolder(const LabelFolder& folder, BinaryWriter& out);
bool DecodeLabelFolder(BinaryReader& in, LabelFolder* folder);

void EncodeOverflowCounts(const OverflowCounts& counts, BinaryWriter& out);
bool DecodeOverflowCounts(BinaryReader& in, OverflowCounts* counts);

// A time read back from a state file: within about 270 years of 1970, so
// it converts to a TimePoint (nanoseconds: 1678-2262) and differences of
// two never overflow. A damaged file is refused instead.
inline bool PlausibleUnixMs(std::int64_t ms) { return ms > -(std::int64_t{1} << 43) && ms < (std::int64_t{1} << 43); }

void EncodeStrings(const std::vector<std::string>& values, BinaryWriter& out);
bool DecodeStrings(BinaryReader& in, std::vector<std::string>* values);

// A collector's blob in the state file: its format tag (bumped when the
// layout changes, so an old blob is refused rather than misread), its
// watermark (0 = none), then its per-message state.
template <typename State>
std::string EncodeCollectorBlob(std::string_view tag, const std::optional<TimePoint>& watermark, const State& state) {
  BinaryWriter out;
  out.Str(tag);
  out.I64(watermark ? ToUnixMillis(*watermark) : 0);
  state.Encode(out);
  return std::move(out.data());
}

// Into a fresh state; false when the tag differs or anything is malformed.
template <typename State>
bool DecodeCollectorBlob(std::string_view blob, std::string_view tag, std::optional<TimePoint>& watermark, State& state) {
  BinaryReader in(blob);
  std::string found;
  std::int64_t watermark_ms = 0;
  if (!in.Str(&found) || found != tag || !in.I64(&watermark_ms) || !PlausibleUnixMs(watermark_ms) || !state.Decode(in) || !in.at_end()) return false;
  if (watermark_ms != 0) watermark = FromUnixMillis(watermark_ms);
  return true;
}

}  // namespace ele
