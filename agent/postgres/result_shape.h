// What the result masker knows about the rows of one statement, and how the rows being answered
// are encoded. Kept by the request ledger (request_ledger.h), which follows the requests.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "agent/enforcement/column_masks.h"
#include "common/sql/classify/classified_statement.h"
#include "common/sql/lineage/column_lineage.h"

namespace warden::agent {

// Shared by a prepared statement and its portals; the masker caches its column plan in it.
struct ResultShape {
  // The statement's lineage; null when it cannot be told.
  std::shared_ptr<const sql::StatementLineage> lineage;
  // What the classifier says about it (relations, functions), for texts that may show values
  // (error and notice messages); null when it cannot be told.
  std::shared_ptr<const sql::ClassifiedStatement> classified;
  // The columns of its latest RowDescription (names dropped); empty until described.
  std::vector<ResultField> fields;
  bool described = false;
  // The agent's failing stand-in for a denied request: its error is Warden's denial, which
  // carries no value of the database's.
  bool refusal = false;
  // Filled by the masker: its plan for these columns and the state it was made under (0: none).
  uint64_t plan_stamp = 0;
  std::vector<ColumnMask> masks;
};

// How the rows being answered are encoded (RequestLedger::rows()).
struct RowsEncoding {
  enum Source : uint8_t {
    kRowDescription,  // as the RowDescription just before them says
    kBind,            // as `formats` says (Bind's convention: pgwire::FormatCode)
    kUnknown,         // the rows of a portal whose Bind was never seen: any format
  };
  Source source = kRowDescription;
  std::shared_ptr<const std::vector<int16_t>> formats;  // kBind
  uint64_t serial = 0;                                  // changes whenever a result starts
};

}  // namespace warden::agent
