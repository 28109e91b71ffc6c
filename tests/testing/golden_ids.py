#!/usr/bin/env python3
"""Golden values of Touchstream's stable ids, computed independently of the C++ code.

The algorithm (engine/core/ids.cc, engine/policy/holdout.cc):
  StableHash64(parts, seed): h = FNV-1a offset basis XOR splitmix64(seed); for each part, for
    each byte b: h ^= b, h *= FNV prime; then the separator: h ^= 0xff, h *= FNV prime (all
    mod 2^64); the result is splitmix64(h) (the finalizer only: xor-shift-multiply, no increment).
  DeterministicId(parts): 16 lower-case hex digits of StableHash64(parts, 1), then 16 of
    StableHash64(parts, 2).
  InHoldout(salt, customer, percent): StableHash64(["holdout", salt, customer]) % 1000000 <
    round(percent * 10000) (half away from zero, as std::llround).

Usage:
  python3 tests/testing/golden_ids.py                 # prints the C++ lines to paste: the
                                                      # assertions into tests/engine/ids_test.cc,
                                                      # the rows of kPinnedArms (salt, customer id
                                                      # prefix, count, percent, arm of each
                                                      # customer: H held out, T treatment) into
                                                      # tests/engine/policy_test.cc
  python3 tests/testing/golden_ids.py --check F...    # exit 1 unless every printed assertion
                                                      # appears in the files F (whitespace-
                                                      # insensitive); run by ctest (TestingGoldenIdsTest)
Python 3 standard library only.
"""

import math
import re
import sys

MASK = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def splitmix64_finalize(x):
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    x ^= x >> 31
    return x


def stable_hash64(parts, seed=0):
    h = FNV_OFFSET ^ splitmix64_finalize(seed)
    for part in parts:
        for byte in part.encode("utf-8"):
            h = ((h ^ byte) * FNV_PRIME) & MASK
        h = ((h ^ 0xFF) * FNV_PRIME) & MASK
    return splitmix64_finalize(h)


def deterministic_id(parts):
    return "%016x%016x" % (stable_hash64(parts, 1), stable_hash64(parts, 2))


def in_holdout(salt, customer_id, percent):
    buckets = 1000000
    threshold = int(math.floor(abs(percent) * (buckets // 100) + 0.5)) * (1 if percent >= 0 else -1)
    return stable_hash64(["holdout", salt, customer_id]) % buckets < threshold


# Inputs: (C++ expression of one part, its value). Long inputs are written as std::string(n, c).
LONG = ("std::string(1000, 'x')", "x" * 1000)
HASH_INPUTS = [
    ([("\"\"", "")], 0),
    ([("\"abc\"", "abc")], 0),
    ([("\"abc\"", "abc")], 7),
    ([("\"ab\"", "ab"), ("\"c\"", "c")], 0),
    ([("\"a\"", "a"), ("\"bc\"", "bc")], 0),
    ([("\"\"", ""), ("\"\"", "")], 0),
    ([("\"café\"", "café"), ("\"東京\"", "東京")], 0),
    ([LONG], 0),
    ([("\"holdout\"", "holdout"), ("\"s1\"", "s1"), ("\"c0\"", "c0")], 0),
]
ID_INPUTS = [
    [("\"action\"", "action"), ("\"welcome-offer\"", "welcome-offer"), ("\"v1\"", "v1"),
     ("\"c-1\"", "c-1"), ("\"e-1\"", "e-1")],
    [("\"\"", "")],
    [("\"\"", ""), ("\"\"", "")],
    [("\"ab\"", "ab"), ("\"c\"", "c")],
    [("\"a\"", "a"), ("\"bc\"", "bc")],
    [("\"customer-ü\"", "customer-ü"), ("\"événement\"", "événement")],
    [("\"😀\"", "😀")],
    [LONG, ("\"tail\"", "tail")],
    [("\"timer\"", "timer"), ("\"c-42\"", "c-42"), ("\"reminder\"", "reminder"),
     ("\"1767225600000\"", "1767225600000")],
]
# (salt, percent, customer ids): the experiments whose arms are pinned. The first is the one
# of PolicyTest.HoldoutIsRecordedNotSentAndStable (experiment "spring", salt s1, 30%).
EXPERIMENTS = [
    ("s1", 30, ["c%d" % i for i in range(40)]),
    ("autumn", 50, ["cust-%d" % i for i in range(20)]),
]


def assertions():
    lines = []
    for parts, seed in HASH_INPUTS:
        args = "{" + ", ".join(expr for expr, _ in parts) + "}"
        if seed:
            args += ", %d" % seed
        value = stable_hash64([v for _, v in parts], seed)
        lines.append("EXPECT_EQ(StableHash64(%s), 0x%016xULL);" % (args, value))
    for parts in ID_INPUTS:
        args = "{" + ", ".join(expr for expr, _ in parts) + "}"
        lines.append('EXPECT_EQ(DeterministicId(%s), "%s");' % (args, deterministic_id([v for _, v in parts])))
    for salt, percent, customers in EXPERIMENTS:
        arms = "".join("H" if in_holdout(salt, c, percent) else "T" for c in customers)
        lines.append('{"%s", "%s", %d, %d, "%s"},'
                     % (salt, customers[0].rstrip("0123456789"), len(customers), percent, arms))
    return lines


def normalize(text):
    return re.sub(r"\s+", "", text)


def main(argv):
    lines = assertions()
    if len(argv) > 1 and argv[1] == "--check":
        corpus = ""
        for path in argv[2:]:
            with open(path, encoding="utf-8") as f:
                corpus += normalize(f.read())
        missing = [line for line in lines if normalize(line) not in corpus]
        for line in missing:
            print("golden_ids.py: not found in %s: %s" % (" ".join(argv[2:]), line))
        print("golden_ids.py: %d of %d golden assertions found" % (len(lines) - len(missing), len(lines)))
        return 1 if missing else 0
    print("// Golden values printed by tests/testing/golden_ids.py (python3 tests/testing/golden_ids.py)")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
