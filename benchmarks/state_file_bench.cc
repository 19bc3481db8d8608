// The state file with 1,000,000 tracked messages: save (encode the
// account's state, write, fsync, rename) and load (read, check, decode into
// a fresh state), and the file's size.
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

template <typename State>
void Save(benchmark::State& state, const State& full, const char* key) {
  const std::string path = TempPath(key);
  StateFile file(path);
  for (auto _ : state) {
    if (const auto saved = file.Save(key, EncodeBlob(full)); !saved) state.SkipWithError(saved.error().message.c_str());
  }
  state.counters["file_mib"] = static_cast<double>(std::filesystem::file_size(path)) / (1 << 20);
  state.counters["tracked"] = static_cast<double>(full.tracked());
  std::filesystem::remove(path);
}

template <typename State, typename Options>
void Load(benchmark::State& state, const State& full, const char* key, const Options& options) {
  const std::string path = TempPath(key);
  {
    StateFile file(path);
    (void)file.Save(key, EncodeBlob(full));  // Load() below reports a failure
  }
  for (auto _ : state) {
    StateFile file(path);
    if (const auto loaded = file.Load(); !loaded) state.SkipWithError(loaded.error().message.c_str());
    const StateFile::BlobRef blob = file.Blob(key);
    auto restored = std::make_unique<State>(options);
    if (!DecodeBlob(blob.bytes(), restored.get()) || restored->tracked() != full.tracked()) state.SkipWithError("state did not decode");
    state.PauseTiming();  // dropping a million messages is not part of loading
    restored.reset();
    state.ResumeTiming();
  }
  std::filesystem::remove(path);
}

void JetEmailStateFileSave(benchmark::State& state) { Save(state, FullJetEmail(), "jetemail/main"); }
void JetEmailStateFileLoad(benchmark::State& state) { Load(state, FullJetEmail(), "jetemail/main", JetOptions()); }
void MailtrapStateFileSave(benchmark::State& state) { Save(state, FullMailtrap(), "mailtrap/prod"); }
void MailtrapStateFileLoad(benchmark::State& state) { Load(state, FullMailtrap(), "mailtrap/prod", MailtrapOptions()); }
BENCHMARK(JetEmailStateFileSave)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(JetEmailStateFileLoad)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(MailtrapStateFileSave)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(MailtrapStateFileLoad)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ele::bench
