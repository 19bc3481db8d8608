#include "exporter/state/blob_delta.h"

#include <gtest/gtest.h>

#include <random>

namespace ele {
namespace {

// Bytes that look like an encoded state: records of varying content.
std::string Blob(size_t size, unsigned seed) {
  std::mt19937_64 random(seed);
  std::string out;
  while (out.size() < size) out += "row" + std::to_string(random() % 100000) + ":" + std::to_string(random()) + ";";
  out.resize(size);
  return out;
}

std::string Rebuilt(const std::string& previous, const std::string& next, size_t* delta_size) {
  ChunkIndex next_chunks;
  const std::string delta = EncodeDelta(previous, ChunkIndex::Of(previous), next, &next_chunks);
  *delta_size = delta.size();
  BlobRebuilder rebuilder(previous);
  EXPECT_TRUE(rebuilder.Apply(delta));
  return rebuilder.Materialize();
}

TEST(BlobDeltaTest, SmallEditsOfALargeBlobMakeSmallDeltas) {
  const std::string previous = Blob(4 << 20, 1);
  std::string next = previous;
  next.replace(1'000'000, 40, std::string(40, '#'));         // a changed message
  next.insert(2'500'000, "a-new-message-in-the-middle;");  // shifts everything after it
  next.erase(3'000'000, 500);                               // evicted messages
  next += "appended-rows;";
  size_t delta_size = 0;
  EXPECT_TRUE(Rebuilt(previous, next, &delta_size) == next);
  EXPECT_LT(delta_size, 40'000u) << "a few chunks of about 1 KiB, not 4 MiB";
}

TEST(BlobDeltaTest, RebuildsAnyEditExactly) {
  std::mt19937 random(7);
  const std::string base = Blob(200'000, 2);  // the rebuilder points into it
  std::string blob = base;
  BlobRebuilder rebuilder(base);
  std::vector<std::string> deltas;  // the rebuilder's pieces point into them
  for (int round = 0; round < 30; ++round) {
    std::string next = blob;
    for (int edit = 0; edit < 5; ++edit) {
      const size_t at = random() % (next.size() + 1);
      switch (random() % 3) {
        case 0: next.insert(at, Blob(random() % 3000, static_cast<unsigned>(random()))); break;
        case 1: next.erase(at, random() % 3000); break;
        default: next.replace(at, std::min<size_t>(50, next.size() - at), "changed");
      }
    }
    ChunkIndex next_chunks;
    deltas.push_back(EncodeDelta(blob, ChunkIndex::Of(blob), next, &next_chunks));
    ASSERT_TRUE(rebuilder.Apply(deltas.back()));
    ASSERT_EQ(rebuilder.size(), next.size());
    blob = next;
  }
  EXPECT_TRUE(rebuilder.Materialize() == blob) << "thirty deltas composed, materialized once";
}

TEST(BlobDeltaTest, EmptyBlobsAndMalformedDeltas) {
  size_t delta_size = 0;
  EXPECT_EQ(Rebuilt("", "fresh", &delta_size), "fresh");
  EXPECT_EQ(Rebuilt("gone", "", &delta_size), "");
  BlobRebuilder rebuilder("abc");
  EXPECT_FALSE(rebuilder.Apply("\x05"));  // cut short
  const std::string copy_past_end = std::string("\x03\x01\x01\x02\x03", 5);  // size 3, one copy of [2, 5)
  EXPECT_FALSE(rebuilder.Apply(copy_past_end));
  EXPECT_EQ(rebuilder.Materialize(), "abc") << "unchanged by a refused delta";
  // Found by the fuzzer: a zero-length copy once the blob is empty.
  const std::string empty_then_copy("\x00\x01\x01\x00\x00", 5);  // size 0, one copy of [0, 0)
  ASSERT_TRUE(rebuilder.Apply(empty_then_copy));
  EXPECT_TRUE(rebuilder.Apply(empty_then_copy));
  EXPECT_EQ(rebuilder.Materialize(), "");
  const std::string huge("\xff\xff\xff\xff\xff\xff\x01\x00", 8);  // size far past any blob
  EXPECT_FALSE(rebuilder.Apply(huge));
}

}  // namespace
}  // namespace ele
