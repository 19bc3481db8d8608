// /metrics in-process: rendering the text of N series from the published
// snapshots (what the first scrape after each publish pays; later scrapes
// are served from the cached text). The latency under 32 concurrent
// connections is measured on a real server by metrics_server + wrk.
#include <benchmark/benchmark.h>

#include "benchmarks/fixtures.h"
#include "exporter/metrics/metrics_hub.h"

namespace ele::bench {
namespace {

void MetricsRender(benchmark::State& state) {
  metrics::MetricsHub hub;
  const int series = FillSeries(hub, static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    hub.SetGlobal(metrics::kConfigReloadSuccessful, {}, 1);  // invalidates the cached text
    state.ResumeTiming();
    bytes = hub.Render()->size();
  }
  state.counters["series"] = series;
  state.counters["text_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations() * series);
}
BENCHMARK(MetricsRender)->Arg(1000)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMillisecond);

void MetricsCachedScrape(benchmark::State& state) {
  metrics::MetricsHub hub;
  FillSeries(hub, static_cast<int>(state.range(0)));
  hub.Render();
  for (auto _ : state) benchmark::DoNotOptimize(hub.Render());
}
BENCHMARK(MetricsCachedScrape)->Arg(10'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ele::bench
