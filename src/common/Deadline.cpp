#include "common/Deadline.h"

#include <string>

namespace passerelle {

namespace {
thread_local const Deadline::Scope* current = nullptr;
}

Deadline::Scope::Scope(Clock::time_point at, const std::atomic<bool>* cancelled)
    : _at(at), _cancelled(cancelled), _outer(current),
      _limitMs(std::chrono::duration_cast<std::chrono::milliseconds>(at - Clock::now()).count()) {
    current = this;
}

Deadline::Scope::Scope(std::chrono::milliseconds limit, const std::atomic<bool>* cancelled)
    : _at(Clock::now() + limit), _cancelled(cancelled), _outer(current), _limitMs(limit.count()) {
    current = this;
}

Deadline::Scope::~Scope() { current = _outer; }

bool Deadline::active() { return current != nullptr; }

bool Deadline::expired() {
    const Scope* s = current;
    if (!s) return false;
    if (s->_cancelled && s->_cancelled->load(std::memory_order_relaxed)) return true;
    return Clock::now() >= s->_at;
}

Status Deadline::status() {
    const Scope* s = current;
    if (s && s->_cancelled && s->_cancelled->load(std::memory_order_relaxed))
        return Status::unavailable("client_gone", "Le client a fermé la connexion : le rendu a été interrompu.");
    long long ms = s ? s->_limitMs : 0;
    std::string limit = ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
    return Status::unavailable("render_timeout", "Le rendu du document a dépassé la durée maximale de " + limit +
                                                     " et a été interrompu : réduisez le document (moins de lignes ou de pages) ou réessayez plus tard.");
}

} // namespace passerelle
