// GET /customers/<id> for a customer of a partition this instance does not own answers 421
// naming the partition, never a stale or empty state (docs/scaling-out.md).
#include <gtest/gtest.h>

#include "engine/ops/admin_api.h"

namespace touchstream::engine {
namespace {

// Owns partition 0 only; every customer but "mine" is on partition 4.
class OnePartitionBackend : public AdminBackend {
 public:
  Status AdminGetCustomer(std::string_view customer_id, v1::CustomerState* out) override {
    ++gets;
    out->set_customer_id(std::string(customer_id));
    return Status::Ok();
  }
  Result<state::ErasureCounts> AdminEraseCustomer(std::string_view) override {
    return state::ErasureCounts{};
  }
  std::shared_ptr<const rules::RuleSet> AdminRules() override { return nullptr; }
  std::optional<int32_t> AdminForeignPartition(std::string_view customer_id) override {
    if (customer_id == "mine") return std::nullopt;
    return 4;
  }
  int gets = 0;
};

AdminResponse Get(AdminApi& api, TaskQueue& tasks, const std::string& target) {
  AdminResponse response;
  response.status = 0;
  api.Handle({"GET", target}, [&](AdminResponse r) { response = std::move(r); });
  tasks.RunPending();
  return response;
}

// A foreign customer gets 421 with the owning partition; an owned one its state.
TEST(MisdirectedTest, ForeignCustomerAnswers421) {
  OnePartitionBackend backend;
  TaskQueue tasks;
  AdminApi api(&backend, &tasks, [](std::ostream&) -> Result<size_t> { return 0; });
  const AdminResponse foreign = Get(api, tasks, "/customers/theirs");
  EXPECT_EQ(foreign.status, 421);
  EXPECT_NE(foreign.body.find(R"("partition":4)"), std::string::npos) << foreign.body;
  EXPECT_NE(foreign.body.find("partition 4"), std::string::npos) << foreign.body;
  EXPECT_EQ(backend.gets, 0);
  const AdminResponse owned = Get(api, tasks, "/customers/mine");
  EXPECT_EQ(owned.status, 200) << owned.body;
  EXPECT_EQ(backend.gets, 1);
}

// Knows the owner of partition 4 only.
class KnownOwnerBackend : public OnePartitionBackend {
 public:
  std::optional<std::string> AdminPartitionOwner(int32_t partition) override {
    if (partition == 4) return "b.internal:9465";
    return std::nullopt;
  }
};

// When the owner's admin address is known, the 421 names it beside the partition.
TEST(MisdirectedTest, AnswerNamesTheOwnerWhenKnown) {
  KnownOwnerBackend backend;
  TaskQueue tasks;
  AdminApi api(&backend, &tasks, [](std::ostream&) -> Result<size_t> { return 0; });
  const AdminResponse foreign = Get(api, tasks, "/customers/theirs");
  EXPECT_EQ(foreign.status, 421);
  EXPECT_NE(foreign.body.find(R"("partition":4)"), std::string::npos) << foreign.body;
  EXPECT_NE(foreign.body.find(R"("owner":"b.internal:9465")"), std::string::npos) << foreign.body;
  EXPECT_NE(foreign.body.find("its owner's admin API is b.internal:9465"), std::string::npos)
      << foreign.body;
  // Without a known owner, no "owner" field.
  OnePartitionBackend unknown;
  AdminApi plain(&unknown, &tasks, [](std::ostream&) -> Result<size_t> { return 0; });
  EXPECT_EQ(Get(plain, tasks, "/customers/theirs").body.find("owner"), std::string::npos);
}

}  // namespace
}  // namespace touchstream::engine
