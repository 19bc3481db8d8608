// Memory per tracked message: resident set growth while an account's state
// takes 1,000,000 distinct messages (1,000 realistic pages of 1,000),
// divided by their number. Run each in a process of its own
// (--benchmark_filter), as scripts/bench.sh does, so nothing else moves RSS.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <map>

#include "benchmarks/fixtures.h"
#include "exporter/providers/jetemail/jetemail_wire.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"
#include "exporter/state/jetemail_state.h"
#include "exporter/state/mailtrap_state.h"

namespace ele::bench {
namespace {


// Freed parse buffers stay mapped in malloc's arenas; trimming before each
// reading leaves only what the state holds.
std::int64_t SettledResidentBytes() {
  malloc_trim(0);
  return ResidentBytes();
}

template <typename Apply>
void MeasureGrowth(benchmark::State& state, Apply apply_page) {
  const auto messages = state.range(0);
  const int per_page = 1000;
  for (auto _ : state) {
    apply_page(-1);  // warms the allocator and the label tables with one page
    const std::int64_t before = SettledResidentBytes();
    for (std::int64_t page = 0; page < messages / per_page; ++page) apply_page(page);
    const std::int64_t after = SettledResidentBytes();
    state.counters["bytes_per_message"] = static_cast<double>(after - before) / static_cast<double>(messages);
    state.counters["rss_growth_mib"] = static_cast<double>(after - before) / (1 << 20);
  }
}

void JetEmailMemoryPerMessage(benchmark::State& state) {
  JetEmailState account(JetOptions());
  // Pages are generated per call: keeping 1,000 of them would dwarf the state.
  MeasureGrowth(state, [&](std::int64_t page) {
    const std::string body = JetEmailPage(1000, page < 0 ? 1'000'000'000 : page * 1000, kBaseMs);
    account.ApplyPage(jetemail::ParsePage(body)->entries, kNow);
  });
  state.counters["tracked"] = static_cast<double>(account.tracked());
}
BENCHMARK(JetEmailMemoryPerMessage)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);

void MailtrapMemoryPerMessage(benchmark::State& state) {
  MailtrapState account(MailtrapOptions());
  MeasureGrowth(state, [&](std::int64_t page) {
    const std::string body = MailtrapPage(1000, page < 0 ? 1'000'000'000 : page * 1000, kBaseMs);
    ApplyMailtrap(account, mailtrap::ParseListPage(body)->messages);
  });
  state.counters["tracked"] = static_cast<double>(account.tracked());
}
BENCHMARK(MailtrapMemoryPerMessage)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kSecond);

// How memory scales with tracked messages (one size a process, like above).
BENCHMARK(JetEmailMemoryPerMessage)->Arg(100'000)->Arg(300'000)->Arg(2'000'000)->Iterations(1)->Unit(benchmark::kSecond)->Name("JetEmailMemoryScaling");
BENCHMARK(MailtrapMemoryPerMessage)->Arg(100'000)->Arg(300'000)->Arg(2'000'000)->Iterations(1)->Unit(benchmark::kSecond)->Name("MailtrapMemoryScaling");

}  // namespace
}  // namespace ele::bench
