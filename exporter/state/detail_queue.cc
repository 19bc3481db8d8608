#include "exporter/state/detail_queue.h"

namespace ele {

std::optional<DetailQueue::Entry> DetailQueue::Pop() {
  if (entries_.empty()) return std::nullopt;
  const Entry front = entries_.front();
  entries_.pop_front();
  return front;
}

std::optional<DetailQueue::Entry> DetailQueue::Postpone() {
  std::optional<Entry> front = Pop();
  if (!front) return std::nullopt;
  if (++front->failures >= kMaxFailures) return front;
  entries_.push_back(*front);
  return std::nullopt;
}

}  // namespace ele
