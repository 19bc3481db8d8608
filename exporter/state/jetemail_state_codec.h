// A JetEmail account's blob in the state file: tag, watermark, then the
// state's counts (by its own interned ids) and its tracked messages.
//
// Layouts read: "jetemail-2" (this one) and "jetemail-1" (counters by the
// metric descriptor ids of that time, legacy_counters.h), in either of its
// two message layouts; "jetemail-1" is read once on upgrade and converted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/clock.h"
#include "exporter/state/binary_codec.h"
#include "exporter/state/jetemail_state.h"
#include "exporter/state/legacy_counters.h"

namespace ele {

class JetEmailStateCodec {
 public:
  static constexpr std::string_view kTag = "jetemail-2";

  static std::string Encode(const JetEmailState& state, const std::optional<TimePoint>& watermark);
  // Into a freshly constructed state; false when the blob is foreign or
  // malformed (then the state is unusable: build a fresh one).
  static bool Decode(std::string_view blob, JetEmailState* state, std::optional<TimePoint>* watermark);

 private:
  static bool DecodeFolders(BinaryReader& in, JetEmailState* state);
  static void EncodeDomainHealth(const JetEmailCounts& counts, BinaryWriter& out);
  static bool DecodeDomainHealth(BinaryReader& in, JetEmailCounts* counts);
  static void EncodeCounts(const JetEmailCounts& counts, BinaryWriter& out);
  static bool DecodeCounts(BinaryReader& in, JetEmailCounts* counts);
  static void EncodeMessages(const JetEmailState& state, BinaryWriter& out);
  static bool DecodeMessages(BinaryReader& in, JetEmailState* state);
  static bool DecodeMessage(BinaryReader& in, JetEmailState* state);
  static bool DecodeFirstLayout(BinaryReader& in, JetEmailState* state);
  static bool DecodeUncompactMessages(BinaryReader& in, JetEmailState* state);
  static bool DecodeUncompactMessage(BinaryReader& in, JetEmailState* state);
  static bool AdoptLegacyCounters(const std::vector<legacy::Series>& series, JetEmailCounts* counts);
  static bool Finish(JetEmailState* state);
};

}  // namespace ele
