#pragma once
// CPython inside a plugin: one interpreter per process, started by the first instance and never
// finalised (numpy cannot be initialised twice in a process), with the GIL held only while
// Python runs. Include this header first: Python.h must come before the standard headers.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string>
#include <utility>

namespace framehost::python {

// Starts the interpreter when this process has none, without Python's signal handlers (the host
// owns SIGINT and SIGTERM), and leaves the GIL released. Throws std::runtime_error when it
// cannot.
void ensure_interpreter();

// Holds the GIL for a scope, from any thread.
class Gil {
  public:
    Gil() : state_(PyGILState_Ensure()) {}
    ~Gil() { PyGILState_Release(state_); }
    Gil(const Gil&) = delete;
    Gil& operator=(const Gil&) = delete;

  private:
    PyGILState_STATE state_;
};

// An owned reference (a new reference, decremented when it goes). Use under the GIL.
class Ref {
  public:
    Ref() = default;
    explicit Ref(PyObject* owned) : object_(owned) {}
    static Ref borrowed(PyObject* object) {
        Py_XINCREF(object);
        return Ref(object);
    }
    Ref(const Ref& other) : object_(other.object_) { Py_XINCREF(object_); }
    Ref(Ref&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
    Ref& operator=(Ref other) noexcept {
        std::swap(object_, other.object_);
        return *this;
    }
    ~Ref() { Py_XDECREF(object_); }

    PyObject* get() const { return object_; }
    PyObject* release() { return std::exchange(object_, nullptr); }
    explicit operator bool() const { return object_ != nullptr; }

  private:
    PyObject* object_ = nullptr;
};

// The exception Python has raised, taken (cleared) from the interpreter.
struct PythonError {
    Ref type;
    Ref value;
    // "ValueError: no faces (processor.py:12 in process_frame: raise ValueError(...))": the
    // type, the message, and the last line of the traceback.
    std::string text;
};
PythonError take_error();

// `text` of the exception raised, for messages that end with it; "" when none is.
std::string error_text();

}  // namespace framehost::python
