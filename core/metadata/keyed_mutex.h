// KeyedMutex: async reader-writer locks by key on one event loop. Protocol
// steps that read, check and then write (conditional puts, bucket deletion)
// hold a key's lock across their awaits, so two racing writers cannot both
// pass the check. Grants are first come, first served (a waiting exclusive
// locker is not overtaken by later shared ones); waiters resume through the
// loop.
#pragma once

#include <coroutine>
#include <deque>
#include <map>
#include <string>

#include "io_abstraction/runtime.h"

namespace tessera {

class KeyedMutex {
 public:
  explicit KeyedMutex(Runtime& rt) : rt_(rt) {}
  KeyedMutex(const KeyedMutex&) = delete;
  KeyedMutex& operator=(const KeyedMutex&) = delete;

  class Guard {
   public:
    Guard(KeyedMutex* m, std::string key, bool exclusive) : m_(m), key_(std::move(key)), exclusive_(exclusive) {}
    Guard(Guard&& o) noexcept
        : m_(std::exchange(o.m_, nullptr)), key_(std::move(o.key_)), exclusive_(o.exclusive_) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (m_) m_->unlock(key_, exclusive_);
    }

   private:
    KeyedMutex* m_;
    std::string key_;
    bool exclusive_;
  };

  // co_await lock(key) / lock_shared(key) -> Guard; released with the Guard.
  auto lock(std::string key) { return Awaiter{*this, std::move(key), true}; }
  auto lock_shared(std::string key) { return Awaiter{*this, std::move(key), false}; }

  size_t keys_held() const { return state_.size(); }

 private:
  struct Waiter {
    std::coroutine_handle<> handle;
    bool exclusive;
  };
  struct State {
    uint32_t readers = 0;
    bool writer = false;
    std::deque<Waiter> waiters;
  };
  struct Awaiter {
    KeyedMutex& m;
    std::string key;
    bool exclusive;
    bool await_ready() {
      State& s = m.state_[key];
      if (!s.waiters.empty() || s.writer || (exclusive && s.readers > 0)) return false;
      exclusive ? void(s.writer = true) : void(++s.readers);
      return true;
    }
    void await_suspend(std::coroutine_handle<> h) { m.state_[key].waiters.push_back(Waiter{h, exclusive}); }
    Guard await_resume() { return Guard(&m, key, exclusive); }
  };

  void unlock(const std::string& key, bool exclusive) {
    auto it = state_.find(key);
    ASSERT(it != state_.end());
    State& s = it->second;
    if (exclusive) {
      ASSERT(s.writer);
      s.writer = false;
    } else {
      ASSERT(s.readers > 0);
      --s.readers;
    }
    // Grant in arrival order: one writer, or a run of readers. The grant is
    // recorded now and the waiter resumes through the loop already holding it.
    while (!s.waiters.empty() && !s.writer) {
      const Waiter next = s.waiters.front();
      if (next.exclusive && s.readers > 0) break;
      s.waiters.pop_front();
      next.exclusive ? void(s.writer = true) : void(++s.readers);
      rt_.post_after(Duration{0}, [h = next.handle] { h.resume(); });
      if (next.exclusive) break;
    }
    if (!s.writer && s.readers == 0 && s.waiters.empty()) state_.erase(it);
  }

  Runtime& rt_;
  std::map<std::string, State> state_;
};

}  // namespace tessera
