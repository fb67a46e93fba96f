#include "agent/session/copy_row.h"

namespace warden::agent {

namespace {

bool SplitText(std::string_view row, std::vector<CopyField>* fields) {
  std::string value;
  bool null = false;
  size_t start = 0;
  for (size_t i = 0; i <= row.size(); ++i) {
    const bool end = i == row.size();
    const char c = end ? '\t' : row[i];
    if (c == '\t') {
      if (null && i - start != 2) return false;  // \N is a whole field
      fields->push_back(null ? CopyField() : CopyField(std::move(value)));
      value.clear();
      null = false;
      start = i + 1;
      continue;
    }
    if (c != '\\') {
      value.push_back(c);
      continue;
    }
    if (++i == row.size()) return false;
    switch (row[i]) {
      case 'N':
        null = true;
        break;
      case 'b':
        value.push_back('\b');
        break;
      case 'f':
        value.push_back('\f');
        break;
      case 'n':
        value.push_back('\n');
        break;
      case 'r':
        value.push_back('\r');
        break;
      case 't':
        value.push_back('\t');
        break;
      case 'v':
        value.push_back('\v');
        break;
      default:  // \\ and any other escaped character stand for themselves
        value.push_back(row[i]);
        break;
    }
  }
  return true;
}

bool SplitCsv(std::string_view row, std::vector<CopyField>* fields) {
  size_t i = 0;
  while (true) {
    if (i < row.size() && row[i] == '"') {
      std::string value;
      ++i;
      while (true) {
        if (i >= row.size()) return false;  // unterminated quote
        if (row[i] == '"') {
          if (i + 1 < row.size() && row[i + 1] == '"') {
            value.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        value.push_back(row[i++]);
      }
      fields->push_back(std::move(value));
      if (i == row.size()) return true;
      if (row[i] != ',') return false;
      ++i;
      continue;
    }
    const size_t comma = row.find(',', i);
    const std::string_view raw =
        row.substr(i, comma == std::string_view::npos ? row.npos : comma - i);
    if (raw.find('"') != std::string_view::npos) return false;
    fields->push_back(raw.empty() ? CopyField() : CopyField(std::string(raw)));
    if (comma == std::string_view::npos) return true;
    i = comma + 1;
  }
}

}  // namespace

bool SplitCopyRow(std::string_view row, bool csv, std::vector<CopyField>* fields) {
  fields->clear();
  if (row.empty() || row.back() != '\n') return false;
  row.remove_suffix(1);
  return csv ? SplitCsv(row, fields) : SplitText(row, fields);
}

std::string JoinCopyRow(const std::vector<CopyField>& fields, bool csv) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(csv ? ',' : '\t');
    const CopyField& f = fields[i];
    if (!f) {
      if (!csv) out.append("\\N");
      continue;
    }
    if (csv) {
      // Quoted when it could be misread: empty (NULL otherwise), a delimiter, quote, line
      // break, or the end-of-data marker.
      const bool quote =
          f->empty() || *f == "\\." || f->find_first_of(",\"\n\r") != std::string::npos;
      if (!quote) {
        out.append(*f);
        continue;
      }
      out.push_back('"');
      for (char c : *f) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
      }
      out.push_back('"');
      continue;
    }
    for (char c : *f) {
      switch (c) {
        case '\\':
          out.append("\\\\");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\v':
          out.append("\\v");
          break;
        default:
          out.push_back(c);
          break;
      }
    }
  }
  out.push_back('\n');
  return out;
}

}  // namespace warden::agent
