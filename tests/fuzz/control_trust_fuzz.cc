// The agent's checks on control-stream directives (agent/control/control_trust.h) over arbitrary
// bytes a gateway could send: they never crash, and nothing opens without the control plane's
// signature (the fuzzer cannot forge one).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/control/control_trust.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const warden::crypto::Ed25519KeyPair controlplane =
      warden::crypto::Ed25519KeyPair::Generate();
  static const warden::crypto::Ed25519KeyPair identity = warden::crypto::Ed25519KeyPair::Generate();
  warden::agent::ControlTrust trust("edge-1", controlplane.public_key, identity);
  warden::v1::Register reg;
  reg.set_name("edge-1");
  reg.set_public_key(std::string(32, 's'));
  reg.set_identity_key(identity.public_key);
  reg.set_nonce(trust.BeginStream());
  std::string bytes(reinterpret_cast<const char*>(data), size);

  // As a first directive: a challenge with whatever key and nonce it carries (then a new stream).
  warden::v1::AgentDirective first;
  if (first.ParseFromString(bytes) && first.has_challenge()) {
    (void)trust.Answer(first.challenge(), reg);
    reg.set_nonce(trust.BeginStream());
  }
  warden::v1::Challenge genuine;
  genuine.set_nonce(std::string(32, 'n'));
  genuine.set_controlplane_key(controlplane.public_key);
  if (!trust.Answer(genuine, reg).ok()) std::abort();
  // As a signed directive on the stream: never opens.
  warden::v1::AgentDirective d;
  if (d.ParseFromString(bytes) && d.has_signed_() && trust.Open(d.signed_()).ok()) std::abort();
  warden::v1::SignedDirective raw;
  raw.set_directive(bytes);
  raw.set_sequence(1);
  raw.set_signature(bytes.substr(0, 64));
  if (trust.Open(raw).ok()) std::abort();
  return 0;
}
