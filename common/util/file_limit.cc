#include "common/util/file_limit.h"

#include <sys/resource.h>

#include "common/log/log.h"

namespace warden {

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  spdlog::info("open file limit {}", static_cast<unsigned long long>(limit.rlim_cur));
}

}  // namespace warden
