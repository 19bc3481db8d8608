// What changed between two versions of a blob, as a short list of
// operations: copy a range of the previous version, or insert new bytes.
// The blobs are cut into content-defined chunks (a rolling hash picks the
// cut points from the bytes themselves, as rsync and backup tools do), so a
// message inserted or removed in the middle shifts no cut point but its
// own: a cycle that changed a few messages makes a delta of a few chunks,
// whatever the size of the state. The state file's journal is made of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ele {

// The chunks of one blob, by the hash of their bytes.
class ChunkIndex {
 public:
  static ChunkIndex Of(std::string_view blob);
  void Add(std::uint64_t hash, std::uint64_t offset, std::uint64_t length) { chunks_.try_emplace(hash, Chunk{offset, length}); }
  struct Chunk {
    std::uint64_t offset, length;
  };
  // A chunk of the indexed blob with these bytes' hash; nullptr if none.
  const Chunk* Find(std::uint64_t hash) const;
  size_t size() const { return chunks_.size(); }

 private:
  std::unordered_map<std::uint64_t, Chunk> chunks_;
};

// Cut points of `blob`: the end offset of each chunk.
std::vector<std::uint64_t> ChunkEnds(std::string_view blob);
std::uint64_t ChunkHash(std::string_view bytes);

// The delta that makes `next` out of `previous` (indexed by `previous_index`),
// and `next`'s own index for the delta after it.
std::string EncodeDelta(std::string_view previous, const ChunkIndex& previous_index, std::string_view next, ChunkIndex* next_index);

// A blob rebuilt from a base and deltas applied in turn, without copying
// the whole blob at each delta: it is held as pieces that point into the
// base and the deltas' literals (which must outlive it) until Materialize.
class BlobRebuilder {
 public:
  explicit BlobRebuilder(std::string_view base);
  // False when `delta` is malformed or refers outside the current blob;
  // the blob is then unchanged.
  bool Apply(std::string_view delta);
  std::string Materialize() const;
  std::uint64_t size() const { return size_; }

 private:
  struct Piece {
    std::uint64_t start;  // offset in the current blob
    std::string_view bytes;
  };
  static void AppendPiece(std::vector<Piece>* out, std::uint64_t* out_size, std::string_view bytes);
  // Appends the current blob's [offset, offset + length) to `out`.
  bool CopyRange(std::uint64_t offset, std::uint64_t length, std::vector<Piece>* out, std::uint64_t* out_size) const;
  std::vector<Piece> pieces_;
  std::uint64_t size_ = 0;
};

}  // namespace ele
