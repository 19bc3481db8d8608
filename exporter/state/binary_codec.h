// A compact binary encoding for the state file: varints, zigzag integers,
// raw doubles and length-prefixed strings. Chosen over JSON because a
// million tracked messages must save and load in well under a second.
// The reader never reads past its input and reports failure instead.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "exporter/state/huge_pages.h"

namespace ele {

class BinaryWriter {
 public:
  void U64(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I64(std::int64_t v) { U64((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void F64(double v) {
    char buf[8];
    std::memcpy(buf, &v, 8);
    out_.append(buf, 8);
  }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void Bool(bool b) { out_.push_back(b ? 1 : 0); }
  // 8 bytes little-endian: for hashes, whose varint would take 10.
  void Fixed64(std::uint64_t v) {
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    out_.append(buf, 8);
  }
  void Reserve(size_t bytes) {
    out_.reserve(out_.size() + bytes);
    AdviseHugePages(out_.data() + out_.size(), bytes);  // the untouched rest of a fresh buffer
  }
  std::string& data() { return out_; }

 private:
  std::string out_;
};

class BinaryReader {
 public:
  explicit BinaryReader(std::string_view in) : in_(in) {}
  bool U64(std::uint64_t* v) {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      const auto byte = static_cast<unsigned char>(in_[pos_++]);
      result |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return Fail();
  }
  bool I64(std::int64_t* v) {
    std::uint64_t u = 0;
    if (!U64(&u)) return false;
    *v = static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool F64(double* v) {
    if (in_.size() - pos_ < 8) return Fail();
    std::memcpy(v, in_.data() + pos_, 8);
    pos_ += 8;
    return true;
  }
  bool Str(std::string* s) {
    std::string_view view;
    if (!View(&view)) return false;
    s->assign(view);
    return true;
  }
  // As Str, without a copy: a view into the reader's input.
  bool View(std::string_view* s) {
    std::uint64_t n = 0;
    if (!U64(&n) || n > in_.size() - pos_) return Fail();
    *s = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Fixed64(std::uint64_t* v) {
    if (in_.size() - pos_ < 8) return Fail();
    std::uint64_t result = 0;
    for (int i = 0; i < 8; ++i) result |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + static_cast<size_t>(i)])) << (8 * i);
    pos_ += 8;
    *v = result;
    return true;
  }
  bool Bool(bool* b) {
    if (pos_ >= in_.size()) return Fail();
    *b = in_[pos_++] != 0;
    return true;
  }
  // A count of items that each take at least one byte: refuses counts the
  // remaining input cannot hold, so a corrupt file cannot make us allocate.
  bool Count(std::uint64_t* n) { return U64(n) && (*n <= in_.size() - pos_ || Fail()); }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace ele
