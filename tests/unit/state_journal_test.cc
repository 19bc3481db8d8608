// The state file's snapshot and journal: saves append what changed, a
// restart replays it, a crash at any point of a save or a compaction
// leaves a state that was durable, and files of the earlier layout convert.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "exporter/state/state_file.h"

namespace ele {
namespace {

namespace fs = std::filesystem;

class StateJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) / ("journal_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    path = (dir / "state.bin").string();
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string Loaded(const std::string& key) {
    StateFile file(path);
    EXPECT_TRUE(file.Load().has_value());
    return std::string(file.Blob(key).bytes());
  }
  static std::string Rows(size_t count, unsigned version) {
    std::string out;
    for (size_t i = 0; i < count; ++i) out += "message-" + std::to_string(i) + "-status-" + std::to_string((i % 97 == 0) ? version : 0) + ";";
    return out;
  }
  fs::path dir;
  std::string path;
};

TEST_F(StateJournalTest, ASaveThatChangedLittleWritesLittle) {
  StateFile file(path);
  ASSERT_TRUE(file.Load().has_value());
  ASSERT_TRUE(file.Save("jetemail/main", Rows(100'000, 1)).has_value());  // about 3 MB
  const StateFile::Sizes first = file.sizes();
  std::string next = Rows(100'000, 1);
  next.replace(1'000'000, 10, "0123456789");
  next += "message-new-status-1;";
  ASSERT_TRUE(file.Save("jetemail/main", next).has_value());
  const StateFile::Sizes second = file.sizes();
  EXPECT_EQ(second.journal_records, first.journal_records + 1);
  EXPECT_LT(second.journal_bytes - first.journal_bytes, 8'000u);
  EXPECT_EQ(Loaded("jetemail/main"), next) << "snapshot plus journal";
}

TEST_F(StateJournalTest, CompactsWhenTheJournalOutgrowsTheSnapshot) {
  StateFile file(path);
  ASSERT_TRUE(file.Load().has_value());
  for (unsigned version = 1; version <= 40; ++version) ASSERT_TRUE(file.Save("mailtrap/prod", Rows(20'000, version)).has_value());
  const StateFile::Sizes sizes = file.sizes();
  EXPECT_GE(sizes.generation, 3u) << "every change touches 1 row in 97: each record is a large part of the snapshot";
  EXPECT_LE(sizes.journal_bytes, sizes.snapshot_bytes);
  EXPECT_EQ(Loaded("mailtrap/prod"), Rows(20'000, 40));
}

TEST_F(StateJournalTest, ATornLastRecordIsDroppedAndTheNextSaveFollowsTheLastWholeOne) {
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "first").has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "second").has_value());
  }
  fs::resize_file(path + ".journal", fs::file_size(path + ".journal") - 3);  // a crash mid-append
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    EXPECT_EQ(file.Blob("jetemail/main").bytes(), "first");
    ASSERT_TRUE(file.Save("jetemail/main", "third").has_value());
  }
  EXPECT_EQ(Loaded("jetemail/main"), "third");
}

TEST_F(StateJournalTest, ACrashAtAnyStepOfACompactionLeavesTheLastSave) {
  StateFile file(path);
  ASSERT_TRUE(file.Load().has_value());
  ASSERT_TRUE(file.Save("jetemail/main", "one").has_value());
  ASSERT_TRUE(file.Save("jetemail/main", "two").has_value());
  const fs::path journal = path + ".journal";
  fs::copy_file(path, dir / "old.snapshot");
  fs::copy_file(journal, dir / "old.journal");
  ASSERT_TRUE(file.Compact().has_value());
  // Crash before the new snapshot's rename: the old pair and a stray .tmp.
  fs::copy_file(path, path + ".tmp", fs::copy_options::overwrite_existing);
  fs::copy_file(dir / "old.snapshot", path, fs::copy_options::overwrite_existing);
  fs::copy_file(dir / "old.journal", journal, fs::copy_options::overwrite_existing);
  EXPECT_EQ(Loaded("jetemail/main"), "two");
  // Crash after it, before the new journal: new snapshot, old journal.
  fs::copy_file(path + ".tmp", path, fs::copy_options::overwrite_existing);
  EXPECT_EQ(Loaded("jetemail/main"), "two") << "the older generation's journal is ignored, not replayed twice";
  // A save then starts a journal of its own generation.
  {
    StateFile again(path);
    ASSERT_TRUE(again.Load().has_value());
    ASSERT_TRUE(again.Save("jetemail/main", "three").has_value());
  }
  EXPECT_EQ(Loaded("jetemail/main"), "three");
}

// A size made durable before its data: the tail reads back as zeros, which
// would pass for an empty record.
TEST_F(StateJournalTest, AZeroFilledTailIsNotARecord) {
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "kept").has_value());
  }
  std::ofstream(path + ".journal", std::ios::binary | std::ios::app) << std::string(64, '\0');
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    EXPECT_EQ(file.Blob("jetemail/main").bytes(), "kept");
    ASSERT_TRUE(file.Compact().has_value());
  }
  StateFile file(path);
  ASSERT_TRUE(file.Load().has_value()) << "no empty key made it into the snapshot";
  EXPECT_EQ(file.Blob("jetemail/main").bytes(), "kept");
}

TEST_F(StateJournalTest, ADamagedRecordIsReportedAndWhatCameBeforeIsKept) {
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    for (const char* tail : {"", "a", "ab", "abc"}) ASSERT_TRUE(file.Save("jetemail/main", Rows(20'000, 1) + tail).has_value());
    ASSERT_GE(file.sizes().journal_records, 3u);
  }
  {
    std::fstream journal(path + ".journal", std::ios::binary | std::ios::in | std::ios::out);
    journal.seekp(-10, std::ios::end);
    journal.put('#');  // inside the last record, which is whole
  }
  std::fstream(path + ".journal", std::ios::binary | std::ios::app) << std::string(100, 'x');  // so it is not the tail
  StateFile file(path);
  const Result<void> loaded = file.Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("damaged record"), std::string::npos) << loaded.error().message;
  EXPECT_TRUE(file.Blob("jetemail/main").bytes() == Rows(20'000, 1) + "ab");
  EXPECT_TRUE(file.Save("jetemail/main", Rows(20'000, 1) + "abcd").has_value()) << "the file stays usable";
  EXPECT_TRUE(Loaded("jetemail/main") == Rows(20'000, 1) + "abcd");
}

TEST_F(StateJournalTest, FilesThatCannotBeReadAreNeverWrittenOver) {
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "precious").has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "more precious").has_value());
  }
  fs::rename(path + ".journal", dir / "journal.aside");
  fs::create_directory(path + ".journal");  // read() fails: EISDIR
  StateFile file(path);
  EXPECT_FALSE(file.Load().has_value());
  const Result<void> saved = file.Save("jetemail/main", "would overwrite");
  ASSERT_FALSE(saved.has_value());
  EXPECT_NE(saved.error().message.find("at start"), std::string::npos) << saved.error().message;
  fs::remove(path + ".journal");
  fs::rename(dir / "journal.aside", path + ".journal");
  EXPECT_EQ(Loaded("jetemail/main"), "more precious");
}

// An older release rewrites the snapshot (generation key and all) and
// leaves the journal; upgraded again, that journal is not replayed on it.
TEST_F(StateJournalTest, AJournalIsReplayedOnlyOnItsOwnSnapshot) {
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "one").has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "one and two").has_value());
  }
  auto blobs = StateFile::Decode([&] {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }());
  ASSERT_TRUE(blobs.has_value());
  (*blobs)["jetemail/main"] = "the older release's";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << StateFile::Encode(*blobs);
  EXPECT_EQ(Loaded("jetemail/main"), "the older release's");
}

TEST_F(StateJournalTest, FilesOfTheSnapshotOnlyLayoutLoadAndConvert) {
  std::ofstream(path, std::ios::binary) << StateFile::Encode({{"jetemail/main", "old-layout"}, {"mailtrap/prod", "kept"}});
  StateFile file(path);
  ASSERT_TRUE(file.Load().has_value());
  EXPECT_EQ(file.Blob("jetemail/main").bytes(), "old-layout");
  EXPECT_EQ(file.sizes().generation, 0u);
  ASSERT_TRUE(file.Save("jetemail/main", "converted").has_value());
  EXPECT_EQ(file.sizes().generation, 1u);
  EXPECT_TRUE(fs::exists(path + ".journal"));
  EXPECT_EQ(Loaded("jetemail/main"), "converted");
  EXPECT_EQ(Loaded("mailtrap/prod"), "kept");
}

TEST_F(StateJournalTest, RemovalsAreJournaledToo) {
  {
    StateFile file(path);
    ASSERT_TRUE(file.Load().has_value());
    ASSERT_TRUE(file.Save("jetemail/main", "a").has_value());
    ASSERT_TRUE(file.Save("mailtrap/prod", "b").has_value());
    ASSERT_TRUE(file.Remove("jetemail/main").has_value());
    ASSERT_TRUE(file.Save("mailtrap/prod", "b2").has_value());
  }
  EXPECT_EQ(Loaded("jetemail/main"), "");
  EXPECT_EQ(Loaded("mailtrap/prod"), "b2");
}

}  // namespace
}  // namespace ele
