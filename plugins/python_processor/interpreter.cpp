#include "interpreter.hpp"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>

namespace framehost::python {

namespace {

std::string str_of(PyObject* object) {
    if (!object) return {};
    Ref text(PyObject_Str(object));
    if (!text) {
        PyErr_Clear();
        return "<unprintable>";
    }
    const char* utf8 = PyUnicode_AsUTF8(text.get());
    if (!utf8) {
        PyErr_Clear();
        return "<unprintable>";
    }
    return utf8;
}

// "processor.py:12 in process_frame: raise ValueError(...)" for the innermost frame of the
// traceback, or "" when there is none.
std::string last_traceback_line(PyObject* traceback) {
    if (!traceback) return {};
    Ref module(PyImport_ImportModule("traceback"));
    if (!module) return PyErr_Clear(), std::string();
    Ref frames(PyObject_CallMethod(module.get(), "extract_tb", "O", traceback));
    if (!frames || !PySequence_Check(frames.get()) || PySequence_Size(frames.get()) < 1)
        return PyErr_Clear(), std::string();
    Ref last(PySequence_GetItem(frames.get(), PySequence_Size(frames.get()) - 1));
    if (!last) return PyErr_Clear(), std::string();
    Ref file(PyObject_GetAttrString(last.get(), "filename"));
    Ref line(PyObject_GetAttrString(last.get(), "lineno"));
    Ref function(PyObject_GetAttrString(last.get(), "name"));
    Ref source(PyObject_GetAttrString(last.get(), "line"));
    PyErr_Clear();
    std::string path = str_of(file.get());
    if (auto slash = path.rfind('/'); slash != std::string::npos) path.erase(0, slash + 1);
    std::string text = path + ":" + str_of(line.get()) + " in " + str_of(function.get());
    if (source && source.get() != Py_None && !str_of(source.get()).empty())
        text += ": " + str_of(source.get());
    return text;
}

}  // namespace

void ensure_interpreter() {
    static std::once_flag started;
    std::call_once(started, [] {
        if (Py_IsInitialized()) return;  // another embedder got there first: share it
        // The plugin is opened RTLD_LOCAL, so libpython's symbols are invisible to the extension
        // modules Python loads (numpy's "undefined symbol: PyExc_RecursionError"). Promote the
        // library this plugin already linked to global before anything imports.
        if (!dlopen(PYTHON_LIBRARY_SONAME, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD))
            throw std::runtime_error(std::string("cannot make ") + PYTHON_LIBRARY_SONAME +
                                     " global: " + dlerror());
        PyConfig config;
        PyConfig_InitPythonConfig(&config);
        config.install_signal_handlers = 0;  // SIGINT and SIGTERM stay the host's
        config.parse_argv = 0;
        config.user_site_directory = 0;
        static wchar_t program[] = L"framehost";
        PyConfig_SetString(&config, &config.program_name, program);
        static wchar_t* argv[] = {program};
        PyConfig_SetArgv(&config, 1, argv);
        PyStatus status = Py_InitializeFromConfig(&config);
        PyConfig_Clear(&config);
        if (PyStatus_Exception(status))
            throw std::runtime_error(std::string("cannot start Python: ") +
                                     (status.err_msg ? status.err_msg : "unknown error"));
        PyEval_SaveThread();  // the GIL is taken per call, by whichever thread calls
    });
    if (!Py_IsInitialized()) throw std::runtime_error("Python could not be started");
}

PythonError take_error() {
    PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
    PyErr_Fetch(&type, &value, &traceback);
    if (!type) return {};
    PyErr_NormalizeException(&type, &value, &traceback);
    if (value && traceback) PyException_SetTraceback(value, traceback);
    PythonError error{Ref(type), Ref(value), {}};
    Ref tb(traceback);
    std::string name = PyType_Check(type) ? reinterpret_cast<PyTypeObject*>(type)->tp_name : "?";
    std::string message = str_of(value);
    error.text = message.empty() ? name : name + ": " + message;
    if (auto where = last_traceback_line(tb.get()); !where.empty())
        error.text += " (" + where + ")";
    return error;
}

std::string error_text() {
    return take_error().text;
}

}  // namespace framehost::python
