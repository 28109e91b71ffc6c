// A source that reaches past the public headers of ts_rules: check_public_api.cmake must
// reject it (the ctest rules_public_api_rejects_internal_include).
#include "rules/compiler.h"
#include "rules/rule.h"
