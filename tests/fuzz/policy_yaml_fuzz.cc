// libFuzzer target: arbitrary bytes into ParsePolicyYaml. It must never crash, hang or throw;
// any input either parses or yields an InvalidArgument "file:line:column: path: problem".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/policy/policy_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<warden::v1::Policy> policy = warden::policy::ParsePolicyYaml(text, "fuzz.yaml");
  if (policy.ok()) {
    // A policy that validated is complete: these hold for every accepted document.
    if (policy->name().empty() || policy->connections().empty() || policy->version() != 0 ||
        policy->default_action() == warden::v1::ACTION_UNSPECIFIED) {
      std::abort();
    }
    for (const auto& rule : policy->rules()) {
      if (rule.name().empty() || rule.action() == warden::v1::ACTION_UNSPECIFIED) std::abort();
    }
  } else if (policy.status().code() != absl::StatusCode::kInvalidArgument ||
             policy.status().message().substr(0, 10) != "fuzz.yaml:") {
    std::abort();
  }
  return 0;
}
