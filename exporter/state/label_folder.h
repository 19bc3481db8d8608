// Caps the distinct values of one label of one account: the first `limit`
// values pass through, later ones become "other" (and are counted once each
// in email_logs_exporter_label_overflow_total). Keeps a bad actor or an API
// change from blowing up Prometheus' memory. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ele {

class LabelFolder {
 public:
  static constexpr const char* kOther = "other";
  // Folded values are remembered (to count and log each once) up to this
  // many: an API sending a new value with every message would otherwise grow
  // memory, the state file and the log by one each. Past it, more are folded
  // silently and the overflow count stays where it is.
  static constexpr size_t kMaxRememberedFolded = 10'000;
  explicit LabelFolder(int limit) : limit_(static_cast<size_t>(limit)) {}

  // The value to export for `raw`. `newly_folded` is set when `raw` was
  // folded for the first time.
  const std::string& Fold(const std::string& raw, bool* newly_folded);
  size_t distinct() const { return kept_.size(); }
  std::uint64_t folded() const { return folded_.size(); }
  std::vector<std::string> kept_values() const { return {kept_.begin(), kept_.end()}; }
  std::vector<std::string> folded_values() const { return {folded_.begin(), folded_.end()}; }
  void Restore(const std::vector<std::string>& kept, const std::vector<std::string>& folded) {
    kept_ = {kept.begin(), kept.end()};
    folded_ = {folded.begin(), folded.end()};
  }

 private:
  size_t limit_;
  std::unordered_set<std::string> kept_;
  std::unordered_set<std::string> folded_;
  std::string other_ = kOther;  // a member, so Fold can return a reference to it
};

// Label values folded into "other", by label name: what
// email_logs_exporter_label_overflow_total exports for one account.
using OverflowCounts = std::map<std::string, std::uint64_t>;

// `folder.Fold(raw)`; a value folded for the first time is counted in
// `overflow[label]` and warned about once.
const std::string& FoldCounted(LabelFolder& folder, const char* label, const std::string& raw, OverflowCounts& overflow,
                               std::string_view provider, const std::string& account);

std::string Lowercase(std::string_view text);

}  // namespace ele
