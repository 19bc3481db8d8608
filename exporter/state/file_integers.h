// Fixed-width little-endian integers and CRC-32, as the state file's
// snapshot and journal lay them out.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ele {

inline void PutLE(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

inline std::uint64_t GetLE(std::string_view in, size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + static_cast<size_t>(i)])) << (8 * i);
  return v;
}

// `crc` continued over `data`. zlib takes uInt lengths: large data goes in chunks.
inline uLong Crc(uLong crc, std::string_view data) {
  for (size_t at = 0; at < data.size(); at += 1u << 30) {
    const size_t n = std::min<size_t>(data.size() - at, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(n));
  }
  return crc;
}

inline std::uint32_t Crc(std::string_view data) { return static_cast<std::uint32_t>(Crc(crc32(0L, Z_NULL, 0), data)); }

}  // namespace ele
