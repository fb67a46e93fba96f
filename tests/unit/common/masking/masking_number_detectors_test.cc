// Numeric content detectors: payment cards, US SSNs, phone numbers, IBANs. Each has true
// positives and the near-misses that realistic data is full of.
#include <catch2/catch.hpp>
#include <string>

#include "tests/unit/common/masking/masking_fixtures.h"

using warden::masking::testing::CheckNothingFound;
using warden::masking::testing::Found;
using warden::masking::testing::Strings;
using warden::v1::DETECTOR_CREDIT_CARD;
using warden::v1::DETECTOR_IBAN;
using warden::v1::DETECTOR_PHONE;
using warden::v1::DETECTOR_US_SSN;

TEST_CASE("card: test numbers of every scheme, contiguous", "[masking][detectors]") {
  for (const char* pan :
       {"4111111111111111", "4012888888881881", "5555555555554444", "2223003122003222",
        "378282246310005", "6011111111111117", "30569309025904", "3530111333300000",
        "6200000000000005", "4222222222222", "4000000000000000006", "122000000000003"}) {
    INFO(pan);
    CHECK(Found(DETECTOR_CREDIT_CARD, pan) == Strings{pan});
  }
}

TEST_CASE("card: printed groupings", "[masking][detectors]") {
  CHECK(Found(DETECTOR_CREDIT_CARD, "card 4111 1111 1111 1111 exp 12/27") ==
        Strings{"4111 1111 1111 1111"});
  CHECK(Found(DETECTOR_CREDIT_CARD, "4111-1111-1111-1111") == Strings{"4111-1111-1111-1111"});
  CHECK(Found(DETECTOR_CREDIT_CARD, "amex 3782 822463 10005.") == Strings{"3782 822463 10005"});
  CHECK(Found(DETECTOR_CREDIT_CARD, "visa13 4222 222 222 222") == Strings{"4222 222 222 222"});
  // A date before and a year after do not hide the card.
  CHECK(Found(DETECTOR_CREDIT_CARD, "2024-01-15 4111 1111 1111 1111 2027") ==
        Strings{"4111 1111 1111 1111"});
  CHECK(Found(DETECTOR_CREDIT_CARD, "(4111111111111111)") == Strings{"4111111111111111"});
  CHECK(Found(DETECTOR_CREDIT_CARD, "a,5555555555554444,b\t4012888888881881") ==
        Strings{"5555555555554444", "4012888888881881"});
  CHECK(Found(DETECTOR_CREDIT_CARD, "ref_4111111111111111") == Strings{"4111111111111111"});
}

TEST_CASE("card: near-misses stay visible", "[masking][detectors]") {
  CheckNothingFound(
      DETECTOR_CREDIT_CARD,
      {
          // 16-digit order ids that fail Luhn.
          "4111111111111112",
          "order 1234567890123456 shipped",
          "1234 5678 9012 3456",
          // Luhn-valid epoch timestamps in ms / us (leading 1 is not a 13- or 16-digit card).
          "ts=1700000000004",
          "1700000000000001",
          // Zero-padded ids, even Luhn-valid ones.
          "0000001234567897",
          "0000000000000000",
          // Part of a longer digit run, a decimal, or a word.
          "41111111111111110000",
          "9999994111111111111111",
          "0.4111111111111111",
          "4111111111111111.25",
          "ORD4111111111111111",
          "4111111111111111abc",
          // Too short, timestamps, versions, IPs, prices, UUIDs, phone numbers.
          "411111111111",
          "2024-01-15 12:34:56.123456+00",
          "version 10.4.1111.1111111",
          "192.168.100.200 10.0.0.1",
          "$1,234,567,890,123.45",
          "123e4567-e89b-12d3-a456-426614174000",
          "+1 (555) 123-4567, 555-123-4567",
          // Mixed separators are not one printed card number.
          "4111 1111-1111 1111",
          // Groups of one or two digits are counts, not a card: "10 20 30 ..." can pass Luhn.
          "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
      });
}

TEST_CASE("card: the longest valid grouping wins", "[masking][detectors]") {
  // A 19-digit card whose 16-digit prefix is Luhn-valid too is not cut short.
  CHECK(Found(DETECTOR_CREDIT_CARD, "4111 1111 1111 1111 003") ==
        Strings{"4111 1111 1111 1111 003"});
  // With a trailing group that makes it invalid, the valid prefix is the card.
  CHECK(Found(DETECTOR_CREDIT_CARD, "4111 1111 1111 1111 004") == Strings{"4111 1111 1111 1111"});
}

TEST_CASE("ssn: valid numbers", "[masking][detectors]") {
  CHECK(Found(DETECTOR_US_SSN, "123-45-6789") == Strings{"123-45-6789"});
  CHECK(Found(DETECTOR_US_SSN, "ssn: 078-05-1120; alt 123 45 6789.") ==
        Strings{"078-05-1120", "123 45 6789"});
  CHECK(Found(DETECTOR_US_SSN, "899-99-9999") == Strings{"899-99-9999"});
}

TEST_CASE("ssn: never-issued ranges and other shapes stay visible", "[masking][detectors]") {
  CheckNothingFound(DETECTOR_US_SSN, {
                                         "000-12-3456",
                                         "666-12-3456",
                                         "900-12-3456",
                                         "999-99-9999",
                                         "123-00-4567",
                                         "123-45-0000",
                                         // Left to column rules (detectors.h).
                                         "123456789",
                                         // Other shapes.
                                         "123-45 6789",
                                         "978-123-45-6789",
                                         "123-45-67890",
                                         "A123-45-6789",
                                         "2024-01-15",
                                         "555-123-4567",
                                         "4111-1111-1111-1111",
                                     });
}

TEST_CASE("phone: E.164 and North American forms", "[masking][detectors]") {
  CHECK(Found(DETECTOR_PHONE, "+14155552671") == Strings{"+14155552671"});
  CHECK(Found(DETECTOR_PHONE, "call +44 20 7946 0958 now") == Strings{"+44 20 7946 0958"});
  CHECK(Found(DETECTOR_PHONE, "+1 (555) 123-4567") == Strings{"+1 (555) 123-4567"});
  CHECK(Found(DETECTOR_PHONE, "+49-151-1234-5678.") == Strings{"+49-151-1234-5678"});
  CHECK(Found(DETECTOR_PHONE, "+44 (0)20 7946 0958") == Strings{"+44 (0)20 7946 0958"});
  CHECK(Found(DETECTOR_PHONE, "(555) 123-4567") == Strings{"(555) 123-4567"});
  CHECK(Found(DETECTOR_PHONE, "(555)123-4567") == Strings{"(555)123-4567"});
  CHECK(Found(DETECTOR_PHONE, "tel 555-123-4567, fax 555.123.4568") ==
        Strings{"555-123-4567", "555.123.4568"});
  CHECK(Found(DETECTOR_PHONE, "555 123 4567") == Strings{"555 123 4567"});
  CHECK(Found(DETECTOR_PHONE, "1-800-555-0199") == Strings{"1-800-555-0199"});
  CHECK(Found(DETECTOR_PHONE, "1 (800) 555-0199") == Strings{"1 (800) 555-0199"});
}

TEST_CASE("phone: integers, dates, cards and versions stay visible", "[masking][detectors]") {
  CheckNothingFound(
      DETECTOR_PHONE,
      {"5551234567", "15551234567", "4111111111111111", "4111-1111-1111-1111", "2024-01-15",
       "2024-01-15 12:34:56", "192.168.100.1", "v10.123.4567", "123-45-6789", "+1234567",
       "+0 555 1234 5678", "1e+12345678", "155-123-4567", "(055) 123-4567", "555-123-45678",
       "555-123-4567-89", "555-123.4567", "price +100.50", "x555-123-4567"});
  // An E.164 number longer than 15 digits is a long signed integer.
  CHECK(Found(DETECTOR_PHONE, "+1234567890123456789").empty());
}

TEST_CASE("iban: compact and printed forms", "[masking][detectors]") {
  for (const char* iban : {"DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300",
                           "FR1420041010050500013M02606", "NO9386011117947",
                           "MT84MALT011000012345MTLCAST001S", "gb82west12345698765432"}) {
    INFO(iban);
    CHECK(Found(DETECTOR_IBAN, iban) == Strings{iban});
  }
  CHECK(Found(DETECTOR_IBAN, "IBAN: DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX") ==
        Strings{"DE89 3704 0044 0532 0130 00"});
  // A following four-letter word does not hide the IBAN before it.
  CHECK(Found(DETECTOR_IBAN, "ES91 2100 0418 4502 0005 1332 from Ana") ==
        Strings{"ES91 2100 0418 4502 0005 1332"});
  CHECK(Found(DETECTOR_IBAN, "to GB82 WEST 1234 5698 7654 32") ==
        Strings{"GB82 WEST 1234 5698 7654 32"});
}

TEST_CASE("iban: failing check digits and look-alikes stay visible", "[masking][detectors]") {
  CheckNothingFound(DETECTOR_IBAN, {"DE89370400440532013001", "DE00370400440532013000",
                                    "DE89 3704 0044 0532 0130 01", "XDE89370400440532013000",
                                    "DE8937040044", "AB12CDEFGHIJKLMNOP", "SKU AB12-3456-7890-1234",
                                    "DE89370400440532013000123456789012345"});
}
