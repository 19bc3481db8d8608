#include "exporter/state/label_folder.h"

#include "exporter/base/logger.h"

namespace ele {

const std::string& LabelFolder::Fold(const std::string& raw, bool* newly_folded) {
  *newly_folded = false;
  if (auto it = kept_.find(raw); it != kept_.end()) return *it;
  if (raw == other_) return other_;
  if (kept_.size() < limit_) return *kept_.insert(raw).first;
  if (folded_.size() < kMaxRememberedFolded) *newly_folded = folded_.insert(raw).second;
  return other_;
}

const std::string& FoldCounted(LabelFolder& folder, const char* label, const std::string& raw, OverflowCounts& overflow,
                               std::string_view provider, const std::string& account) {
  bool newly_folded = false;
  const std::string& value = folder.Fold(raw, &newly_folded);
  if (newly_folded) {
    overflow[label] += 1;
    LogWarn("label value limit reached; folding into \"other\"", {{"provider", std::string(provider)}, {"account", account}, {"label", label}});
  }
  return value;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace ele
