#pragma once
// The worker's side (`framehost worker`): loads the plugin file the host names, with the same
// checks as the host, validates the params again, creates the instance and serves the host's
// calls until told to stop or the host is gone.
#include <sys/types.h>

namespace framehost::core::isolation {

// Serves the host on fd 3 with the arena on fd 4 (WorkerProcess); `parent` is the host's pid,
// whose death ends this process. Returns the exit code.
int run_plugin_worker(pid_t parent);

}  // namespace framehost::core::isolation
