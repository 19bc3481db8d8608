// libFuzzer target: the state file reader. The container first (header,
// length, CRC), then each account blob as both collectors restore it, and
// the raw input as a blob too (the CRC would keep most mutations out), and
// as a journal record's delta replayed on a base blob.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "exporter/config/config.h"
#include "exporter/providers/jetemail/jetemail_collector.h"
#include "exporter/providers/mailtrap/mailtrap_collector.h"
#include "exporter/state/blob_delta.h"
#include "exporter/state/state_file.h"

namespace {

void Restore(std::string_view blob) {
  ele::CollectionConfig collection;
  collection.max_tracked_messages = 1000;
  ele::JetEmailAccount jet;
  jet.name = "main";
  ele::JetEmailCollector jet_collector(jet, collection);
  ele::metrics::MetricSet snapshot;  // a restored state's counts must name only what it interned
  if (jet_collector.RestoreState(blob)) {
    (void)jet_collector.EncodeState();
    jet_collector.Snapshot(snapshot);
  }
  ele::MailtrapAccount mt;
  mt.name = "prod";
  mt.account_id = 1;
  ele::MailtrapCollector mt_collector(mt, collection);
  if (mt_collector.RestoreState(blob)) {
    (void)mt_collector.EncodeState();
    mt_collector.Snapshot(snapshot);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (const auto blobs = ele::StateFile::Decode(bytes)) {
    for (const auto& [key, blob] : *blobs) Restore(blob);
  }
  Restore(bytes);
  static const std::string base = "the base blob a journal's delta copies ranges of, 64 bytes long.";
  ele::BlobRebuilder rebuilder(base);
  if (rebuilder.Apply(bytes) && rebuilder.Apply(bytes)) Restore(rebuilder.Materialize());
  return 0;
}
