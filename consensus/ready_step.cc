#include "consensus/ready_step.h"

namespace poolha::consensus {

Expected<bool> run_ready_step(Raft& raft, const ReadySteps& steps) {
  if (!raft.has_ready()) return false;
  const Ready r = raft.ready();
  if (auto st = steps.persist(r); !st.ok()) return st;
  for (const Message& m : r.messages) steps.send(m);
  if (r.snapshot) steps.restore(*r.snapshot);
  for (const Entry& e : r.committed) steps.apply(e);
  raft.advance(r);
  return true;
}

}  // namespace poolha::consensus
