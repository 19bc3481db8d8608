// A Mailtrap account's blob in the state file: tag, watermark, then the
// state's counts (by its own interned ids), its tracked messages and its
// detail queue.
//
// Layouts read: "mailtrap-4" (this one), "mailtrap-3" (the same without
// the mailbox-provider counts at the end: they start at zero) and
// "mailtrap-2" (counters by the metric descriptor ids of that time,
// legacy_counters.h), in either of its two message layouts; the older
// layouts are read once on upgrade and converted.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/base/clock.h"
#include "exporter/state/binary_codec.h"
#include "exporter/state/legacy_counters.h"
#include "exporter/state/mailtrap_state.h"

namespace ele {

class MailtrapStateCodec {
 public:
  static constexpr std::string_view kTag = "mailtrap-4";
  static constexpr std::string_view kPreviousTag = "mailtrap-3";

  static std::string Encode(const MailtrapState& state, const std::optional<TimePoint>& watermark);
  // Into a freshly constructed state; false when the blob is foreign or
  // malformed (then the state is unusable: build a fresh one).
  static bool Decode(std::string_view blob, MailtrapState* state, std::optional<TimePoint>* watermark);

 private:
  // The label folders, in the order both layouts store them.
  template <typename State>  // MailtrapState, const or not
  static auto Folders(State* state) {
    return std::array{&state->domains_, &state->streams_, &state->categories_, &state->statuses_, &state->bounce_categories_};
  }
  static bool DecodeFolders(BinaryReader& in, MailtrapState* state);
  static bool PlausibleStatuses(const std::vector<std::string>& statuses);
  static void EncodeCounts(const MailtrapCounts& counts, BinaryWriter& out);
  static bool DecodeCounts(BinaryReader& in, MailtrapCounts* counts);
  static bool DecodeCountTables(BinaryReader& in, MailtrapCounts* counts);
  static void EncodeMessages(const MailtrapState& state, BinaryWriter& out);
  static bool DecodeMessages(BinaryReader& in, MailtrapState* state);
  static bool DecodeMessage(BinaryReader& in, MailtrapState* state);
  static void EncodeMailboxProviders(const MailtrapState& state, BinaryWriter& out);
  static bool DecodeMailboxProviders(BinaryReader& in, MailtrapState* state);
  static bool DecodeDetailQueue(BinaryReader& in, bool by_key, MailtrapState* state);
  static bool DecodeFirstLayout(BinaryReader& in, MailtrapState* state);
  static bool DecodeFirstLabelSets(BinaryReader& in, MailtrapCounts* counts);
  static bool DecodeUncompactMessages(BinaryReader& in, MailtrapState* state);
  static bool DecodeUncompactMessage(BinaryReader& in, MailtrapState* state);
  static bool AdoptLegacyCounters(const std::vector<legacy::Series>& series, MailtrapCounts* counts);
};

}  // namespace ele
