// libFuzzer target: arbitrary server-first / server-final messages (and call orders) fed to
// the SCRAM client state machine. It must never crash, hang or read out of bounds, whatever a
// hostile server sends (RFC 5802 §7 messages are untrusted input).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/pgauth/scram_client.h"
#include "common/pgauth/scram_messages.h"
#include "common/util/base64.h"

namespace pgauth = warden::pgauth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const uint8_t flags = input.ConsumeIntegral<uint8_t>();
  pgauth::ScramOptions options;
  options.client_nonce = "fuzznonce";
  options.username = input.ConsumeRandomLengthString(16);
  // Keep PBKDF2 cheap so the fuzzer explores parsing, not hashing.
  options.max_iterations = 64;
  if (flags & 0x10) {
    options.channel_binding.type = pgauth::ChannelBindingType::kTlsServerEndPoint;
    options.channel_binding.data = input.ConsumeRandomLengthString(48);
  }
  pgauth::ScramSha256Client client(input.ConsumeRandomLengthString(32), options);

  std::string server_first = input.ConsumeRandomLengthString(512);
  // Often start with our nonce so the fuzzer reaches the proof and the server-final step.
  if (flags & 0x01) server_first = "r=fuzznonce" + server_first;
  std::string server_final = input.ConsumeRemainingBytesAsString();

  if (!(flags & 0x02)) (void)client.ClientFirstMessage();
  if (flags & 0x04) (void)client.HandleServerFinal(server_final);  // out of order
  auto client_final = client.HandleServerFirst(server_first);
  if (flags & 0x08) (void)client.HandleServerFirst(server_first);  // repeated
  (void)client.HandleServerFinal(server_final);
  (void)client.HandleServerFinal(server_final);

  // The pure helpers directly, too.
  (void)warden::Base64Decode(server_final);
  (void)pgauth::ParseServerFirst(server_first, 64);
  (void)pgauth::ParseServerFinal(server_final);
  (void)client_final;
  return 0;
}
