// Binary encoding of the pieces every account's state is made of. Decoders
// validate as they go (ids, counts, bucket counts) and return false on
// anything unexpected, so a damaged blob is refused rather than half-loaded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <map>
#include <span>
#include <type_traits>

#include "exporter/base/clock.h"
#include "exporter/state/binary_codec.h"
#include "exporter/state/count_tables.h"
#include "exporter/state/label_folder.h"
#include "exporter/state/message_table.h"

namespace ele {

void EncodeLabelFolder(const LabelFolder& folder, BinaryWriter& out);
bool DecodeLabelFolder(BinaryReader& in, LabelFolder* folder);

void EncodeOverflowCounts(const OverflowCounts& counts, BinaryWriter& out);
bool DecodeOverflowCounts(BinaryReader& in, OverflowCounts* counts);

// A time read back from a state file: within about 139 years of 1970
// (1831-2109), so it converts to a TimePoint and the difference of two, in
// nanoseconds, never overflows (2^42 ms each way: 2^43 ms apart at most,
// 8.8e18 ns). A damaged file is refused instead.
inline bool PlausibleUnixMs(std::int64_t ms) { return ms > -(std::int64_t{1} << 42) && ms < (std::int64_t{1} << 42); }

void EncodeStrings(const std::vector<std::string>& values, BinaryWriter& out);
bool DecodeStrings(BinaryReader& in, std::vector<std::string>* values);

// Counts by a pair of interned ids; every id must be below its limit.
template <typename Count>
void EncodePairCounts(const std::map<IdPair, Count>& counts, BinaryWriter& out) {
  out.U64(counts.size());
  for (const auto& [key, n] : counts) {
    out.U64(key.first);
    out.U64(key.second);
    out.I64(static_cast<std::int64_t>(n));
  }
}
template <typename Count>
bool DecodePairCounts(BinaryReader& in, IdPair limits, std::map<IdPair, Count>* counts) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t first = 0, second = 0;
    std::int64_t value = 0;
    if (!in.U64(&first) || !in.U64(&second) || !in.I64(&value) || first >= limits.first || second >= limits.second) return false;
    if (std::is_unsigned_v<Count> && value < 0) return false;  // no count goes below zero
    (*counts)[{static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(second)}] = static_cast<Count>(value);
  }
  return true;
}

// A message key: its 128 bits as 16 raw bytes.
inline void EncodeKey(const MessageKey& key, BinaryWriter& out) {
  out.Fixed64(key[0]);
  out.Fixed64(key[1]);
}
inline bool DecodeKey(BinaryReader& in, MessageKey* key) { return in.Fixed64(&(*key)[0]) && in.Fixed64(&(*key)[1]); }

// A count, then that many rows, each read by `decode_one()`; `table` is
// reserved for them first.
template <typename Table, typename DecodeOne>
bool DecodeRows(BinaryReader& in, Table& table, DecodeOne decode_one) {
  std::uint64_t n = 0;
  if (!in.Count(&n)) return false;
  table.Reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    if (!decode_one()) return false;
  }
  return true;
}

void EncodeHistogram(const HistogramCounts& histogram, BinaryWriter& out);
// `bounds` is how many bounds the histogram counts into.
bool DecodeHistogram(BinaryReader& in, size_t bounds, HistogramCounts* histogram);

void EncodeCountVector(const std::vector<std::uint64_t>& counts, BinaryWriter& out);
bool DecodeCountVector(BinaryReader& in, std::vector<std::uint64_t>* counts);

// A collector's blob in the state file: its format tag (bumped when the
// layout changes, so an old blob is refused or read as the old layout),
// its watermark (0 = none), then its per-message state.
void WriteBlobHeader(std::string_view tag, const std::optional<TimePoint>& watermark, BinaryWriter& out);
bool ReadBlobHeader(BinaryReader& in, std::string* tag, std::optional<TimePoint>* watermark);

}  // namespace ele
