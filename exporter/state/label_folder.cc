#include "exporter/state/label_folder.h"

namespace ele {

const std::string& LabelFolder::Fold(const std::string& raw, bool* newly_folded) {
  *newly_folded = false;
  if (auto it = kept_.find(raw); it != kept_.end()) return *it;
  if (raw == other_) return other_;
  if (kept_.size() < limit_) return *kept_.insert(raw).first;
  *newly_folded = folded_.insert(raw).second;
  return other_;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace ele
