// Processors written in Python: a class from a module, constructed with the config's keyword
// arguments and called per frame with a read-only numpy view of the frame and a metadata dict,
// as the replaced system's processors are (`async def process_frame(self, frame, metadata)`).
// Its answer, a dict, becomes the frame's detections and results; None, or raising a declared
// exception type, filters the frame; any other exception fails it with its type, message and
// last traceback line.
//
// One interpreter per process: in the host's process the instance's calls take turns (the GIL
// would serialise them anyway, and the class sees one call at a time as under asyncio); with
// `isolation: process` each worker process has its own interpreter, so N workers run Python in
// parallel.
#include "conversions.hpp"
#include "host_module.hpp"
#include "interpreter.hpp"

#include <filesystem>
#include <mutex>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

namespace {

using namespace framehost;
using namespace framehost::python;

struct Settings {
    std::string module;
    std::string class_name;
    nlohmann::json args = nlohmann::json::object();
    std::vector<std::string> python_path;
    std::string method = "process_frame";
    std::vector<std::string> filter_exceptions;
};

// What the replaced system's processors read from metadata, beside the source's own keys.
nlohmann::json metadata_of(const Frame& frame) {
    nlohmann::json metadata =
        frame.metadata.is_object() ? frame.metadata : nlohmann::json::object();
    if (!frame.metadata.is_null() && !frame.metadata.is_object())
        metadata["source_metadata"] = frame.metadata;
    metadata["frame_id"] = frame.id;
    metadata["camera_id"] = frame.camera_id;
    metadata["timestamp_ms"] = frame.timestamp_ms;
    metadata["timestamp"] = static_cast<double>(frame.timestamp_ms) / 1000.0;
    metadata["width"] = frame.width;
    metadata["height"] = frame.height;
    metadata["format"] = to_string(frame.format);
    if (!frame.traceparent.empty()) metadata["traceparent"] = frame.traceparent;
    return metadata;
}

class PythonProcessor final : public Processor {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::module, "module",
                        "The module: a .py file (its folder joins the import path), or a module "
                        "name found on python_path or Python's own path")
                .mandatory(),
            param::bind(&Settings::class_name, "class", "The processor class in that module")
                .mandatory(),
            param::bind(&Settings::args, "args", "Keyword arguments the class is constructed with"),
            param::bind(&Settings::python_path, "python_path",
                        "Folders put in front of Python's import path (relative to the working "
                        "directory)"),
            param::bind(&Settings::method, "method",
                        "The method called per frame with (frame, metadata): sync or async"),
            param::bind(&Settings::filter_exceptions, "filter_exceptions",
                        "Exception types that filter the frame instead of failing it (a name "
                        "in the module, a builtin, or package.module.Name); "
                        "framehost.FilterFrame always does"),
        };
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "python_processor", "1.0.0", PluginKind::Processor,
            "Runs a Python class on every frame (numpy view of the pixels, dict of metadata)",
            params().specs(),
            // What a Python model may take on one core; the class decides the real cost.
            std::chrono::milliseconds(100),
            // Calls take turns in one process (one interpreter); isolated workers run apart.
            Concurrency::Reentrant};
        return d;
    }

    PythonProcessor(const Params& p, PluginContext& context)
        : settings_(params().read(p)), context_(context) {
        ensure_interpreter();
        Gil gil;
        ContextScope scope(context_);
        install_host_module();
        import_numpy();
        extend_path();
        Ref module = load_module();
        Ref type(PyObject_GetAttrString(module.get(), settings_.class_name.c_str()));
        if (!type || !PyCallable_Check(type.get()))
            throw std::invalid_argument("module '" + settings_.module + "' has no class '" +
                                        settings_.class_name + "'" + pending());
        Ref kwargs = to_python(settings_.args);
        Ref no_args(PyTuple_New(0));
        python_.instance = Ref(PyObject_Call(type.get(), no_args.get(), kwargs.get()));
        if (!python_.instance)
            throw std::runtime_error(settings_.class_name + "(**args) raised " + error_text());
        python_.method =
            Ref(PyObject_GetAttrString(python_.instance.get(), settings_.method.c_str()));
        if (!python_.method || !PyCallable_Check(python_.method.get()))
            throw std::invalid_argument("class '" + settings_.class_name + "' has no method '" +
                                        settings_.method + "'" + pending());
        python_.filters = filter_types(module.get());
    }

    void start() override {
        if (auto problem = call_hook("initialize"); !problem.empty())
            throw std::runtime_error(problem);
    }

    void stop() override {
        if (auto problem = call_hook("cleanup"); !problem.empty())
            context_.log(LogLevel::Warn, problem);
    }

    void process(Frame& frame) override {
        Frame* one = &frame;
        process_batch({&one, 1});
    }

    void process_batch(std::span<Frame* const> frames) override {
        std::lock_guard turn(calls_);
        Gil gil;
        ContextScope scope(context_);
        for (Frame* frame : frames) call(*frame);
    }

  private:
    // ": <the Python error>" when one is pending, for messages about a missing name.
    static std::string pending() {
        if (!PyErr_Occurred()) return {};
        return " (" + error_text() + ")";
    }

    void extend_path() {
        std::vector<std::string> folders;
        for (const auto& folder : settings_.python_path)
            folders.push_back(std::filesystem::absolute(folder).lexically_normal().string());
        if (is_file_module())
            folders.push_back(
                std::filesystem::absolute(settings_.module).parent_path().lexically_normal());
        PyObject* path = PySys_GetObject("path");  // borrowed
        if (!path || !PyList_Check(path)) throw std::runtime_error("Python has no sys.path");
        for (auto it = folders.rbegin(); it != folders.rend(); ++it) {
            Ref entry(PyUnicode_FromString(it->c_str()));
            if (PySequence_Contains(path, entry.get()) == 1) continue;
            PyList_Insert(path, 0, entry.get());
        }
    }

    bool is_file_module() const {
        return settings_.module.ends_with(".py") || settings_.module.find('/') != std::string::npos;
    }

    Ref load_module() {
        if (!is_file_module()) {
            Ref module(PyImport_ImportModule(settings_.module.c_str()));
            if (!module)
                throw std::runtime_error("cannot import module '" + settings_.module +
                                         "': " + error_text());
            return module;
        }
        auto file = std::filesystem::absolute(settings_.module).lexically_normal();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec))
            throw std::invalid_argument("module '" + settings_.module + "': no such file (" +
                                        file.string() + ")");
        // importlib's own recipe for a file: the module gets a real spec and __file__.
        Ref util(PyImport_ImportModule("importlib.util"));
        std::string name = file.stem().string();
        Ref spec(util ? PyObject_CallMethod(util.get(), "spec_from_file_location", "ss",
                                            name.c_str(), file.c_str())
                      : nullptr);
        Ref module(spec && spec.get() != Py_None
                       ? PyObject_CallMethod(util.get(), "module_from_spec", "O", spec.get())
                       : nullptr);
        if (!module) throw std::runtime_error("cannot load " + file.string() + ": " + error_text());
        PyDict_SetItemString(PyImport_GetModuleDict(), name.c_str(), module.get());
        Ref loader(PyObject_GetAttrString(spec.get(), "loader"));
        Ref done(loader ? PyObject_CallMethod(loader.get(), "exec_module", "O", module.get())
                        : nullptr);
        if (!done) {
            auto error = error_text();
            PyDict_DelItemString(PyImport_GetModuleDict(), name.c_str());
            PyErr_Clear();
            throw std::runtime_error("cannot load " + file.string() + ": " + error);
        }
        return module;
    }

    // framehost.FilterFrame and the configured types, as one tuple for PyErr_GivenExceptionMatches.
    Ref filter_types(PyObject* module) {
        Ref types(PyTuple_New(static_cast<Py_ssize_t>(settings_.filter_exceptions.size() + 1)));
        Py_INCREF(filter_frame_type());
        PyTuple_SET_ITEM(types.get(), 0, filter_frame_type());
        Ref builtins(PyImport_ImportModule("builtins"));
        Py_ssize_t at = 1;
        for (const auto& name : settings_.filter_exceptions) {
            Ref type;
            if (auto dot = name.rfind('.'); dot != std::string::npos) {
                Ref owner(PyImport_ImportModule(name.substr(0, dot).c_str()));
                if (owner) type = Ref(PyObject_GetAttrString(owner.get(), name.c_str() + dot + 1));
            } else {
                type = Ref(PyObject_GetAttrString(module, name.c_str()));
                if (!type) {
                    PyErr_Clear();
                    type = Ref(PyObject_GetAttrString(builtins.get(), name.c_str()));
                }
            }
            if (!type || !PyExceptionClass_Check(type.get()))
                throw std::invalid_argument("filter_exceptions: '" + name +
                                            "' is not an exception type in the module, the "
                                            "builtins or an importable module" +
                                            pending());
            PyTuple_SET_ITEM(types.get(), at++, type.release());
        }
        return types;
    }

    // Runs `result` to completion on the instance's event loop when it is a coroutine (or any
    // awaitable); answers it as it is otherwise. Null with the error pending when it raised.
    Ref settle(Ref result) {
        if (!result) return result;
        if (!PyCoro_CheckExact(result.get()) && !PyObject_HasAttrString(result.get(), "__await__"))
            return result;
        if (!python_.loop) {
            Ref asyncio(PyImport_ImportModule("asyncio"));
            python_.loop = Ref(
                asyncio ? PyObject_CallMethod(asyncio.get(), "new_event_loop", nullptr) : nullptr);
            if (!python_.loop) return Ref();
        }
        return Ref(
            PyObject_CallMethod(python_.loop.get(), "run_until_complete", "O", result.get()));
    }

    // initialize() / cleanup() when the class has them: "" or what went wrong.
    std::string call_hook(const char* name) {
        std::lock_guard turn(calls_);
        Gil gil;
        ContextScope scope(context_);
        if (!PyObject_HasAttrString(python_.instance.get(), name)) return {};
        Ref result = settle(Ref(PyObject_CallMethod(python_.instance.get(), name, nullptr)));
        if (result) return {};
        return settings_.class_name + "." + name + "() raised " + error_text();
    }

    void call(Frame& frame) {
        Ref result;
        try {
            Ref pixels = image_array(frame.image);
            Ref metadata = to_python(metadata_of(frame));
            result = settle(Ref(PyObject_CallFunctionObjArgs(python_.method.get(), pixels.get(),
                                                             metadata.get(), nullptr)));
        } catch (const std::exception& e) {
            PyErr_Clear();
            frame.fail(e.what());
            return;
        }
        if (!result) {
            auto error = take_error();
            if (error.type &&
                PyErr_GivenExceptionMatches(error.type.get(), python_.filters.get())) {
                frame.filter(error.text);
            } else {
                frame.fail(error.text);
            }
            return;
        }
        if (result.get() == Py_None) {
            frame.filter(settings_.class_name + "." + settings_.method + " returned None");
            return;
        }
        if (!PyDict_Check(result.get())) {
            frame.fail(settings_.class_name + "." + settings_.method + " returned a " +
                       Py_TYPE(result.get())->tp_name + ", not a dict or None");
            return;
        }
        try {
            auto answer = to_json(result.get(), "the answer");
            if (auto found = answer.find("detections"); found != answer.end()) {
                if (!found->is_array())
                    throw std::invalid_argument("the answer's 'detections' is not a list");
                for (std::size_t i = 0; i < found->size(); ++i)
                    frame.detections.push_back(
                        detection_of((*found)[i], frame.width, frame.height,
                                     "detections[" + std::to_string(i) + "]"));
                answer.erase(found);
            }
            if (!answer.empty()) frame.results[context_.instance_name()] = std::move(answer);
        } catch (const std::exception& e) {
            frame.fail(e.what());
        }
    }

    // The instance's Python objects, released under the GIL however the instance goes (a
    // constructor that throws included).
    struct PythonObjects {
        Ref instance;
        Ref method;
        Ref filters;
        Ref loop;
        PythonObjects() = default;
        PythonObjects(const PythonObjects&) = delete;
        PythonObjects& operator=(const PythonObjects&) = delete;
        ~PythonObjects() {
            Gil gil;
            if (loop) {
                Ref closed(PyObject_CallMethod(loop.get(), "close", nullptr));
                PyErr_Clear();
            }
            method = instance = filters = loop = Ref();
        }
    };

    Settings settings_;
    PluginContext& context_;
    std::mutex calls_;
    PythonObjects python_;
};

}  // namespace

FRAMEHOST_PLUGIN(PythonProcessor)
