#include "exporter/state/state_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "exporter/metrics/catalogue.h"
#include "exporter/providers/jetemail/jetemail_collector.h"
#include "exporter/providers/mailtrap/mailtrap_collector.h"
#include "exporter/state/binary_codec.h"

namespace ele {
namespace {

using namespace std::chrono_literals;
namespace m = metrics;
namespace fs = std::filesystem;

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) / ("state_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    path = (dir / "state.bin").string();
  }
  void TearDown() override { fs::remove_all(dir); }
  size_t FilesStartingWith(const std::string& prefix) const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().rfind(prefix, 0) == 0;
    return n;
  }
  fs::path dir;
  std::string path;
};

TEST_F(StateFileTest, SavesAndLoadsEveryBlob) {
  StateFile file(path);
  EXPECT_TRUE(file.Load().has_value()) << "a missing file is a fresh start";
  EXPECT_TRUE(file.Save("jetemail/main", std::string("blob-a\0with-nul", 15)).has_value());
  EXPECT_TRUE(file.Save("mailtrap/prod", "blob-b").has_value());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  StateFile again(path);
  EXPECT_TRUE(again.Load().has_value());
  EXPECT_EQ(again.Blob("jetemail/main").bytes(), std::string_view("blob-a\0with-nul", 15));
  EXPECT_EQ(again.Blob("mailtrap/prod").bytes(), "blob-b");
}

// Loading hands out views into the file as read, without copies; a view
// stays valid while its account, or another, saves a new blob, and the
// other accounts' loaded blobs are written back unchanged.
TEST_F(StateFileTest, LoadedBlobsStayValidAcrossLaterSaves) {
  const std::string big(3u << 20, 'x');  // large enough for the huge-page advice
  {
    StateFile file(path);
    ASSERT_TRUE(file.Save("jetemail/main", big).has_value());
    ASSERT_TRUE(file.Save("mailtrap/prod", "blob-b").has_value());
  }
  StateFile file(path);
  ASSERT_TRUE(file.Load().has_value());
  const StateFile::BlobRef jet = file.Blob("jetemail/main");
  const StateFile::BlobRef mt = file.Blob("mailtrap/prod");
  ASSERT_TRUE(file.Save("mailtrap/prod", "blob-b2").has_value());
  ASSERT_TRUE(file.Save("jetemail/main", "small now").has_value());
  EXPECT_EQ(jet.bytes(), big);
  EXPECT_EQ(mt.bytes(), "blob-b");
  ASSERT_TRUE(file.Remove("jetemail/main").has_value());
  ASSERT_TRUE(file.Compact().has_value()) << "all in the snapshot, none in the journal";
  std::weak_ptr<const std::string> loaded;
  {
    StateFile other(path);
    ASSERT_TRUE(other.Load().has_value());
    // The loaded file is held by the blobs only until the first write:
    // then the accounts that did not save get their own copy.
    const StateFile::BlobRef before = other.Blob("mailtrap/prod");
    ASSERT_TRUE(other.Save("mailtrap/other", "third").has_value());
    EXPECT_EQ(other.Blob("mailtrap/prod").bytes(), "blob-b2");
    EXPECT_NE(other.Blob("mailtrap/prod").bytes().data(), before.bytes().data()) << "a copy, not a view into the file as loaded";
  }
  StateFile again(path);
  ASSERT_TRUE(again.Load().has_value());
  EXPECT_TRUE(again.Blob("jetemail/main").empty());
  EXPECT_EQ(again.Blob("mailtrap/prod").bytes(), "blob-b2");
}

// A state file around `payload`: magic, version, length, payload, CRC-32.
std::string Sealed(const std::string& payload) {
  std::string out = "ELESTATE";
  auto put = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put(StateFile::kFormatVersion, 4);
  put(payload.size(), 8);
  out += payload;
  put(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size())), 4);
  return out;
}

std::string Payload(const std::vector<std::pair<std::string, std::string>>& blobs) {
  BinaryWriter out;
  out.U64(blobs.size());
  for (const auto& [key, blob] : blobs) {
    out.Str(key);
    out.Str(blob);
  }
  return out.data();
}

// Blobs are written once each, in key order; a file with a key twice
// (which one would win?) or out of order is not one this exporter wrote.
TEST_F(StateFileTest, DuplicateOrUnorderedKeysAreMalformed) {
  EXPECT_EQ(Sealed(Payload({{"a", "1"}, {"b", "2"}})), StateFile::Encode({{"a", "1"}, {"b", "2"}})) << "the layout as documented";
  EXPECT_TRUE(StateFile::Decode(Sealed(Payload({{"a", "1"}, {"b", "2"}}))).has_value());
  for (const auto& blobs : {std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"a", "2"}}, {{"b", "1"}, {"a", "2"}}}) {
    const auto decoded = StateFile::Decode(Sealed(Payload(blobs)));
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().message, "state file payload is malformed");
  }
}

TEST_F(StateFileTest, CorruptTruncatedOrForeignFilesAreMovedAsideAndReported) {
  const std::string good = StateFile::Encode({{"jetemail/main", "payload-bytes"}});
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x20;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.size() - 3), "truncated"},
      {flipped, "checksum mismatch"},
      {"{\"json\": \"from another program\"}", "not a state file"},
      {"", "not a state file"},
  };
  for (const auto& [bytes, expected] : cases) {
    std::ofstream(path, std::ios::binary) << bytes;
    StateFile file(path);
    const Result<void> loaded = file.Load();
    ASSERT_FALSE(loaded.has_value());
    const std::string& error = loaded.error().message;
    EXPECT_NE(error.find(expected), std::string::npos) << error;
    EXPECT_NE(error.find("moved aside"), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(file.Blob("jetemail/main").empty());
  }
  EXPECT_EQ(FilesStartingWith("state.bin.corrupt-"), 1u) << "same second: the last one wins; nothing crashed";
}

TEST_F(StateFileTest, RefusesAnotherFormatVersion) {
  std::string bytes = StateFile::Encode({});
  bytes[8] = 9;
  const auto blobs = StateFile::Decode(bytes);
  ASSERT_FALSE(blobs.has_value());
  EXPECT_EQ(blobs.error(), "state file format version 9 is not supported (expected 1)");
}

TEST(CollectorStateTest, JetEmailRoundTripKeepsCountersAndCountsNothingTwice) {
  const TimePoint now = FromUnixMillis(1'767'225'600'000);
  JetEmailAccount account;
  account.name = "main";
  JetEmailCollector original(account, CollectionConfig{});
  events::InboundSighting entry{"u1", "example.com", "delivered", 2, 1, {{"a1", "delivery", 0, 12, 3.5}}};
  original.state().ApplyPage({entry}, now);
  JetEmailCollector restored(account, CollectionConfig{});
  ASSERT_TRUE(restored.RestoreState(original.EncodeState()));
  restored.state().ApplyPage({entry}, now + 1min);
  m::MetricSet a, b;
  original.Snapshot(a);
  restored.Snapshot(b);
  for (const m::Desc* d : {&m::kJetMessagesTotal, &m::kJetDeliveriesTotal, &m::kJetRejectionsTotal, &m::kJetActionsTotal,
                           &m::kJetMessages}) {
    ASSERT_NE(a.Find(*d), nullptr) << d->name;
    ASSERT_NE(b.Find(*d), nullptr) << d->name;
    for (const auto& [labels, series] : *a.Find(*d)) EXPECT_EQ(b.Value(*d, labels), series.value) << d->name;
  }
  EXPECT_EQ(b.Find(m::kJetSpamScore)->begin()->second.count, 1u);
  EXPECT_EQ(restored.Status().tracked_messages, 1u);
}

// A blob's domain ids are its own: a collector configured with other
// domains, or the same ones in another order, restores every counter under
// its domain and keeps counting (the configured domains were interned
// before the blob was read, so such a restore was refused and the account
// started from zero).
TEST(CollectorStateTest, JetEmailRestoresUnderOtherConfiguredDomains) {
  const TimePoint now = FromUnixMillis(1'767'225'600'000);
  JetEmailAccount before;
  before.name = "main";
  before.domains = {"a.example", "b.example"};
  JetEmailCollector original(before, CollectionConfig{});
  original.state().ApplyPage({events::InboundSighting{"u1", "b.example", "delivered", 1, 0, {}}}, now);
  JetEmailAccount after = before;
  after.domains = {"c.example", "b.example"};
  JetEmailCollector restored(after, CollectionConfig{});
  const auto outcome = restored.RestoreState(original.EncodeState());
  ASSERT_TRUE(outcome.has_value()) << outcome.error();
  restored.state().ApplyPage({events::InboundSighting{"u2", "c.example", "delivered", 2, 0, {}}}, now + 1min);
  m::MetricSet out;
  restored.Snapshot(out);
  EXPECT_EQ(out.Value(m::kJetDeliveriesTotal, {"main", "b.example"}), 1);
  EXPECT_EQ(out.Value(m::kJetDeliveriesTotal, {"main", "c.example"}), 2);
  EXPECT_EQ(out.Find(m::kJetDeliveriesTotal)->count({"main", "a.example"}), 1u) << "a domain seen before stays exported";
}

TEST(CollectorStateTest, MalformedBlobsAreRefused) {
  JetEmailAccount account;
  account.name = "main";
  JetEmailCollector original(account, CollectionConfig{});
  original.state().ApplyPage({events::InboundSighting{"u1", "example.com", "queued", 0, 0, {}}}, FromUnixMillis(1'767'225'600'000));
  const std::string blob = original.EncodeState();
  for (size_t cut = 0; cut < blob.size(); cut += 3) {
    JetEmailCollector fresh(account, CollectionConfig{});
    EXPECT_FALSE(fresh.RestoreState(blob.substr(0, cut)).has_value()) << "cut at " << cut;
  }
  MailtrapAccount mt;
  mt.name = "prod";
  MailtrapCollector mailtrap(mt, CollectionConfig{});
  EXPECT_FALSE(mailtrap.RestoreState(blob).has_value()) << "another provider's blob";
}

// Times later code converts or subtracts (the watermark, message times)
// are refused when no clock could have written them, rather than
// overflowing (found by state_file_fuzzer).
TEST(CollectorStateTest, ImplausibleTimesAreRefused) {
  JetEmailAccount account;
  account.name = "main";
  JetEmailCollector original(account, CollectionConfig{});
  original.state().ApplyPage({events::InboundSighting{"u1", "example.com", "queued", 0, 0, {}}}, FromUnixMillis(1'767'225'600'000));
  const std::string blob = original.EncodeState();  // tag, watermark 0 (one byte), state
  BinaryReader in(blob);
  std::string tag;
  ASSERT_TRUE(in.Str(&tag));
  BinaryWriter prefix;
  prefix.Str(tag);
  const std::string state = blob.substr(prefix.data().size() + 1);
  for (const std::int64_t watermark_ms : {std::int64_t{1'767'225'600'000}, std::numeric_limits<std::int64_t>::max(), std::int64_t{1} << 50,
                                          -(std::int64_t{1} << 50)}) {
    BinaryWriter out;
    out.Str(tag);
    out.I64(watermark_ms);
    JetEmailCollector fresh(account, CollectionConfig{});
    EXPECT_EQ(fresh.RestoreState(out.data() + state).has_value(), watermark_ms == 1'767'225'600'000) << "watermark " << watermark_ms;
  }
}

}  // namespace
}  // namespace ele
