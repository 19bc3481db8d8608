// Binary encoding of the pieces every account's state is made of. Decoders
// validate as they go (descriptor ids, label counts, bucket counts) and
// return false on anything unexpected, so a damaged blob is refused rather
// than half-loaded.
#pragma once

#include "exporter/metrics/metric_set.h"
#include "exporter/state/binary_codec.h"
#include "exporter/state/label_folder.h"

namespace ele {

void EncodeMetricSet(const metrics::MetricSet& set, BinaryWriter& out);
bool DecodeMetricSet(BinaryReader& in, metrics::MetricSet* set);

void EncodeLabelFolder(const LabelFolder& folder, BinaryWriter& out);
bool DecodeLabelFolder(BinaryReader& in, LabelFolder* folder);

void EncodeStrings(const std::vector<std::string>& values, BinaryWriter& out);
bool DecodeStrings(BinaryReader& in, std::vector<std::string>* values);

}  // namespace ele
