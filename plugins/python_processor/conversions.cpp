#include "conversions.hpp"

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace framehost::python {

namespace {

constexpr const char* kOwnerCapsule = "framehost.image_owner";

void release_owner(PyObject* capsule) {
    delete static_cast<std::shared_ptr<const void>*>(PyCapsule_GetPointer(capsule, kOwnerCapsule));
}

std::string type_name(PyObject* value) {
    return Py_TYPE(value)->tp_name;
}

}  // namespace

void import_numpy() {
    // Once per copy of the plugin: the API table is this library's own static.
    static bool imported = false;
    if (imported) return;
    if (_import_array() < 0)
        throw std::runtime_error("cannot import numpy (Debian: python3-numpy): " + error_text());
    imported = true;
}

Ref image_array(const Image& image) {
    if (image.empty()) return Ref::borrowed(Py_None);
    npy_intp dims[3] = {};
    npy_intp strides[3] = {};
    int rank = 0;
    const auto& plane = image.planes[0];
    auto stride = static_cast<npy_intp>(plane.stride);
    switch (image.format) {
        case PixelFormat::GRAY8:
        case PixelFormat::NV12:
        case PixelFormat::I420:
            rank = 2;
            dims[0] = image.height, dims[1] = image.width;
            strides[0] = stride, strides[1] = 1;
            break;
        case PixelFormat::RGB24:
        case PixelFormat::BGR24:
        case PixelFormat::RGBA:
        case PixelFormat::BGRA: {
            npy_intp channels = bytes_per_pixel(image.format);
            rank = 3;
            dims[0] = image.height, dims[1] = image.width, dims[2] = channels;
            strides[0] = stride, strides[1] = channels, strides[2] = 1;
            break;
        }
        case PixelFormat::Encoded:
        case PixelFormat::Unknown:
            rank = 1;
            dims[0] = static_cast<npy_intp>(plane.size);
            strides[0] = 1;
            break;
    }
    // flags 0: not writeable. The data is the frame's own plane.
    Ref array(PyArray_New(&PyArray_Type, rank, dims, NPY_UINT8, strides,
                          const_cast<std::uint8_t*>(plane.data), 0, 0, nullptr));
    if (!array) throw std::runtime_error("cannot make a numpy array: " + error_text());
    auto* owner = new std::shared_ptr<const void>(image.owner);
    PyObject* capsule = PyCapsule_New(owner, kOwnerCapsule, release_owner);
    if (!capsule) {
        delete owner;
        throw std::runtime_error("cannot keep the image alive: " + error_text());
    }
    // Steals the capsule: the array now keeps the image's memory alive however long Python
    // holds it.
    if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(array.get()), capsule) != 0)
        throw std::runtime_error("cannot keep the image alive: " + error_text());
    return array;
}

Ref to_python(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null:
        case nlohmann::json::value_t::discarded:
            return Ref::borrowed(Py_None);
        case nlohmann::json::value_t::boolean:
            return Ref::borrowed(value.get<bool>() ? Py_True : Py_False);
        case nlohmann::json::value_t::number_integer:
            return Ref(PyLong_FromLongLong(value.get<long long>()));
        case nlohmann::json::value_t::number_unsigned:
            return Ref(PyLong_FromUnsignedLongLong(value.get<unsigned long long>()));
        case nlohmann::json::value_t::number_float:
            return Ref(PyFloat_FromDouble(value.get<double>()));
        case nlohmann::json::value_t::string: {
            const auto& text = value.get_ref<const std::string&>();
            return Ref(
                PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace"));
        }
        case nlohmann::json::value_t::array: {
            Ref list(PyList_New(static_cast<Py_ssize_t>(value.size())));
            Py_ssize_t i = 0;
            for (const auto& item : value)
                PyList_SET_ITEM(list.get(), i++, to_python(item).release());
            return list;
        }
        case nlohmann::json::value_t::object:
        case nlohmann::json::value_t::binary: {
            Ref dict(PyDict_New());
            if (value.is_object())
                for (auto it = value.begin(); it != value.end(); ++it)
                    PyDict_SetItemString(dict.get(), it.key().c_str(), to_python(*it).get());
            return dict;
        }
    }
    return Ref::borrowed(Py_None);
}

nlohmann::json to_json(PyObject* value, const std::string& where) {
    if (value == Py_None) return nullptr;
    if (PyBool_Check(value)) return value == Py_True;
    if (PyLong_Check(value)) {
        int overflow = 0;
        long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (overflow == 0) return n;
        return PyLong_AsDouble(value);
    }
    if (PyFloat_Check(value)) {
        double d = PyFloat_AsDouble(value);
        return std::isfinite(d) ? nlohmann::json(d) : nlohmann::json(nullptr);
    }
    if (PyUnicode_Check(value)) {
        Py_ssize_t size = 0;
        const char* text = PyUnicode_AsUTF8AndSize(value, &size);
        if (!text) throw std::invalid_argument(where + ": a string that is not UTF-8");
        return std::string(text, static_cast<std::size_t>(size));
    }
    if (PyDict_Check(value)) {
        nlohmann::json object = nlohmann::json::object();
        PyObject *key = nullptr, *item = nullptr;
        Py_ssize_t position = 0;
        while (PyDict_Next(value, &position, &key, &item)) {
            if (!PyUnicode_Check(key))
                throw std::invalid_argument(where + ": a key of type " + type_name(key) +
                                            " (keys must be strings)");
            std::string name = PyUnicode_AsUTF8(key);
            object[name] = to_json(item, where + "." + name);
        }
        return object;
    }
    if (PyList_Check(value) || PyTuple_Check(value)) {
        nlohmann::json list = nlohmann::json::array();
        Py_ssize_t n = PySequence_Size(value);
        for (Py_ssize_t i = 0; i < n; ++i) {
            Ref item(PySequence_GetItem(value, i));
            list.push_back(to_json(item.get(), where + "[" + std::to_string(i) + "]"));
        }
        return list;
    }
    if (PyObject_HasAttrString(value, "tolist")) {  // numpy arrays and scalars
        Ref plain(PyObject_CallMethod(value, "tolist", nullptr));
        if (!plain) throw std::invalid_argument(where + ": tolist() failed: " + error_text());
        if (plain.get() != value && !PyObject_HasAttrString(plain.get(), "tolist"))
            return to_json(plain.get(), where);
    }
    throw std::invalid_argument(where + ": cannot turn a " + type_name(value) + " into JSON");
}

Detection detection_of(const nlohmann::json& item, int width, int height,
                       const std::string& where) {
    if (!item.is_object()) throw std::invalid_argument(where + ": expected a dict");
    Detection d;
    auto name = item.contains("class") ? item["class"] : item.value("label", nlohmann::json());
    if (name.is_string())
        d.class_name = name.get<std::string>();
    else if (name.is_number())
        d.class_name = name.dump();
    else
        throw std::invalid_argument(where + ": no 'class' or 'label'");
    auto confidence = item.value("confidence", nlohmann::json(1.0));
    if (!confidence.is_number())
        throw std::invalid_argument(where + ": 'confidence' is not a number");
    d.confidence = confidence.get<double>();
    const auto& box = item.contains("bbox") ? item["bbox"] : nlohmann::json();
    if (!box.is_array() || box.size() != 4 ||
        !std::all_of(box.begin(), box.end(), [](const auto& v) { return v.is_number(); }))
        throw std::invalid_argument(where + ": 'bbox' is not [x1, y1, x2, y2]");
    std::array<int, 2> limits{width, height};
    for (std::size_t i = 0; i < 4; ++i) {
        double v = std::round(box[i].get<double>());
        double limit = limits[i % 2] > 0 ? limits[i % 2] : v;
        d.bbox[i] = static_cast<int>(std::clamp(v, 0.0, std::max(limit, 0.0)));
    }
    if (d.bbox[2] < d.bbox[0] || d.bbox[3] < d.bbox[1])
        throw std::invalid_argument(where + ": 'bbox' " + box.dump() + " ends before it starts");
    if (item.contains("keypoints")) {
        const auto& points = item["keypoints"];
        if (!points.is_array()) throw std::invalid_argument(where + ": 'keypoints' is not a list");
        for (const auto& p : points) {
            if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
                throw std::invalid_argument(where + ": a keypoint is not [x, y]");
            d.keypoints.push_back({p[0].get<float>(), p[1].get<float>()});
        }
    }
    if (item.contains("track_id") && item["track_id"].is_number_unsigned())
        d.track_id = item["track_id"].get<std::uint64_t>();
    return d;
}

}  // namespace framehost::python
