#pragma once
// Deadline: a cooperative time limit for the work of the current thread (e.g.
// rendering one document). Whoever starts the work opens a Deadline::Scope;
// long loops (layout, PDF drawing) call Deadline::expired() at safe points and
// stop early; the use case then returns Deadline::status() instead of its
// partial result. Without an open scope nothing ever expires (CLI, tests).
// Thread-local: each thread sees only its own scope. Scopes may nest; the
// inner one applies until it closes. A Scope may also watch a cancellation
// flag (set by another thread, e.g. when the client has gone).
#include <atomic>
#include <chrono>

#include "common/Status.h"

namespace passerelle {

class Deadline {
public:
    using Clock = std::chrono::steady_clock;

    class Scope {
    public:
        // REQUIRES: `cancelled`, when given, outlives the scope.
        Scope(Clock::time_point at, const std::atomic<bool>* cancelled = nullptr);
        // From now, for `limit` (named in the error message as given).
        Scope(std::chrono::milliseconds limit, const std::atomic<bool>* cancelled = nullptr);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        Clock::time_point _at;
        const std::atomic<bool>* _cancelled;
        const Scope* _outer;
        long long _limitMs;
        friend class Deadline;
    };

    // True once the current scope's time has passed (or its work was cancelled).
    static bool expired();
    // True while a scope is open on this thread.
    static bool active();
    // The error to return after stopping: Unavailable "render_timeout" (or
    // "client_gone" when cancelled), in French, naming the limit.
    static Status status();
};

} // namespace passerelle
