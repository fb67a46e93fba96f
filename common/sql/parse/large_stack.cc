#include "common/sql/parse/large_stack.h"

#include <pthread.h>

#include <algorithm>

namespace warden::sql {
namespace {

void* Trampoline(void* arg) {
  (*static_cast<absl::FunctionRef<void()>*>(arg))();
  return nullptr;
}

}  // namespace

bool RunOnLargeStack(size_t stack_bytes, absl::FunctionRef<void()> fn) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  bool ok = pthread_attr_setstacksize(&attr, std::max<size_t>(stack_bytes, PTHREAD_STACK_MIN)) == 0;
  pthread_t thread;
  ok = ok && pthread_create(&thread, &attr, Trampoline, &fn) == 0;
  pthread_attr_destroy(&attr);
  if (ok) pthread_join(thread, nullptr);
  return ok;
}

}  // namespace warden::sql
