// Ingest: parse one API page and apply it to an account's state, on one
// core. The figure is entries (messages) per second of a 1,000-entry page
// of messages never seen before, the common case of a busy account; the
// re-read of known messages (the overlap) is measured beside it.
#include <benchmark/benchmark.h>

#include <map>

#include "benchmarks/fixtures.h"
#include "exporter/providers/jetemail/jetemail_wire.h"
#include "exporter/providers/mailtrap/mailtrap_wire.h"
#include "exporter/state/jetemail_state.h"
#include "exporter/state/mailtrap_state.h"

namespace ele::bench {
namespace {

constexpr int kPageEntries = 1000;

void JetEmailParse(benchmark::State& state) {
  const std::string page = JetEmailPage(kPageEntries, 0, kBaseMs);
  for (auto _ : state) {
    auto parsed = jetemail::ParsePage(page);
    if (!parsed) state.SkipWithError(parsed.error().message.c_str());
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations() * kPageEntries);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
  state.counters["page_bytes"] = static_cast<double>(page.size());
}
BENCHMARK(JetEmailParse)->Unit(benchmark::kMillisecond);

// Parse + apply of new messages into a fresh state. Building and dropping
// the state is not timed.
void JetEmailIngest(benchmark::State& state) {
  const std::string page = JetEmailPage(kPageEntries, 0, kBaseMs);
  for (auto _ : state) {
    state.PauseTiming();
    auto account = std::make_unique<JetEmailState>(JetOptions());
    state.ResumeTiming();
    auto parsed = jetemail::ParsePage(page);
    if (!parsed) state.SkipWithError(parsed.error().message.c_str());
    account->ApplyPage(parsed->entries, kNow);
    state.PauseTiming();
    account.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPageEntries);
  state.counters["page_bytes"] = static_cast<double>(page.size());
}
BENCHMARK(JetEmailIngest)->Unit(benchmark::kMillisecond);

// The overlap: the same page again, every message known and unchanged.
void JetEmailReread(benchmark::State& state) {
  const std::string page = JetEmailPage(kPageEntries, 0, kBaseMs);
  JetEmailState account(JetOptions());
  account.ApplyPage(jetemail::ParsePage(page)->entries, kNow);
  for (auto _ : state) {
    auto parsed = jetemail::ParsePage(page);
    account.ApplyPage(parsed->entries, kNow);
  }
  state.SetItemsProcessed(state.iterations() * kPageEntries);
}
BENCHMARK(JetEmailReread)->Unit(benchmark::kMillisecond);

void MailtrapParse(benchmark::State& state) {
  const std::string page = MailtrapPage(kPageEntries, 0, kBaseMs);
  for (auto _ : state) {
    auto parsed = mailtrap::ParseListPage(page);
    if (!parsed) state.SkipWithError(parsed.error().message.c_str());
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations() * kPageEntries);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(page.size()));
  state.counters["page_bytes"] = static_cast<double>(page.size());
}
BENCHMARK(MailtrapParse)->Unit(benchmark::kMillisecond);

void MailtrapIngest(benchmark::State& state) {
  const std::string page = MailtrapPage(kPageEntries, 0, kBaseMs);
  for (auto _ : state) {
    state.PauseTiming();
    auto account = std::make_unique<MailtrapState>(MailtrapOptions());
    state.ResumeTiming();
    auto parsed = mailtrap::ParseListPage(page);
    if (!parsed) state.SkipWithError(parsed.error().message.c_str());
    ApplyMailtrap(*account, parsed->messages);
    state.PauseTiming();
    account.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPageEntries);
  state.counters["page_bytes"] = static_cast<double>(page.size());
}
BENCHMARK(MailtrapIngest)->Unit(benchmark::kMillisecond);

void MailtrapReread(benchmark::State& state) {
  const std::string page = MailtrapPage(kPageEntries, 0, kBaseMs);
  MailtrapState account(MailtrapOptions());
  ApplyMailtrap(account, mailtrap::ParseListPage(page)->messages);
  for (auto _ : state) {
    auto parsed = mailtrap::ParseListPage(page);
    ApplyMailtrap(account, parsed->messages);
  }
  state.SetItemsProcessed(state.iterations() * kPageEntries);
}
BENCHMARK(MailtrapReread)->Unit(benchmark::kMillisecond);

// How ingest scales with page size (entries per page), JetEmail.
void JetEmailIngestBySize(benchmark::State& state) {
  const int entries = static_cast<int>(state.range(0));
  const std::string page = JetEmailPage(entries, 0, kBaseMs);
  for (auto _ : state) {
    state.PauseTiming();
    auto account = std::make_unique<JetEmailState>(JetOptions());
    state.ResumeTiming();
    account->ApplyPage(jetemail::ParsePage(page)->entries, kNow);
    state.PauseTiming();
    account.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * entries);
}
BENCHMARK(JetEmailIngestBySize)->Arg(10)->Arg(100)->Arg(1000)->Arg(5000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ele::bench
