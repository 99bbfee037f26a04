// Deliberately broken behaviours the simulator's checkers must catch, each
// named after the protocol rule it breaks. Test only: no product config
// holds them, and tessera-server has no way to set them; the simulator
// hands them to a node's services (core/node) by name (--broken-variant).
#pragma once

namespace tessera {

struct BrokenVariants {
  bool placement_ignores_racks = false;      // place by disk whatever the class says
  bool read_skips_checksum = false;          // serve and accept fragments unverified
  bool commit_before_fragments = false;      // commit before fragment writes are acknowledged
  bool repair_rebuilds_wrong_bytes = false;  // rebuilt fragments carry another index's bytes
  bool get_ignores_conditions = false;       // GET sends the object whatever If-* say
  bool range_past_its_end = false;           // a Range GET sends one byte more than asked
  bool placement_ignores_disk_state = false; // gone disks stay eligible (reports and failed writes ignored)
  bool scrub_skips_verification = false;     // the scrubber reads fragments but checks nothing
  bool gc_without_grace = false;             // garbage is collected as soon as it is recorded
  // The metadata group's Raft (core/consensus/):
  bool reads_from_any_replica = false;  // any replica answers, leader or not, without a read index
  bool commit_without_quorum = false;   // the leader commits what it alone holds
  bool votes_not_persisted = false;     // a vote never reaches disk
  bool count_old_terms = false;         // an old term's entry commits by counting (Figure 8)
};

}  // namespace tessera
