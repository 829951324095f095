#include "storage/Idempotency.h"

namespace passerelle::storage {

namespace {
thread_local IdempotencyClaim* tCurrent = nullptr;
} // namespace

IdempotencyScope::IdempotencyScope(IdempotencyClaim* claim) { tCurrent = claim; }
IdempotencyScope::~IdempotencyScope() { tCurrent = nullptr; }
IdempotencyClaim* IdempotencyScope::current() { return tCurrent; }

} // namespace passerelle::storage
