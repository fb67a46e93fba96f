// Runs the tests policy documents carry (`tests:`, policy_yaml.h) against a snapshot of
// policies, offline, with the agent's own decisions (statement_explanation.h): for `wardenctl
// policies test` and `policies apply`.
#pragma once

#include "warden/v1/admin.pb.h"
#include "warden/v1/policy.pb.h"

namespace warden::agent {

// Every test of every policy in `snapshot`, evaluated against all of its policies together.
v1::PolicyTestReport RunPolicyTests(const v1::PolicySnapshot& snapshot);

}  // namespace warden::agent
