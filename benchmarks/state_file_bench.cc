// The state file with 1,000,000 tracked messages: a save (encode the
// account's state, find what changed, append it to the journal, fsync), a
// compaction (the whole snapshot, fsync, rename), a recovery (snapshot plus
// a journal of a few cycles' changes, decoded into a fresh state) and the
// snapshot's size; and the bytes written a minute at 50,000 tracked
// messages with 10 new a second at `interval: 5s`.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "benchmarks/fixtures.h"
#include "exporter/providers/jetemail/jetemail_wire.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"
#include "exporter/state/jetemail_state.h"
#include "exporter/state/jetemail_state_codec.h"
#include "exporter/state/mailtrap_state.h"
#include "exporter/state/mailtrap_state_codec.h"
#include "exporter/state/state_file.h"

namespace ele::bench {
namespace {

constexpr int kMessages = 1'000'000;

std::string TempPath(std::string name) {
  std::replace(name.begin(), name.end(), '/', '_');
  return (std::filesystem::temp_directory_path() / (std::string("ele_bench_") + name + "_" + std::to_string(::getpid()))).string();
}

const JetEmailState& FullJetEmail() {
  static const JetEmailState* full = [] {
    auto* s = new JetEmailState(JetOptions());
    for (int page = 0; page < kMessages / 1000; ++page) s->ApplyPage(jetemail::ParsePage(JetEmailPage(1000, page * 1000, kBaseMs))->entries, kNow);
    return s;
  }();
  return *full;
}

const MailtrapState& FullMailtrap() {
  static const MailtrapState* full = [] {
    auto* s = new MailtrapState(MailtrapOptions());
    for (int page = 0; page < kMessages / 1000; ++page) ApplyMailtrap(*s, mailtrap::ParseListPage(MailtrapPage(1000, page * 1000, kBaseMs))->messages);
    return s;
  }();
  return *full;
}

std::string EncodeBlob(const JetEmailState& state) { return JetEmailStateCodec::Encode(state, std::nullopt); }
std::string EncodeBlob(const MailtrapState& state) { return MailtrapStateCodec::Encode(state, std::nullopt); }
bool DecodeBlob(std::string_view blob, JetEmailState* state) {
  std::optional<TimePoint> watermark;
  return JetEmailStateCodec::Decode(blob, state, &watermark);
}
bool DecodeBlob(std::string_view blob, MailtrapState* state) {
  std::optional<TimePoint> watermark;
  return MailtrapStateCodec::Decode(blob, state, &watermark);
}

constexpr int kNewPerCycle = 50;  // 10 a second at interval: 5s

// New messages, as the next cycle's page would bring them.
void Grow(JetEmailState& state, int cycle, int count, std::int64_t first_uid) {
  state.ApplyPage(jetemail::ParsePage(JetEmailPage(count, first_uid + std::int64_t{cycle} * count, kBaseMs))->entries, kNow);
}
void Grow(MailtrapState& state, int cycle, int count, std::int64_t first_id) {
  ApplyMailtrap(state, mailtrap::ParseListPage(MailtrapPage(count, first_id + std::int64_t{cycle} * count, kBaseMs))->messages);
}

// A save after a cycle that brought 50 new messages: encode, find what
// changed, append and fsync it.
template <typename State, typename Options>
void Save(benchmark::State& state, const State& full, const char* key, const Options& options) {
  const std::string path = TempPath(key);
  StateFile file(path);
  auto copy = std::make_unique<State>(options);
  DecodeBlob(EncodeBlob(full), copy.get());
  (void)file.Save(key, EncodeBlob(*copy));  // the first save writes the snapshot
  int cycle = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Grow(*copy, cycle++, kNewPerCycle, 100'000'000);
    state.ResumeTiming();
    if (const auto saved = file.Save(key, EncodeBlob(*copy)); !saved) state.SkipWithError(saved.error().message.c_str());
  }
  state.counters["file_mib"] = static_cast<double>(file.sizes().snapshot_bytes) / (1 << 20);
  state.counters["tracked"] = static_cast<double>(full.tracked());
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".journal");
}

template <typename State>
void Compact(benchmark::State& state, const State& full, const char* key) {
  const std::string path = TempPath(key);
  StateFile file(path);
  (void)file.Save(key, EncodeBlob(full));
  for (auto _ : state) {
    if (const auto compacted = file.Compact(); !compacted) state.SkipWithError(compacted.error().message.c_str());
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".journal");
}

// A restart: the snapshot and a journal of ten cycles' changes, read,
// replayed and decoded.
template <typename State, typename Options>
void Recover(benchmark::State& state, const State& full, const char* key, const Options& options) {
  const std::string path = TempPath(key);
  size_t tracked = 0;
  {
    StateFile file(path);
    auto copy = std::make_unique<State>(options);
    DecodeBlob(EncodeBlob(full), copy.get());
    (void)file.Save(key, EncodeBlob(*copy));
    for (int cycle = 0; cycle < 10; ++cycle) {
      Grow(*copy, cycle, kNewPerCycle, 100'000'000);
      (void)file.Save(key, EncodeBlob(*copy));
    }
    tracked = copy->tracked();
    state.counters["journal_records"] = static_cast<double>(file.sizes().journal_records);
  }
  for (auto _ : state) {
    StateFile file(path);
    if (const auto loaded = file.Load(); !loaded) state.SkipWithError(loaded.error().message.c_str());
    auto restored = std::make_unique<State>(options);
    if (!DecodeBlob(file.Blob(key).bytes(), restored.get()) || restored->tracked() != tracked) state.SkipWithError("state did not decode");
    state.PauseTiming();  // dropping a million messages is not part of loading
    restored.reset();
    state.ResumeTiming();
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".journal");
}

// Bytes written (journal records and compactions' snapshots) over an hour
// of cycles at interval 5s, 50,000 messages tracked and 10 new a
// second, as a minute's average.
void JetEmailStateFileBytesPerMinute(benchmark::State& state) {
  constexpr int kCyclesPerMinute = 12, kMinutes = 60;  // long enough for the compactions
  for (auto _ : state) {
    const std::string path = TempPath("bytes_per_minute");
    StateFile file(path);
    JetEmailState account(JetOptions());
    for (int page = 0; page < 50; ++page) Grow(account, page, 1000, 0);
    (void)file.Save("jetemail/main", JetEmailStateCodec::Encode(account, std::nullopt));
    const std::uint64_t start = file.sizes().bytes_written;
    for (int cycle = 0; cycle < kCyclesPerMinute * kMinutes; ++cycle) {
      Grow(account, cycle, kNewPerCycle, 100'000'000);
      (void)file.Save("jetemail/main", JetEmailStateCodec::Encode(account, std::nullopt));
    }
    const StateFile::Sizes sizes = file.sizes();
    state.counters["bytes_per_minute"] = static_cast<double>(sizes.bytes_written - start) / kMinutes;
    state.counters["snapshot_bytes"] = static_cast<double>(sizes.snapshot_bytes);
    state.counters["compactions"] = static_cast<double>(sizes.generation);
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".journal");
  }
}

void JetEmailStateFileSave(benchmark::State& state) { Save(state, FullJetEmail(), "jetemail/main", JetOptions()); }
void JetEmailStateFileCompact(benchmark::State& state) { Compact(state, FullJetEmail(), "jetemail/main"); }
void JetEmailStateFileLoad(benchmark::State& state) { Recover(state, FullJetEmail(), "jetemail/main", JetOptions()); }
void MailtrapStateFileSave(benchmark::State& state) { Save(state, FullMailtrap(), "mailtrap/prod", MailtrapOptions()); }
void MailtrapStateFileCompact(benchmark::State& state) { Compact(state, FullMailtrap(), "mailtrap/prod"); }
void MailtrapStateFileLoad(benchmark::State& state) { Recover(state, FullMailtrap(), "mailtrap/prod", MailtrapOptions()); }
BENCHMARK(JetEmailStateFileSave)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(JetEmailStateFileCompact)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(JetEmailStateFileLoad)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(MailtrapStateFileSave)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(MailtrapStateFileCompact)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(MailtrapStateFileLoad)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(JetEmailStateFileBytesPerMinute)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ele::bench
