#include "common/masking/detectors.h"

#include "common/masking/char_class.h"
#include "common/masking/scanners.h"

namespace warden::masking {
namespace {

using internal::kAt;
using internal::kCapitalA;
using internal::kDash;
using internal::kDigit;
using internal::kDot;
using internal::kLower;
using internal::kUpper;

// Shortest text each detector can match: "-----BEGIN PRIVATE KEY-----" (a block cut off after its
// first line) is 27 bytes, an AWS key id 20, a JWT header of 10 plus two dots 12, an IBAN 15, an
// email "a@b.cd" 6.
constexpr size_t kMinPemSize = 27;
constexpr size_t kMinAwsKeySize = 20;
constexpr size_t kMinJwtSize = 12;
constexpr size_t kMinIbanSize = 15;
constexpr size_t kMinEmailSize = 6;

}  // namespace

TextProfile::TextProfile(std::string_view text) : size_(text.size()) {
  uint32_t classes = 0;
  size_t digits = 0;
  for (const char c : text) {
    const uint8_t k = internal::ClassOf(c);
    classes |= k;
    digits += k & kDigit;
  }
  classes_ = classes;
  digits_ = digits;
}

bool TextProfile::MayContain(warden::v1::Detector detector) const {
  switch (detector) {
    case warden::v1::DETECTOR_CREDIT_CARD:
      return digits_ >= 13;
    case warden::v1::DETECTOR_US_SSN:
      return digits_ >= 9;
    case warden::v1::DETECTOR_PHONE:
      return digits_ >= 8;
    case warden::v1::DETECTOR_IBAN:
      return digits_ >= 2 && (classes_ & (kUpper | kLower)) && size_ >= kMinIbanSize;
    case warden::v1::DETECTOR_EMAIL:
      return (classes_ & kAt) && (classes_ & kDot) && size_ >= kMinEmailSize;
    case warden::v1::DETECTOR_JWT:
      return (classes_ & kDot) && size_ >= kMinJwtSize;
    case warden::v1::DETECTOR_AWS_ACCESS_KEY:
      return (classes_ & kCapitalA) && size_ >= kMinAwsKeySize;
    case warden::v1::DETECTOR_PRIVATE_KEY:
      return (classes_ & kDash) && size_ >= kMinPemSize;
    default:
      return false;
  }
}

void FindDetectorSpans(warden::v1::Detector detector, std::string_view text,
                       std::vector<Span>& out) {
  switch (detector) {
    case warden::v1::DETECTOR_CREDIT_CARD:
      return internal::ScanCreditCards(text, out);
    case warden::v1::DETECTOR_EMAIL:
      return internal::ScanEmails(text, out);
    case warden::v1::DETECTOR_US_SSN:
      return internal::ScanUsSsns(text, out);
    case warden::v1::DETECTOR_PHONE:
      return internal::ScanPhones(text, out);
    case warden::v1::DETECTOR_IBAN:
      return internal::ScanIbans(text, out);
    case warden::v1::DETECTOR_JWT:
      return internal::ScanJwts(text, out);
    case warden::v1::DETECTOR_AWS_ACCESS_KEY:
      return internal::ScanAwsAccessKeys(text, out);
    case warden::v1::DETECTOR_PRIVATE_KEY:
      return internal::ScanPrivateKeys(text, out);
    default:
      return;
  }
}

}  // namespace warden::masking
