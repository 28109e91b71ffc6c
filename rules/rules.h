// The public API of ts_rules for the engine: load rule files, evaluate conditions, render
// actions, describe rules. See the individual headers for contracts.
#pragma once

#include "rules/describe.h"     // DescribeRule
#include "rules/environment.h"  // RuleEnvironment
#include "rules/evaluator.h"    // EvalContext, Evaluator, ConditionResult
#include "rules/loader.h"       // LoadRules, LoadRulesFromString, LoadResult
#include "rules/rule.h"         // Rule, RuleSet, Trigger, Action, EmitAction
#include "rules/source.h"       // Diagnostic
#include "rules/value_type.h"   // ValueType, ParseValueType
