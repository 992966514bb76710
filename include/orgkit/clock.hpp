// orgkit/clock.hpp: where orgkit gets the time.
//
// orgkit never reads the system time directly: every timestamp (creation, audit, expiry)
// comes from the Clock given to the Service. Production code uses SystemClock (the default);
// tests and examples use ManualClock and move time forward instead of sleeping.
//
// Thread safety: now() is called concurrently from many threads; implementations must allow it.
#pragma once

#include <orgkit/export.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace orgkit {

/// A point in time, UTC, millisecond precision (what storage keeps).
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// Milliseconds since the Unix epoch, the form storage and audit records use.
[[nodiscard]] inline std::int64_t to_unix_ms(Timestamp t) { return t.time_since_epoch().count(); }
[[nodiscard]] inline Timestamp from_unix_ms(std::int64_t ms) {
  return Timestamp(std::chrono::milliseconds(ms));
}

/// The source of time. Must be safe to call from many threads at once.
class ORGKIT_EXPORT Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual Timestamp now() const = 0;
};

/// The real time, from std::chrono::system_clock.
class ORGKIT_EXPORT SystemClock final : public Clock {
 public:
  [[nodiscard]] Timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }
};

/// A clock that moves only when told to. For tests and examples.
///
/// Example:
///   auto clock = std::make_shared<orgkit::ManualClock>(orgkit::from_unix_ms(0));
///   clock->advance(std::chrono::hours(24 * 31));  // an invitation made before is now expired
class ORGKIT_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : ms_(to_unix_ms(start)) {}
  [[nodiscard]] Timestamp now() const override { return from_unix_ms(ms_.load()); }
  void set(Timestamp t) { ms_.store(to_unix_ms(t)); }
  void advance(std::chrono::milliseconds d) { ms_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace orgkit
