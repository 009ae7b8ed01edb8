#pragma once
// Between framehost's values and Python's: a frame's image as a read-only numpy view of its own
// memory, JSON as dicts and lists, and a processor's answer back as detections and results.
// Every function runs with the GIL held.
#include "interpreter.hpp"

#include <string>

#include <framehost/frame.hpp>
#include <nlohmann/json.hpp>

namespace framehost::python {

// Imports numpy's C API for this copy of the plugin. Throws std::runtime_error.
void import_numpy();

// The image as numpy sees it, without a copy: GRAY8 (h, w); RGB24 and BGR24 (h, w, 3); RGBA and
// BGRA (h, w, 4); NV12 and I420 their luma plane (h, w); encoded bytes a flat array. uint8,
// read-only, the row stride kept; the array keeps the memory alive. None for no image.
Ref image_array(const Image& image);

Ref to_python(const nlohmann::json& value);

// A Python value as JSON: dicts with string keys, lists, tuples, str, bool, int, float, None,
// and anything with tolist() (numpy arrays and scalars). Throws std::invalid_argument naming
// `where` and the type it cannot take.
nlohmann::json to_json(PyObject* value, const std::string& where);

// One item of an answer's `detections`: {"class" or "label", "confidence", "bbox": [x1, y1, x2,
// y2], optionally "keypoints": [[x, y], ...] and "track_id"}; the box is rounded and kept inside
// the frame. Throws std::invalid_argument naming `where`.
Detection detection_of(const nlohmann::json& item, int width, int height, const std::string& where);

}  // namespace framehost::python
