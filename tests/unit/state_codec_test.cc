// Blobs no exporter writes, built field by field in the documented layouts:
// the state codecs refuse what would put a state out of its own invariants
// (found in review of the counts-by-id layouts).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exporter/metrics/catalogue.h"
#include "exporter/snapshot/mailtrap_snapshot.h"
#include "exporter/state/mailtrap_state_codec.h"
#include "exporter/state/state_codec.h"

namespace ele {
namespace {

namespace m = metrics;

void Strings(BinaryWriter& out, const std::vector<std::string>& values) { EncodeStrings(values, out); }

// A "mailtrap-3" blob with no messages: label sets and statuses as given.
std::string CurrentMailtrapBlob(const std::vector<std::vector<std::string>>& label_sets, const std::vector<std::string>& statuses) {
  BinaryWriter out;
  WriteBlobHeader("mailtrap-3", std::nullopt, out);
  for (int folder = 0; folder < 5; ++folder) EncodeLabelFolder(LabelFolder(200), out);
  out.U64(label_sets.size());
  for (const auto& set : label_sets) Strings(out, set);
  Strings(out, statuses);
  Strings(out, {});                      // bounce categories
  EncodeOverflowCounts({}, out);
  out.U64(0);                            // messages seen by status
  out.U64(0);                            // held
  for (int per_set = 0; per_set < 4; ++per_set) EncodeCountVector(std::vector<std::uint64_t>(label_sets.size(), 0), out);
  out.U64(0);                            // events
  out.U64(0);                            // bounces
  out.U64(0);                            // delivery delays
  out.U64(0);                            // messages
  out.U64(0);                            // irregular ids
  out.U64(0);                            // detail queue
  return std::move(out.data());
}

// A "mailtrap-2" blob (compact rows, no messages) whose counters hold one
// bounce of (domain, stream), with the label sets given (account first).
std::string FirstMailtrapBlobWithBounce(const std::vector<std::vector<std::string>>& label_sets) {
  BinaryWriter out;
  WriteBlobHeader("mailtrap-2", std::nullopt, out);
  out.U64(0x4D54'5250);                  // compact rows
  out.U64(legacy::kMtBouncesTotal + 1);  // counters by descriptor id: one family, one series
  out.U64(1);
  Strings(out, {"prod", "mail.example.com", "bulk", "mailbox_full"});
  out.F64(2);
  out.U64(0);
  out.F64(0);
  out.U64(0);
  out.U64(0);                            // end of families
  for (int folder = 0; folder < 5; ++folder) EncodeLabelFolder(LabelFolder(200), out);
  EncodeOverflowCounts({}, out);
  out.U64(label_sets.size());
  for (const auto& set : label_sets) Strings(out, set);
  Strings(out, {"delivered"});
  out.U64(0);                            // messages
  out.U64(0);                            // irregular ids
  out.U64(0);                            // detail queue
  return std::move(out.data());
}

MailtrapStateOptions Options() {
  MailtrapStateOptions options;
  options.account = "prod";
  return options;
}

bool Decodes(const std::string& blob, MailtrapState* state) {
  std::optional<TimePoint> watermark;
  return MailtrapStateCodec::Decode(blob, state, &watermark);
}

TEST(MailtrapStateCodecTest, SixteenStatusesAreRefusedUnlessTheLastIsOther) {
  std::vector<std::string> statuses;
  for (int i = 0; i < 16; ++i) statuses.push_back("status-" + std::to_string(i));
  MailtrapState refused(Options());
  EXPECT_FALSE(Decodes(CurrentMailtrapBlob({}, statuses), &refused)) << "a 17th status would have no bit";
  statuses.back() = "other";
  MailtrapState accepted(Options());
  EXPECT_TRUE(Decodes(CurrentMailtrapBlob({}, statuses), &accepted));
}

TEST(MailtrapStateCodecTest, FirstLayoutBounceOfAnUnknownRouteIsRefused) {
  MailtrapState refused(Options());
  EXPECT_FALSE(Decodes(FirstMailtrapBlobWithBounce({}), &refused)) << "its route could not be rebuilt after the next save";
  MailtrapState accepted(Options());
  ASSERT_TRUE(Decodes(FirstMailtrapBlobWithBounce({{"prod", "mail.example.com", "bulk", "news"}}), &accepted));
  m::MetricSet out;
  AddMailtrapSeries(accepted, out);
  EXPECT_EQ(out.Value(m::kMtBouncesTotal, {"prod", "mail.example.com", "bulk", "mailbox_full"}), 2);
}

TEST(StateCodecTest, CountsBelowZeroAreRefused) {
  BinaryWriter out;
  out.U64(1);
  out.U64(0);
  out.U64(0);
  out.I64(-1);
  std::map<IdPair, std::uint64_t> counts;
  BinaryReader as_counts(out.data());
  EXPECT_FALSE(DecodePairCounts(as_counts, {1, 1}, &counts));
  std::map<IdPair, std::int64_t> gauge;
  BinaryReader as_gauge(out.data());
  EXPECT_TRUE(DecodePairCounts(as_gauge, {1, 1}, &gauge)) << "a gauge may hold -1 while it is rebuilt";
}

}  // namespace
}  // namespace ele
