// Content detectors: find the spans of sensitive content inside one text value.
//
// They run on every text value of every row the agent streams, so each is a hand-written
// linear scanner (no regular expressions), and a one-pass TextProfile lets the caller skip the
// detectors whose trigger characters are absent (no digits: no card, SSN, phone or IBAN; no
// '@': no email). What each detector accepts, and why:
//
//  CREDIT_CARD  13-19 digits, contiguous or in groups of 3-7 digits split by one kind of
//               separator (all spaces or all dashes: "4111 1111 1111 1111", "3782-822463-10005"),
//               Luhn-valid. The digits must stand alone: not glued to letters, not the tail or
//               head of a decimal ("0.4111111111111111"), and a contiguous run longer than 19
//               digits is one long number, never a card. Issuer rule (ISO/IEC 7812 major
//               industry identifier): no card starts with 0; a leading 1 is only the 15-digit
//               UATP form; 13-digit numbers are old Visa/Maestro (4, 5, 6). This keeps epoch
//               timestamps in milliseconds/microseconds/nanoseconds (13/16/19 digits starting
//               with 1) and zero-padded ids visible even when they happen to pass Luhn.
//  EMAIL        local@domain: the local part is letters, digits, "._%+-" and non-ASCII bytes;
//               the domain has at least two dot-separated labels, the last at least two
//               characters and not all digits. A trailing '.' (end of a sentence) is not part
//               of the address.
//  US_SSN       AAA-GG-SSSS or AAA GG SSSS (one separator kind), excluding what the SSA never
//               issues: area 000, 666 and 900-999, group 00, serial 0000. The unseparated
//               9-digit form is NOT detected: nine bare digits are far more often an id, a
//               ZIP+4 or an amount, and matching them would mask those everywhere. SSN
//               columns must be masked by column rule, which does not depend on the format.
//  PHONE        E.164: '+', a country code not starting with 0, 8-15 digits in total, with
//               single ' ', '-', '.' separators and parenthesised groups ("+1 (555) 123-4567",
//               "+44 20 7946 0958", "+4915112345678"). North American: NXX-NXX-XXXX shapes
//               "(555) 123-4567", "(555)123-4567", "555-123-4567", "555.123.4567",
//               "555 123 4567", optionally after "1-"/"1 "/"1.". The area code starts with 2-9
//               (NANP); the exchange is not checked, so the 555-01xx style of fictional numbers
//               is masked too. Bare digit runs ("5551234567") are never phones without a '+':
//               they are indistinguishable from ids and amounts.
//  IBAN         two letters, two check digits (02-98), then letters and digits to 15-34
//               characters in all, either contiguous or in groups of four split by single
//               spaces ("DE89 3704 0044 0532 0130 00"); ISO 13616 mod-97 must equal 1. Case
//               insensitive. No per-country length table: mod-97 already rejects 96 of 97
//               random candidates, and a wrong table entry would leak real IBANs.
//  JWT          a base64url segment of at least 10 characters starting "eyJ" (the encoding
//               of '{"'), then at least two more '.'-separated segments (the last may be empty,
//               as in unsecured JWTs; up to five in all, as in JWE).
//  AWS_ACCESS_KEY  "AKIA" (long-term) or "ASIA" (temporary) + 16 of [A-Z0-9], standing alone.
//  PRIVATE_KEY  a PEM block "-----BEGIN <label>-----" whose label contains "PRIVATE KEY"
//               (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK) through the matching
//               "-----END <label>-----". A block without its END line (a truncated value)
//               extends to the end of the value: the key material is there either way.
//
// Spans are byte offsets into the value. Every span starts and ends on an ASCII byte or a
// byte the scanner took whole (the email scanner's non-ASCII bytes stop at ASCII
// neighbours), so a span never cuts a valid UTF-8 sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "warden/v1/policy.pb.h"

namespace warden::masking {

// A half-open byte range [begin, end) of a text value.
struct Span {
  size_t begin = 0;
  size_t end = 0;

  friend bool operator==(const Span&, const Span&) = default;
};

// What one cheap pass over a value learns about it: enough to rule detectors out before any
// of them scans. Computed once per value and shared by every detector and rule.
class TextProfile {
 public:
  explicit TextProfile(std::string_view text);

  // False when `detector` cannot possibly find anything in the profiled text.
  bool MayContain(warden::v1::Detector detector) const;

 private:
  size_t size_ = 0;
  size_t digits_ = 0;
  uint32_t classes_ = 0;  // bit set of the character classes seen (detectors.cc)
};

// Appends to `out` the spans `detector` finds in `text`, in increasing order and
// non-overlapping. Does not consult a TextProfile: callers that scan many detectors over one
// value check TextProfile::MayContain first. DETECTOR_UNSPECIFIED and unknown values find
// nothing.
void FindDetectorSpans(warden::v1::Detector detector, std::string_view text,
                       std::vector<Span>& out);

}  // namespace warden::masking
