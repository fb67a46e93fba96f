// What the classifier's parser (libpg_query) assumes about the session when it reads a
// statement, and the checks that keep the database reading the same text the same way.
//
// libpg_query lexes as PostgreSQL does with standard_conforming_strings on and an encoding in
// which every byte below 0x80 is the ASCII character. A session that turned
// standard_conforming_strings off would read `'x\' -- '` as an unterminated string where the
// classifier sees a string and a comment; in the client-only encodings (SJIS, BIG5, GBK, UHC,
// GB18030, JOHAB, SHIFT_JIS_2004) the second byte of a character may be a quote or a backslash
// (https://www.postgresql.org/docs/15/multibyte.html). Either lets a statement hide from policy.
// So those two settings are pinned: refused wherever a client could change them, pinned in the
// database's startup packet, and checked in every ParameterStatus the database reports.
// backslash_quote only makes the server refuse more texts, so it is left alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/sql/classify/classified_statement.h"

namespace warden::sql {

// PostgreSQL's parse_bool(): true, false, yes, no, on, off, 1, 0 and their unique prefixes, in
// any case; nullopt for anything else.
std::optional<bool> ParsePostgresBool(std::string_view value);

// True for an encoding name PostgreSQL accepts (any spelling: case and punctuation are ignored,
// as pg_char_to_encoding() does) in which bytes below 0x80 are always ASCII characters. False
// for the client-only encodings and for names PostgreSQL does not know.
bool ClientEncodingKeepsAscii(std::string_view name);

// Why setting `name` to `value` would make the database read statements differently from the
// classifier, or "" when it would not (every other setting, and the safe values of these).
// For startup parameters, `options` -c settings, SET and ParameterStatus alike.
std::string LexingSettingProblem(std::string_view name, std::string_view value);

// Why the setting changes in `batch` are refused, or "": a change of a lexing setting to
// anything but a safe literal. (A change the classifier cannot see, such as set_config() of a
// computed name or a function's, is caught by the ParameterStatus check.)
std::string SettingChangeProblem(const ClassifiedBatch& batch);

// True when another value of a lexing setting could change how `text` is read: it holds a
// backslash or a byte of 0x80 or above. Such a text is decided only while no earlier request of
// the session is unanswered, as one could have changed the setting (a trigger, a view, a
// function) and the database reports the change only before its next ReadyForQuery.
bool TextDependsOnLexingSettings(std::string_view text);

}  // namespace warden::sql
