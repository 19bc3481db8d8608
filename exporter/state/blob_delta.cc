#include "exporter/state/blob_delta.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "exporter/state/binary_codec.h"

namespace ele {
namespace {

// Chunks of 256 B to 16 KiB, about 1 KiB on average: a changed message
// rewrites about 1 KiB of journal, and a million messages (70 MB) make
// about 70,000 chunks to index.
constexpr std::uint64_t kMinChunk = 256;
constexpr std::uint64_t kMaxChunk = 16 * 1024;
constexpr std::uint64_t kCutMask = (1u << 10) - 1;

enum Op : std::uint64_t { kInsert = 0, kCopy = 1 };
// No account's blob comes near this (a million messages make 70 MB); a
// larger size is a damaged record, not a reason to allocate.
constexpr std::uint64_t kMaxBlob = std::uint64_t{16} << 30;

// A fixed pseudo-random value per byte value (splitmix64): the same cut
// points on every run and every machine.
const std::array<std::uint64_t, 256>& Gear() {
  static const std::array<std::uint64_t, 256> gear = [] {
    std::array<std::uint64_t, 256> table{};
    std::uint64_t x = 0x454C455354415445;  // "ELESTATE"
    for (auto& v : table) {
      x += 0x9E3779B97F4A7C15;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
      v = z ^ (z >> 31);
    }
    return table;
  }();
  return gear;
}

}  // namespace

std::vector<std::uint64_t> ChunkEnds(std::string_view blob) {
  const auto& gear = Gear();
  std::vector<std::uint64_t> ends;
  ends.reserve(blob.size() / 1024 + 1);
  std::uint64_t start = 0, hash = 0;
  for (std::uint64_t i = 0; i < blob.size(); ++i) {
    hash = (hash << 1) + gear[static_cast<unsigned char>(blob[i])];
    const std::uint64_t length = i + 1 - start;
    // The cut looks at the hash's high bits: the low ones only see the last
    // few bytes.
    if ((length >= kMinChunk && ((hash >> 40) & kCutMask) == 0) || length == kMaxChunk) {
      ends.push_back(i + 1);
      start = i + 1;
      hash = 0;
    }
  }
  if (start < blob.size()) ends.push_back(blob.size());
  return ends;
}

std::uint64_t ChunkHash(std::string_view bytes) {
  std::uint64_t h = 0x9E3779B97F4A7C15 ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    h = (h ^ word) * 0xFF51AFD7ED558CCD;
    h ^= h >> 32;
  }
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0xC4CEB9FE1A85EC53;
  return h ^ (h >> 29);
}

ChunkIndex ChunkIndex::Of(std::string_view blob) {
  ChunkIndex index;
  const std::vector<std::uint64_t> ends = ChunkEnds(blob);
  index.chunks_.reserve(ends.size());
  std::uint64_t start = 0;
  for (std::uint64_t end : ends) {
    index.Add(ChunkHash(blob.substr(start, end - start)), start, end - start);
    start = end;
  }
  return index;
}

const ChunkIndex::Chunk* ChunkIndex::Find(std::uint64_t hash) const {
  const auto it = chunks_.find(hash);
  return it == chunks_.end() ? nullptr : &it->second;
}

// Layout: the new size, the operation count, then each operation: kInsert
// and its bytes, or kCopy, the offset in the previous version and a length.
// Neighbouring copies of neighbouring ranges are merged, and so are inserts.
std::string EncodeDelta(std::string_view previous, const ChunkIndex& previous_index, std::string_view next, ChunkIndex* next_index) {
  struct Operation {
    Op op;
    std::uint64_t offset, length;  // in `previous` for a copy, in `next` for an insert
  };
  std::vector<Operation> ops;
  std::uint64_t start = 0;
  for (std::uint64_t end : ChunkEnds(next)) {
    const std::string_view chunk = next.substr(start, end - start);
    const std::uint64_t hash = ChunkHash(chunk);
    next_index->Add(hash, start, chunk.size());
    const ChunkIndex::Chunk* same = previous_index.Find(hash);
    // A hash can collide: only equal bytes are copied.
    if (same != nullptr && same->length == chunk.size() && previous.substr(same->offset, same->length) == chunk) {
      if (!ops.empty() && ops.back().op == kCopy && ops.back().offset + ops.back().length == same->offset) {
        ops.back().length += same->length;
      } else {
        ops.push_back({kCopy, same->offset, same->length});
      }
    } else if (!ops.empty() && ops.back().op == kInsert) {
      ops.back().length += chunk.size();
    } else {
      ops.push_back({kInsert, start, chunk.size()});
    }
    start = end;
  }
  BinaryWriter out;
  out.U64(next.size());
  out.U64(ops.size());
  for (const Operation& operation : ops) {
    out.U64(operation.op);
    if (operation.op == kInsert) {
      out.Str(next.substr(operation.offset, operation.length));
    } else {
      out.U64(operation.offset);
      out.U64(operation.length);
    }
  }
  return std::move(out.data());
}

BlobRebuilder::BlobRebuilder(std::string_view base) : size_(base.size()) {
  if (!base.empty()) pieces_.push_back({0, base});
}

// Appends `bytes`, merged into the last piece when they follow it in memory
// (consecutive ranges of one source), so the piece count stays the number
// of edited regions however many deltas are composed.
void BlobRebuilder::AppendPiece(std::vector<Piece>* out, std::uint64_t* out_size, std::string_view bytes) {
  if (bytes.empty()) return;
  if (!out->empty() && out->back().bytes.data() + out->back().bytes.size() == bytes.data()) {
    out->back().bytes = std::string_view(out->back().bytes.data(), out->back().bytes.size() + bytes.size());
  } else {
    out->push_back({*out_size, bytes});
  }
  *out_size += bytes.size();
}

bool BlobRebuilder::CopyRange(std::uint64_t offset, std::uint64_t length, std::vector<Piece>* out, std::uint64_t* out_size) const {
  if (offset > size_ || length > size_ - offset) return false;
  if (length == 0) return true;
  // The last piece that starts at or before `offset`.
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), offset, [](std::uint64_t at, const Piece& p) { return at < p.start; });
  for (--it; length > 0; ++it) {
    const std::uint64_t skip = offset - it->start;
    const std::uint64_t take = std::min<std::uint64_t>(length, it->bytes.size() - skip);
    AppendPiece(out, out_size, it->bytes.substr(skip, take));
    offset += take;
    length -= take;
  }
  return true;
}

bool BlobRebuilder::Apply(std::string_view delta) {
  BinaryReader in(delta);
  std::uint64_t expected_size = 0, count = 0;
  if (!in.U64(&expected_size) || !in.Count(&count) || expected_size > kMaxBlob) return false;
  std::vector<Piece> next;
  std::uint64_t next_size = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t op = 0;
    if (!in.U64(&op)) return false;
    if (op == kInsert) {
      std::string_view bytes;
      if (!in.View(&bytes)) return false;
      AppendPiece(&next, &next_size, bytes);
      continue;
    }
    std::uint64_t offset = 0, length = 0;
    if (op != kCopy || !in.U64(&offset) || !in.U64(&length) || !CopyRange(offset, length, &next, &next_size)) return false;
    if (next_size > expected_size) return false;
  }
  if (!in.ok() || !in.at_end() || next_size != expected_size) return false;
  pieces_ = std::move(next);
  size_ = next_size;
  return true;
}

std::string BlobRebuilder::Materialize() const {
  std::string out;
  out.reserve(size_);
  for (const Piece& piece : pieces_) out.append(piece.bytes);
  return out;
}

}  // namespace ele
