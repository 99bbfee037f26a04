// Losses are loud: a stripe repair found with fewer than k fragments
// anywhere is marked lost in the metadata (FragmentLocation.lost, through
// the same compare-and-set as a move), so GETs of it say so instead of
// answering a retryable 503, and it is listed in the lost report that the
// server logs and counts.
#include "core/repair/repairer.h"

namespace tessera {

Task<void> Repairer::mark_lost(const Stripe& s, std::vector<uint32_t> gone) {
  const proto::StripeRecord& part = s.part;
  std::vector<proto::FragmentLocation> before(part.fragments().begin(), part.fragments().end());
  std::vector<proto::FragmentLocation> after = before;
  for (uint32_t i : gone) after[i].set_lost(true);
  proto::StripeRecord marked = part;
  for (size_t i = 0; i < after.size(); ++i) *marked.mutable_fragments(static_cast<int>(i)) = after[i];
  ASSERT(stripe_lost(marked));
  Status committed =
      co_await metadata_.move_stripe(s.owner, part.fragment_version(), part.number(), before, after);
  if (!committed.is_ok()) co_return;  // changed or gone meanwhile, or no answer: the next pass sees
  if (!stripe_lost(part)) ++progress_.stripes_marked_lost;
  report_lost(s, marked);
}

void Repairer::report_lost(const Stripe& s, const proto::StripeRecord& part) {
  const StripeOwner& o = s.owner;
  const LostKey key{o.bucket, o.key, o.version, o.upload_id, o.upload_part, s.fragment_version, part.number()};
  const LostStripe lost{o, s.fragment_version, part.number(), fragments_left(part), part.k()};
  // During a pass into the pass's own report (it replaces the last one at
  // the end); between passes (a heal) straight into the report.
  auto& report = progress_.in_pass ? pass_lost_ : lost_;
  if (report.size() < kLostReportMax || report.count(key)) report[key] = lost;
  progress_.stripes_lost = lost_.size();
}

std::vector<Repairer::LostStripe> Repairer::lost_stripes() const {
  std::vector<LostStripe> out;
  for (const auto& [key, lost] : lost_) out.push_back(lost);
  return out;
}

}  // namespace tessera
