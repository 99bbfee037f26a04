// The id of this build (the git commit it was configured from); replay
// files carry it so a replay on another build can say so.
#pragma once

namespace tessera {
const char* build_id();
}
