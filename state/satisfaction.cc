#include "state/satisfaction.h"

#include <cmath>

namespace touchstream::state {

namespace {

const v1::Value* Property(const v1::TouchpointEvent& event, const std::string& name) {
  auto it = event.properties().find(name);
  return it == event.properties().end() ? nullptr : &it->second;
}

// The event's score as a finite number, or false.
bool Score(const SatisfactionConfig& config, const v1::TouchpointEvent& event, double* out) {
  const v1::Value* v = Property(event, config.score_property);
  if (v == nullptr) return false;
  if (v->kind_case() == v1::Value::kIntValue) {
    *out = static_cast<double>(v->int_value());
  } else if (v->kind_case() == v1::Value::kDoubleValue) {
    *out = v->double_value();
  } else {
    return false;
  }
  return std::isfinite(*out);
}

bool ApplyNps(const SatisfactionConfig& config, const v1::TouchpointEvent& event,
              v1::Satisfaction* s) {
  double value = 0;
  if (!Score(config, event, &value)) return false;
  const long score = std::lround(value);
  if (score < 0 || score > 10) return false;
  if (score >= 9) {
    s->set_nps_promoters(s->nps_promoters() + 1);
  } else if (score >= 7) {
    s->set_nps_passives(s->nps_passives() + 1);
  } else {
    s->set_nps_detractors(s->nps_detractors() + 1);
  }
  if (event.ts_ms() >= s->nps_ms()) {
    s->set_nps_score(static_cast<int32_t>(score));
    s->set_nps_ms(event.ts_ms());
  }
  return true;
}

bool ApplyCsat(const SatisfactionConfig& config, const v1::TouchpointEvent& event,
               v1::Satisfaction* s) {
  double score = 0;
  if (!Score(config, event, &score)) return false;
  s->set_csat_count(s->csat_count() + 1);
  s->set_csat_sum(s->csat_sum() + score);
  if (event.ts_ms() >= s->csat_ms()) {
    s->set_csat_score(score);
    s->set_csat_ms(event.ts_ms());
  }
  return true;
}

std::string TicketId(const SatisfactionConfig& config, const v1::TouchpointEvent& event) {
  const v1::Value* v = Property(event, config.ticket_id_property);
  if (v == nullptr) return event.event_id();
  if (v->kind_case() == v1::Value::kStringValue) return v->string_value();
  if (v->kind_case() == v1::Value::kIntValue) return std::to_string(v->int_value());
  return event.event_id();
}

bool OpenTicket(const SatisfactionConfig& config, const v1::TouchpointEvent& event,
                v1::Satisfaction* s) {
  std::string id = TicketId(config, event);
  for (const v1::OpenTicket& t : s->open_tickets()) {
    if (t.id() == id) return false;
  }
  auto* tickets = s->mutable_open_tickets();
  // Kept in order of opening time, so that the first is the oldest.
  int at = tickets->size();
  while (at > 0 && tickets->Get(at - 1).opened_ms() > event.ts_ms()) --at;
  if (tickets->size() >= config.max_open_tickets) {
    if (at == 0) return false;  // older than every kept ticket: it would be dropped at once
    tickets->DeleteSubrange(0, 1);
    --at;
  }
  v1::OpenTicket* added = tickets->Add();
  added->set_id(std::move(id));
  added->set_opened_ms(event.ts_ms());
  for (int i = tickets->size() - 1; i > at; --i) tickets->SwapElements(i, i - 1);
  s->set_tickets_opened(s->tickets_opened() + 1);
  return true;
}

bool ResolveTicket(const SatisfactionConfig& config, const v1::TouchpointEvent& event,
                   v1::Satisfaction* s) {
  const std::string id = TicketId(config, event);
  auto* tickets = s->mutable_open_tickets();
  for (int i = 0; i < tickets->size(); ++i) {
    if (tickets->Get(i).id() != id) continue;
    tickets->DeleteSubrange(i, 1);
    s->set_tickets_resolved(s->tickets_resolved() + 1);
    return true;
  }
  return false;
}

}  // namespace

bool ApplySatisfactionEvent(const SatisfactionConfig& config, const v1::TouchpointEvent& event,
                            v1::CustomerState* state) {
  const std::string& type = event.type();
  if (type == config.nps_event) return ApplyNps(config, event, state->mutable_satisfaction());
  if (type == config.csat_event) return ApplyCsat(config, event, state->mutable_satisfaction());
  if (type == config.ticket_opened_event) {
    return OpenTicket(config, event, state->mutable_satisfaction());
  }
  if (type == config.ticket_resolved_event) {
    return ResolveTicket(config, event, state->mutable_satisfaction());
  }
  return false;
}

}  // namespace touchstream::state
