#include "host_module.hpp"

#include <string>

namespace framehost::python {

namespace {

constexpr const char* kModuleName = "framehost";
constexpr const char* kContextKey = "framehost.context";

PluginContext* current_context() {
    PyObject* state = PyThreadState_GetDict();
    PyObject* capsule = state ? PyDict_GetItemString(state, kContextKey) : nullptr;
    if (!capsule || capsule == Py_None) {
        PyErr_SetString(PyExc_RuntimeError,
                        "framehost: called outside a call from the host (on a thread of the "
                        "processor's own?)");
        return nullptr;
    }
    return static_cast<PluginContext*>(PyCapsule_GetPointer(capsule, kContextKey));
}

PyObject* log(PyObject*, PyObject* args, PyObject* kwargs) {
    static const char* names[] = {"message", "level", nullptr};
    const char* message = nullptr;
    const char* level = "info";
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|s", const_cast<char**>(names), &message,
                                     &level))
        return nullptr;
    std::string word = level;
    LogLevel parsed;
    if (word == "debug")
        parsed = LogLevel::Debug;
    else if (word == "info")
        parsed = LogLevel::Info;
    else if (word == "warn" || word == "warning")
        parsed = LogLevel::Warn;
    else if (word == "error")
        parsed = LogLevel::Error;
    else {
        PyErr_Format(PyExc_ValueError,
                     "framehost.log: level is debug, info, warn or error, not '%s'", level);
        return nullptr;
    }
    auto* context = current_context();
    if (!context) return nullptr;
    context->log(parsed, message);
    Py_RETURN_NONE;
}

// counter and gauge: the host throws std::invalid_argument for a name Prometheus refuses.
template <class Update>
PyObject* update_metric(const char* name, Update update) {
    auto* context = current_context();
    if (!context) return nullptr;
    try {
        update(*context, std::string(name));
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_ValueError, e.what());
        return nullptr;
    }
    Py_RETURN_NONE;
}

PyObject* counter(PyObject*, PyObject* args, PyObject* kwargs) {
    static const char* names[] = {"name", "delta", nullptr};
    const char* name = nullptr;
    double delta = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|d", const_cast<char**>(names), &name, &delta))
        return nullptr;
    return update_metric(
        name, [delta](PluginContext& c, const std::string& n) { c.add_to_counter(n, delta); });
}

PyObject* gauge(PyObject*, PyObject* args, PyObject* kwargs) {
    static const char* names[] = {"name", "value", nullptr};
    const char* name = nullptr;
    double value = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "sd", const_cast<char**>(names), &name, &value))
        return nullptr;
    return update_metric(
        name, [value](PluginContext& c, const std::string& n) { c.set_gauge(n, value); });
}

PyMethodDef methods[] = {
    {"log", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(log)),
     METH_VARARGS | METH_KEYWORDS, "log(message, level='info'): a line in the host's log"},
    {"counter", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(counter)),
     METH_VARARGS | METH_KEYWORDS,
     "counter(name, delta=1.0): adds to framehost_plugin_<name>_total"},
    {"gauge", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(gauge)),
     METH_VARARGS | METH_KEYWORDS, "gauge(name, value): sets framehost_plugin_<name>"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef definition = {PyModuleDef_HEAD_INIT,
                          kModuleName,
                          "The host of a framehost python_processor: log, metrics, FilterFrame",
                          -1,
                          methods,
                          nullptr,
                          nullptr,
                          nullptr,
                          nullptr};

}  // namespace

void install_host_module() {
    Ref modules = Ref::borrowed(PyImport_GetModuleDict());
    if (PyDict_GetItemString(modules.get(), kModuleName)) return;
    Ref module(PyModule_Create(&definition));
    if (!module) throw std::runtime_error("cannot create the framehost module: " + error_text());
    PyObject* filter = PyErr_NewExceptionWithDoc(
        "framehost.FilterFrame",
        "Raise it from process_frame to drop the frame on purpose; its message is the reason.",
        nullptr, nullptr);
    if (!filter || PyModule_AddObject(module.get(), "FilterFrame", filter) != 0)
        throw std::runtime_error("cannot create framehost.FilterFrame: " + error_text());
    if (PyDict_SetItemString(modules.get(), kModuleName, module.get()) != 0)
        throw std::runtime_error("cannot register the framehost module: " + error_text());
}

PyObject* filter_frame_type() {
    PyObject* module = PyDict_GetItemString(PyImport_GetModuleDict(), kModuleName);
    PyObject* type = module ? PyObject_GetAttrString(module, "FilterFrame") : nullptr;
    if (!type) {
        PyErr_Clear();
        return PyExc_Exception;  // never: install_host_module ran first
    }
    Py_DECREF(type);  // the module keeps it alive
    return type;
}

ContextScope::ContextScope(PluginContext& context) {
    PyObject* state = PyThreadState_GetDict();
    if (!state) return;
    previous_ = Ref::borrowed(PyDict_GetItemString(state, kContextKey));
    Ref capsule(PyCapsule_New(&context, kContextKey, nullptr));
    if (!capsule || PyDict_SetItemString(state, kContextKey, capsule.get()) != 0) PyErr_Clear();
}

ContextScope::~ContextScope() {
    PyObject* state = PyThreadState_GetDict();
    if (!state) return;
    if (previous_)
        PyDict_SetItemString(state, kContextKey, previous_.get());
    else if (PyDict_DelItemString(state, kContextKey) != 0)
        PyErr_Clear();
}

}  // namespace framehost::python
