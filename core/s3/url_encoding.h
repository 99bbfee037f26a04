// Percent-encoding of S3 paths and query strings (what SigV4 signs and
// what ListObjects encoding-type=url returns).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::s3 {

// Percent-encoding as SigV4 canonical form wants it: every byte except
// A-Z a-z 0-9 - . _ ~ (and '/' when keep_slash).
std::string uri_encode(std::string_view s, bool keep_slash);
// Decodes %XX (and '+' as itself, as S3 does in paths); nullopt when malformed.
std::optional<std::string> uri_decode(std::string_view s);
// Decodes a query-string (form) value: '+' is a space, then %XX.
std::optional<std::string> form_decode(std::string_view s);
// Splits "k1=v1&k2&..." into decoded pairs in order (empty pairs skipped,
// a missing '=' is an empty value); nullopt when any part is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view s);

}  // namespace tessera::s3
