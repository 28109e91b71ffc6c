// OwnerDirectory: which instance's admin API owns each input partition, so that
// `GET /customers/<id>` on an instance that does not own the customer can answer 421 with the
// owner's admin address (docs/scaling-out.md#any-instance-answers-for-any-customer).
//
// librdkafka cannot tell a group member's assignment to the other members (and the development
// broker answers neither ListGroups nor DescribeGroups), so owners announce themselves: when an
// instance has restored an assigned partition it produces, through its outbox, a record to the
// one-partition compacted topic `<kafka.group_id>.owners` (key: "partition:" and the number;
// value: its `admin_advertised_address`). Every instance follows that topic from its start on a
// thread of its own (a consumer outside the group) and keeps the latest address per partition.
//
// The address is a hint: after a rebalance, until the new owner has restored and announced, it
// names the previous owner (which then answers 421 itself). An address equal to this instance's
// own is never returned (it just lost the partition).
//
// Thread safety: OwnerOf and Announcement may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/status.h"
#include "connectors/partition_reader.h"
#include "engine/ops/log.h"
#include "touchstream/v1/state.pb.h"

namespace touchstream::engine {

struct OwnerDirectoryOptions {
  std::string topic;
  // This instance's admin address as others reach it (host:port).
  std::string self_address;
  connectors::PartitionReaderOptions reader;
  // Where a failing read of the topic is logged (not null; must outlive the directory).
  Logger* log = nullptr;
};

class OwnerDirectory {
 public:
  // Starts following options.topic (which must exist). Errors: the reader's.
  static Result<std::unique_ptr<OwnerDirectory>> Start(const OwnerDirectoryOptions& options);
  ~OwnerDirectory();
  OwnerDirectory(const OwnerDirectory&) = delete;
  OwnerDirectory& operator=(const OwnerDirectory&) = delete;

  // The record announcing this instance as the owner of `partition` (for the outbox).
  v1::OutboxEntry Announcement(int32_t partition) const;

  // The admin address last announced for `partition` by another instance; nullopt when none.
  std::optional<std::string> OwnerOf(int32_t partition) const;

 private:
  explicit OwnerDirectory(OwnerDirectoryOptions options) : options_(std::move(options)) {}
  void Loop();

  const OwnerDirectoryOptions options_;
  std::unique_ptr<connectors::PartitionReader> reader_;  // used by the thread only

  mutable std::mutex mu_;
  std::map<int32_t, std::string> owners_;  // GUARDED_BY(mu_)
  bool stop_ = false;                      // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace touchstream::engine
