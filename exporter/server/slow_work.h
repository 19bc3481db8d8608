// A fixed pool of threads for the work that must not run on the web server's
// event loop (a reload, a bcrypt check of credentials not seen before), with
// a bounded queue: past it the caller answers 503, so no client can make the
// exporter start threads or queue work without limit.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ele {

class SlowWork {
 public:
  SlowWork(size_t threads, size_t queue_limit);
  ~SlowWork();
  // Queues `task`, calling `accepted` first under the queue's lock (so it
  // happens before the task can start); false, without calling it, when the
  // queue is full or the pool has stopped.
  bool Submit(std::function<void()> task, const std::function<void()>& accepted);
  // Takes no more tasks, runs those queued, joins the threads.
  void Stop();

 private:
  void Run();
  const size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // under mutex_
  bool stopping_ = false;                    // under mutex_
  std::vector<std::thread> threads_;
};

}  // namespace ele
