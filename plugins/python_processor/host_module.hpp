#pragma once
// The `framehost` module a Python processor imports to reach the host:
//   framehost.log(message, level="info")     the host's log, under the instance's name
//   framehost.counter(name, delta=1.0)       framehost_plugin_<name>_total
//   framehost.gauge(name, value)             framehost_plugin_<name>
//   raise framehost.FilterFrame("reason")    drops the frame on purpose
// A call reaches the instance whose call from the host is running on that thread; from a thread
// of the processor's own it raises RuntimeError.
#include "interpreter.hpp"

#include <framehost/plugin.hpp>

namespace framehost::python {

// Puts the module in sys.modules unless it is there. [GIL held]
void install_host_module();

// framehost.FilterFrame. [GIL held; borrowed]
PyObject* filter_frame_type();

// While it lives, the module's calls on this thread reach `context`. The key lives in the
// thread's Python state, which every copy of this library shares (a reloaded plugin's too).
// [GIL held for its whole life]
class ContextScope {
  public:
    explicit ContextScope(PluginContext& context);
    ~ContextScope();
    ContextScope(const ContextScope&) = delete;
    ContextScope& operator=(const ContextScope&) = delete;

  private:
    Ref previous_;
};

}  // namespace framehost::python
