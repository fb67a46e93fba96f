#include "agent/postgres/copy_row.h"

#include <cstring>

namespace warden::agent {

namespace {

void Unescape(std::string_view raw, std::string* value) {
  value->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      switch (raw[++i]) {
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        case 'v':
          c = '\v';
          break;
        default:  // \\ and any other escaped character stand for themselves
          c = raw[i];
          break;
      }
    }
    value->push_back(c);
  }
}

// Text format: true when `v` has a character the server escapes (backslash and the control
// characters it writes as \b \f \n \r \t \v).
bool NeedsTextEscape(std::string_view v) {
  for (const char c : v) {
    if (c == '\\' || (c >= '\b' && c <= '\r')) return true;
  }
  return false;
}

void AppendText(std::string_view v, std::string* out) {
  for (char c : v) {
    const char* esc = nullptr;
    switch (c) {
      case '\\':
        esc = "\\\\";
        break;
      case '\b':
        esc = "\\b";
        break;
      case '\f':
        esc = "\\f";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\t':
        esc = "\\t";
        break;
      case '\v':
        esc = "\\v";
        break;
      default:
        out->push_back(c);
        continue;
    }
    out->append(esc);
  }
}

// CSV: quoted when it could be misread: empty (NULL otherwise), a delimiter, quote or line
// break, or the end-of-data marker.
bool NeedsCsvQuotes(std::string_view v) {
  return v.empty() || v == "\\." || v.find_first_of(",\"\n\r") != std::string_view::npos;
}

void AppendCsvQuoted(std::string_view v, std::string* out) {
  out->push_back('"');
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// Appends field `i` masked: the mask writes straight into *out (no copy for the common value
// that needs no escaping); a value that needs escaping or quoting is rewritten in place.
// False when the mask says NULL (nothing appended).
bool AppendMasked(CopyFieldMask mask, size_t i, std::string_view v, bool csv, std::string* out) {
  const size_t at = out->size();
  if (!mask(i, v, out)) {
    out->resize(at);
    return false;
  }
  const std::string_view added = std::string_view(*out).substr(at);
  if (csv ? !NeedsCsvQuotes(added) : !NeedsTextEscape(added)) return true;
  const std::string plain(added);
  out->resize(at);
  if (csv) {
    AppendCsvQuoted(plain, out);
  } else {
    AppendText(plain, out);
  }
  return true;
}

bool RewriteText(std::string_view row, const std::vector<bool>& masked, CopyFieldMask mask,
                 std::string* out) {
  std::string value;
  size_t i = 0;
  size_t start = 0;
  while (true) {
    const void* tab = std::memchr(row.data() + start, '\t', row.size() - start);
    const size_t end = tab ? static_cast<const char*>(tab) - row.data() : row.size();
    if (i >= masked.size()) return false;
    const std::string_view raw = row.substr(start, end - start);
    if (i > 0) out->push_back('\t');
    if (!masked[i] || raw == "\\N") {
      out->append(raw);
    } else {
      std::string_view v = raw;
      if (raw.find('\\') != std::string_view::npos) {
        Unescape(raw, &value);
        v = value;
      }
      if (!AppendMasked(mask, i, v, false, out)) out->append("\\N");
    }
    ++i;
    if (!tab) break;
    start = end + 1;
  }
  return i == masked.size();
}

bool RewriteCsv(std::string_view row, const std::vector<bool>& masked, CopyFieldMask mask,
                std::string* out) {
  std::string value;
  size_t i = 0;
  size_t pos = 0;
  while (true) {
    if (i >= masked.size()) return false;
    const size_t start = pos;
    bool quoted = false;
    if (pos < row.size() && row[pos] == '"') {
      quoted = true;
      ++pos;
      while (true) {
        const size_t q = row.find('"', pos);
        if (q == std::string_view::npos) return false;  // unterminated quote
        if (q + 1 < row.size() && row[q + 1] == '"') {
          pos = q + 2;
          continue;
        }
        pos = q + 1;
        break;
      }
      if (pos < row.size() && row[pos] != ',') return false;
    } else {
      const size_t comma = row.find(',', pos);
      pos = comma == std::string_view::npos ? row.size() : comma;
      if (row.substr(start, pos - start).find('"') != std::string_view::npos) return false;
    }
    const std::string_view raw = row.substr(start, pos - start);
    if (i > 0) out->push_back(',');
    if (!masked[i] || (!quoted && raw.empty())) {
      out->append(raw);  // not masked, or NULL
    } else {
      std::string_view v = raw;
      if (quoted) {
        value.clear();
        for (size_t k = 1; k + 1 < raw.size(); ++k) {
          value.push_back(raw[k]);
          if (raw[k] == '"') ++k;  // a doubled quote
        }
        v = value;
      }
      AppendMasked(mask, i, v, true, out);  // NULL: nothing between the commas
    }
    ++i;
    if (pos == row.size()) break;
    ++pos;  // the comma
  }
  return i == masked.size();
}

}  // namespace

bool RewriteCopyRow(std::string_view row, bool csv, const std::vector<bool>& masked,
                    CopyFieldMask mask, std::string* out) {
  if (row.empty() || row.back() != '\n') return false;
  row.remove_suffix(1);
  const bool ok = csv ? RewriteCsv(row, masked, mask, out) : RewriteText(row, masked, mask, out);
  out->push_back('\n');
  return ok;
}

}  // namespace warden::agent
