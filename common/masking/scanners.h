// The per-detector scanners behind FindDetectorSpans (detectors.h documents what each one
// accepts). Each appends its spans to `out` in increasing order, non-overlapping, and runs in
// time linear in the text.
#pragma once

#include <string_view>
#include <vector>

#include "common/masking/detectors.h"

namespace warden::masking::internal {

void ScanCreditCards(std::string_view text, std::vector<Span>& out);
void ScanEmails(std::string_view text, std::vector<Span>& out);
void ScanUsSsns(std::string_view text, std::vector<Span>& out);
void ScanPhones(std::string_view text, std::vector<Span>& out);
void ScanIbans(std::string_view text, std::vector<Span>& out);
void ScanJwts(std::string_view text, std::vector<Span>& out);
void ScanAwsAccessKeys(std::string_view text, std::vector<Span>& out);
void ScanPrivateKeys(std::string_view text, std::vector<Span>& out);

}  // namespace warden::masking::internal
