// The command tags a `commands:` match can name: PostgreSQL 15's (src/include/tcop/cmdtaglist.h,
// what the server reports in CommandComplete), plus "SELECT INTO", which the classifier adds for
// SELECT ... INTO. A rule naming anything else would never match, so policies are refused
// with the nearest tags suggested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden::policy {

// True for a tag a statement can carry (upper case, single spaces).
bool IsKnownCommandTag(std::string_view tag);

// Up to three known tags nearest to `tag`: those it begins (TRUNCATE -> TRUNCATE TABLE), then
// the closest by edit distance.
std::vector<std::string> NearestCommandTags(std::string_view tag);

}  // namespace warden::policy
