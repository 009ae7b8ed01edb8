// Objects or faces by a detection network (ONNX, Darknet cfg + weights, Caffe prototxt +
// caffemodel, TensorFlow), run by OpenCV's DNN module on the CPU. What the network takes and
// gives is a description (network_description.hpp): a preset, any part of it replaced by the
// config. The frame is resized to the input (stretched, or letterboxed), made the input tensor
// (channels first or last, scaled and mean-subtracted), and the outputs are read as described
// (output_decoding.hpp), then suppressed per class; boxes and keypoints are mapped back onto the
// frame.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

#include "image_mat.hpp"
#include "model_file.hpp"
#include "output_decoding.hpp"

namespace {

using namespace framehost;

struct NamedValue {
    const char* name;
    int value;
};
const std::vector<NamedValue> kBackends = {
    {"opencv", cv::dnn::DNN_BACKEND_OPENCV},
    {"inference_engine", cv::dnn::DNN_BACKEND_INFERENCE_ENGINE},
    {"halide", cv::dnn::DNN_BACKEND_HALIDE},
    {"vkcom", cv::dnn::DNN_BACKEND_VKCOM},
    {"cuda", cv::dnn::DNN_BACKEND_CUDA},
    {"webnn", cv::dnn::DNN_BACKEND_WEBNN},
    {"timvx", cv::dnn::DNN_BACKEND_TIMVX},
};
const std::vector<NamedValue> kTargets = {
    {"cpu", cv::dnn::DNN_TARGET_CPU},
    {"opencl", cv::dnn::DNN_TARGET_OPENCL},
    {"opencl_fp16", cv::dnn::DNN_TARGET_OPENCL_FP16},
    {"myriad", cv::dnn::DNN_TARGET_MYRIAD},
    {"vulkan", cv::dnn::DNN_TARGET_VULKAN},
    {"fpga", cv::dnn::DNN_TARGET_FPGA},
    {"cuda", cv::dnn::DNN_TARGET_CUDA},
    {"cuda_fp16", cv::dnn::DNN_TARGET_CUDA_FP16},
    {"hddl", cv::dnn::DNN_TARGET_HDDL},
    {"npu", cv::dnn::DNN_TARGET_NPU},
};

std::vector<std::string> names_of(const std::vector<NamedValue>& table) {
    std::vector<std::string> names;
    for (const auto& entry : table) names.emplace_back(entry.name);
    return names;
}
int value_named(const std::vector<NamedValue>& table, const std::string& name) {
    for (const auto& entry : table)
        if (name == entry.name) return entry.value;
    throw std::logic_error("value_named: " + name);  // the spec's one_of keeps others out
}
std::string name_of(const std::vector<NamedValue>& table, int value) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    return std::to_string(value);
}

// The backend and target asked for, refused with what this OpenCV offers when it lacks them
// (Debian builds the OpenCV backend for the CPU, and OpenCL when a driver is there).
std::pair<int, int> available_backend(const std::string& backend, const std::string& target) {
    int b = value_named(kBackends, backend), t = value_named(kTargets, target);
    std::string offered;
    for (const auto& [ab, at] : cv::dnn::getAvailableBackends()) {
        if (ab == b && at == t) return {b, t};
        offered +=
            (offered.empty() ? "" : ", ") + name_of(kBackends, ab) + "/" + name_of(kTargets, at);
    }
    throw std::invalid_argument("backend " + backend + " with target " + target +
                                " is not in this OpenCV build (it offers " + offered + ")");
}

std::string existing_file(const std::string& what, const std::string& path) {
    return opencv::model_file(what, path);
}

// The params' own check (run by --check too): what the path is, before the network is read.
std::function<std::string(const nlohmann::json&)> file_problem(std::string what) {
    return [what](const nlohmann::json& value) -> std::string {
        const auto& path = value.get_ref<const std::string&>();
        if (path.empty()) return {};
        try {
            opencv::model_file(what, path);
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return {};
    };
}

// What OpenCV makes of a network file read alone, with its importer's own logging silenced:
// empty when it reads, else its reason.
std::string read_problem(const std::function<cv::dnn::Net()>& read) {
    auto before = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    std::string problem;
    try {
        if (read().empty()) problem = "no layers";
    } catch (const cv::Exception& e) {
        problem = e.err;
    }
    cv::utils::logging::setLogLevel(before);
    return problem.substr(0, 300);
}

std::string extension_of(const std::string& path) {
    auto ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

// A Darknet .weights file begins with its format's version, three int32 (0.2.0 for YOLO's).
std::string darknet_weights_problem(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::int32_t version[3] = {};
    if (!in.read(reinterpret_cast<char*>(version), sizeof version))
        return "shorter than a Darknet weights header";
    for (auto v : version)
        if (v < 0 || v > 1000)
            return "does not begin as Darknet weights do (a version such as 0.2.0; it says " +
                   std::to_string(version[0]) + "." + std::to_string(version[1]) + "." +
                   std::to_string(version[2]) + ")";
    return {};
}

// The model param's own check, run by --check as by the run: a file, of a format OpenCV reads,
// whose contents it reads. Formats that read alone (ONNX, TensorFlow, Torch) are read; a Caffe
// model is parsed against an empty description; Darknet weights, raw numbers, have their
// header checked (their description, the config param, is read by its own check).
std::string model_problem(const nlohmann::json& value) {
    if (auto problem = file_problem("model")(value); !problem.empty()) return problem;
    const auto& path = value.get_ref<const std::string&>();
    if (path.empty()) return {};  // a preset's own file
    auto ext = extension_of(path);
    std::string problem;
    if (ext == ".onnx" || ext == ".pb" || ext == ".t7" || ext == ".net") {
        problem = read_problem([&] { return cv::dnn::readNet(path); });
    } else if (ext == ".caffemodel") {
        static const std::string kEmptyDescription = "name: \"check\"\n";
        problem = read_problem([&] {
            std::ifstream in(path, std::ios::binary);
            std::vector<uchar> model((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
            std::vector<uchar> description(kEmptyDescription.begin(), kEmptyDescription.end());
            cv::dnn::readNetFromCaffe(description, model);
            return cv::dnn::Net();
        });
        if (problem == "no layers") problem.clear();  // an empty description has none
    } else if (ext == ".weights") {
        problem = darknet_weights_problem(path);
    } else {
        return "model file '" + path + "' is of no format OpenCV reads (.onnx, .pb, .t7, .net, " +
               ".caffemodel with a .prototxt config, .weights with a .cfg config)";
    }
    if (problem.empty()) return {};
    return "model file '" + path + "' is not a network OpenCV can load: " + problem;
}

// The config param's own check: a description OpenCV reads (Caffe .prototxt, Darknet .cfg).
std::string config_problem(const nlohmann::json& value) {
    if (auto problem = file_problem("config")(value); !problem.empty()) return problem;
    const auto& path = value.get_ref<const std::string&>();
    if (path.empty()) return {};
    auto ext = extension_of(path);
    std::string problem;
    if (ext == ".prototxt")
        problem = read_problem([&] { return cv::dnn::readNetFromCaffe(path); });
    else if (ext == ".cfg")
        problem = read_problem([&] { return cv::dnn::readNetFromDarknet(path); });
    else if (ext != ".pbtxt" && ext != ".xml")
        return "config file '" + path + "' is of no description format OpenCV reads (.prototxt, " +
               ".cfg, .pbtxt)";
    if (problem.empty() || problem == "no layers") return {};
    return "config file '" + path + "' is not a description OpenCV can read: " + problem;
}

// One name per line (coco.names, voc.names...); the line number is the class id.
std::vector<std::string> read_class_names(const std::string& path) {
    std::vector<std::string> names;
    if (path.empty()) return names;
    std::ifstream in(existing_file("classes", path));
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        names.push_back(line);
    }
    while (!names.empty() && names.back().empty()) names.pop_back();
    if (names.empty()) throw std::invalid_argument("classes file '" + path + "' names no class");
    return names;
}

cv::Scalar mean_of(const std::vector<std::string>& items) {
    cv::Scalar mean;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& item = items[std::min(i, items.size() - 1)];
        std::size_t used = 0;
        try {
            mean[static_cast<int>(i)] = std::stod(item, &used);
        } catch (const std::exception&) {
        }
        if (used == 0 || used != item.size())
            throw std::invalid_argument("mean: '" + item + "' is not a number");
    }
    return mean;
}

// A list param of whole numbers, each at least 1.
std::string positive_integers_problem(const nlohmann::json& value) {
    if (value.is_null()) return {};
    for (const auto& item : value) {
        const auto& text = item.get_ref<const std::string&>();
        if (text.empty() || text.size() > 6 ||
            text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) < 1)
            return "'" + text + "' is not a whole number of at least 1";
    }
    return {};
}
std::vector<int> integers_of(const std::vector<std::string>& items) {
    std::vector<int> out;
    for (const auto& item : items) out.push_back(std::stoi(item));
    return out;
}

// Where the presets' model files are: the repository's models/ folder, which scripts/models
// fills (scripts/install-deps runs it).
const std::string kModelsDir = FRAMEHOST_MODELS_DIR;

struct Settings {
    std::string model;
    std::string models_dir;
    std::string config;
    std::string preset = "yolov8";
    // The network's description: each part left out is the preset's.
    std::optional<std::string> input_layout;
    std::optional<int> input_width;
    std::optional<int> input_height;
    std::optional<std::string> resize;
    std::optional<double> scale;
    std::optional<std::vector<std::string>> mean;
    std::optional<std::string> channel_order;
    std::optional<bool> values_first;
    std::optional<std::vector<std::string>> boxes_from;
    std::optional<int> box_column;
    std::optional<std::string> box_format;
    std::optional<std::string> box_units;
    std::optional<int> keypoints;
    std::optional<int> keypoints_column;
    std::optional<std::vector<std::string>> scores_from;
    std::optional<int> score_column;
    std::optional<int> score_count;
    std::optional<std::string> score_kind;
    std::optional<int> objectness_column;
    std::optional<int> class_id_column;
    std::optional<std::vector<std::string>> anchor_strides;
    std::optional<std::vector<std::string>> anchors_per_cell;
    std::optional<double> anchor_offset;
    std::string classes_file;
    std::vector<std::string> classes;
    std::optional<double> confidence_threshold;
    std::optional<double> nms_threshold;
    int max_detections = 100;
    std::string backend = "opencv";
    std::string target = "cpu";
};

// The preset named by the settings, with each part the settings give put in its place.
dnn::Preset described(const Settings& s) {
    dnn::Preset p = dnn::preset_named(s.preset);
    auto& in = p.input;
    auto& out = p.output;
    if (s.input_layout) in.channels_last = *s.input_layout == "nhwc";
    if (s.input_width) in.size.width = *s.input_width;
    if (s.input_height) in.size.height = *s.input_height;
    if (s.resize) in.letterbox = *s.resize == "letterbox";
    if (s.scale) in.scale = *s.scale;
    if (s.mean) in.mean = mean_of(*s.mean);
    if (s.channel_order) in.rgb = *s.channel_order == "rgb";
    if (s.values_first) out.values_first = *s.values_first;
    if (s.boxes_from) out.boxes_from = *s.boxes_from;
    if (s.box_column) out.box_column = *s.box_column;
    if (s.box_format) out.box_corners = *s.box_format == "corners";
    if (s.box_units) out.box_fractions = *s.box_units == "fractions";
    if (s.keypoints) out.keypoints = *s.keypoints;
    if (s.keypoints_column) out.keypoints_column = *s.keypoints_column;
    if (s.scores_from) out.scores_from = *s.scores_from;
    if (s.score_column) out.score_column = *s.score_column;
    if (s.score_count) out.score_count = *s.score_count;
    if (s.score_kind) out.score_logits = *s.score_kind == "logits";
    if (s.objectness_column) out.objectness_column = *s.objectness_column;
    if (s.class_id_column) out.class_id_column = *s.class_id_column;
    if (s.anchor_strides) out.anchors.strides = integers_of(*s.anchor_strides);
    if (s.anchors_per_cell) out.anchors.per_cell = integers_of(*s.anchors_per_cell);
    if (s.anchor_offset) out.anchors.offset = *s.anchor_offset;
    if (s.confidence_threshold) p.confidence_threshold = *s.confidence_threshold;
    if (s.nms_threshold) p.nms_threshold = *s.nms_threshold;
    if (!out.anchors.strides.empty() && out.anchors.per_cell.size() != 1 &&
        out.anchors.per_cell.size() != out.anchors.strides.size())
        throw std::invalid_argument(
            "anchors_per_cell: give one count for every stride of anchor_strides (" +
            std::to_string(out.anchors.strides.size()) + "), or one for all");
    if (!s.model.empty()) {
        p.model = s.model;
    } else if (p.model.empty()) {
        throw std::invalid_argument("model: required with preset " + s.preset +
                                    " (only the BlazeFace presets bring their own)");
    } else {
        auto file = (s.models_dir.empty() ? kModelsDir : s.models_dir) + "/" + p.model;
        if (!std::filesystem::exists(file))
            throw std::invalid_argument("model: preset " + s.preset + " uses '" + file +
                                        "', which is not there: scripts/models fetches it "
                                        "(scripts/install-deps runs it)");
        p.model = file;
    }
    return p;
}

class DnnDetector final : public Processor {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::model, "model",
                        "Path to the network: .onnx, Darknet .weights, .caffemodel, TensorFlow "
                        ".pb; with a BlazeFace preset, its file in models/ when left out")
                .check(model_problem),
            param::bind(&Settings::models_dir, "models_dir",
                        "Folder of the presets' model files, as scripts/models lays it out; empty: "
                        "the models/ folder of the tree framehost was built from"),
            param::bind(&Settings::config, "config",
                        "Path to its description when the format has one (Darknet .cfg, Caffe "
                        ".prototxt)")
                .check(config_problem),
            param::bind(&Settings::preset, "preset",
                        "The network's input and outputs as a known family gives them (README); "
                        "each parameter below left out is the preset's")
                .one_of(dnn::preset_names()),
            param::bind(&Settings::input_layout, "input_layout",
                        "nchw ([1, 3, H, W]) or nhwc ([1, H, W, 3], TensorFlow exports)")
                .one_of({"nchw", "nhwc"}),
            param::bind(&Settings::input_width, "input_width", "Network input width, pixels")
                .range(1, 8192),
            param::bind(&Settings::input_height, "input_height", "Network input height, pixels")
                .range(1, 8192),
            param::bind(&Settings::resize, "resize",
                        "Frame to input: stretch, or letterbox (aspect kept, grey bars, as "
                        "YOLOv5/v8 were trained)")
                .one_of({"stretch", "letterbox"}),
            param::bind(&Settings::scale, "scale", "Multiplies each pixel value after the mean")
                .range(1e-9, 1e6),
            param::bind(&Settings::mean, "mean",
                        "Subtracted from each channel before scaling, in the network's channel "
                        "order; one value for all three")
                .range(1, 3),
            param::bind(&Settings::channel_order, "channel_order",
                        "Channel order the network expects")
                .one_of({"rgb", "bgr"}),
            param::bind(&Settings::values_first, "values_first",
                        "Outputs are [values, candidates] (YOLOv8) instead of [candidates, "
                        "values]"),
            param::bind(&Settings::boxes_from, "boxes_from",
                        "Outputs holding the boxes (names or indices), stacked row after row; "
                        "empty: all"),
            param::bind(&Settings::box_column, "box_column",
                        "Where in a row the four box values start")
                .range(0, 100000),
            param::bind(&Settings::box_format, "box_format",
                        "center_size (cx, cy, w, h) or corners (x1, y1, x2, y2)")
                .one_of({"center_size", "corners"}),
            param::bind(&Settings::box_units, "box_units",
                        "Boxes and keypoints in pixels or fractions of the network's input")
                .one_of({"pixels", "fractions"}),
            param::bind(&Settings::keypoints, "keypoints",
                        "Keypoints (x, y) each box row carries; 0: none")
                .range(0, 1000),
            param::bind(&Settings::keypoints_column, "keypoints_column",
                        "Where in a box row the keypoints start")
                .range(0, 100000),
            param::bind(&Settings::scores_from, "scores_from",
                        "Outputs holding the scores (names or indices), stacked; empty: all"),
            param::bind(&Settings::score_column, "score_column",
                        "Where in a row the class scores start (the score, with class_id_column)")
                .range(0, 100000),
            param::bind(&Settings::score_count, "score_count",
                        "Classes scored; 0: to the end of the row")
                .range(0, 100000),
            param::bind(&Settings::score_kind, "score_kind",
                        "probabilities, or logits (a sigmoid makes them probabilities)")
                .one_of({"probabilities", "logits"}),
            param::bind(&Settings::objectness_column, "objectness_column",
                        "Where in a score row the objectness is, multiplying the class score; "
                        "-1: none")
                .range(-1, 100000),
            param::bind(&Settings::class_id_column, "class_id_column",
                        "Where in a score row the class id is, as a value (SSD); -1: the best "
                        "score's position is the class")
                .range(-1, 100000),
            param::bind(&Settings::anchor_strides, "anchor_strides",
                        "Boxes are offsets from SSD anchors: one grid of input/stride cells per "
                        "stride (MediaPipe's)")
                .check(positive_integers_problem),
            param::bind(&Settings::anchors_per_cell, "anchors_per_cell",
                        "Anchors in each cell, per stride (or one count for all)")
                .check(positive_integers_problem),
            param::bind(&Settings::anchor_offset, "anchor_offset",
                        "Anchor centre within its cell, 0..1")
                .range(0, 1),
            param::bind(&Settings::classes_file, "classes_file",
                        "One class name per line, line n for class id n; without it, the "
                        "preset's names (face) or class_<id>")
                .check(file_problem("classes")),
            param::bind(&Settings::classes, "classes",
                        "Keep only detections of these class names; empty keeps all"),
            param::bind(&Settings::confidence_threshold, "confidence_threshold",
                        "Smallest confidence kept (0.5; BlazeFace's 0.75)")
                .range(0, 1),
            param::bind(&Settings::nms_threshold, "nms_threshold",
                        "Boxes of one class overlapping more than this (IoU) are suppressed but "
                        "the best (0.45; BlazeFace's 0.3)")
                .range(0, 1),
            param::bind(&Settings::max_detections, "max_detections",
                        "Most detections kept per frame, best first")
                .range(1, 100000),
            param::bind(&Settings::backend, "backend",
                        "OpenCV DNN backend; one this OpenCV lacks is refused at start")
                .one_of(names_of(kBackends)),
            param::bind(&Settings::target, "target", "OpenCV DNN target device")
                .one_of(names_of(kTargets)),
        };
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "dnn_detector", "1.1.0", PluginKind::Processor,
            "Objects or faces by a detection network (ONNX, Darknet, Caffe) on OpenCV DNN, "
            "described by a preset or the config",
            params().specs(),
            // A small network (YOLOv5n at 640x640) takes about 150 ms on one core.
            std::chrono::milliseconds(1000)};
        return d;
    }

    DnnDetector(const Params& p, PluginContext&) : DnnDetector(params().read(p)) {}

    explicit DnnDetector(const Settings& s) : DnnDetector(s, described(s)) {}

    DnnDetector(const Settings& s, const dnn::Preset& network)
        : model_(existing_file("model", network.model)),
          config_(s.config.empty() ? "" : existing_file("config", s.config)),
          input_(network.input),
          names_(s.classes_file.empty() ? network.class_names : read_class_names(s.classes_file)),
          wanted_(s.classes),
          min_confidence_(static_cast<float>(network.confidence_threshold)),
          nms_threshold_(static_cast<float>(network.nms_threshold)),
          max_detections_(s.max_detections),
          backend_(available_backend(s.backend, s.target)) {
        cv::setNumThreads(1);  // the host's workers are the parallelism
        // One network loaded and run now on a blank input: a file OpenCV cannot read, an input
        // size or layout the network refuses, or outputs the description does not fit are
        // refused at start.
        auto net = acquire();
        std::vector<cv::Mat> outputs;
        auto size = std::to_string(input_.size.width) + "x" + std::to_string(input_.size.height);
        try {
            forward(*net, cv::Mat(input_.size, CV_8UC3, cv::Scalar::all(0)), outputs);
        } catch (const cv::Exception& e) {
            throw std::invalid_argument(
                "'" + model_ + "' does not run on a " + size + " " +
                (input_.channels_last ? "nhwc ([1, H, W, 3])" : "nchw ([1, 3, H, W])") +
                " input: " + e.err);
        }
        try {
            reader_.emplace(network.output, input_.size, net->getUnconnectedOutLayersNames(),
                            outputs);
            int classes = reader_->class_count();
            if (classes >= 0 && !s.classes_file.empty() &&
                classes != static_cast<int>(names_.size()))
                throw std::runtime_error("the model scores " + std::to_string(classes) +
                                         " classes, classes_file names " +
                                         std::to_string(names_.size()));
        } catch (const std::runtime_error& e) {
            throw std::invalid_argument("'" + model_ + "' (preset " + s.preset + "): " + e.what());
        }
        release(std::move(net));
    }

    void process(Frame& frame) override {
        if (frame.image.empty()) return;
        // The frame goes straight to the network's size: only the small picture is converted
        // to BGR (opencv::resize_to_bgr). Input pixels to frame pixels: x_frame = (x_input -
        // offset) / ratio.
        const cv::Size input = input_.size;
        const cv::Size whole(frame.image.width, frame.image.height);
        cv::Point2f ratio(static_cast<float>(input.width) / static_cast<float>(whole.width),
                          static_cast<float>(input.height) / static_cast<float>(whole.height));
        cv::Point2f offset(0, 0);
        cv::Mat resized(input, CV_8UC3, cv::Scalar::all(114));
        cv::Mat inside = resized;
        if (input_.letterbox) {
            float r = std::min(ratio.x, ratio.y);
            cv::Size inner(std::max(1, cvRound(static_cast<float>(whole.width) * r)),
                           std::max(1, cvRound(static_cast<float>(whole.height) * r)));
            offset = {static_cast<float>((input.width - inner.width) / 2),
                      static_cast<float>((input.height - inner.height) / 2)};
            inside =
                resized(cv::Rect(cvRound(offset.x), cvRound(offset.y), inner.width, inner.height));
            ratio = {r, r};
        }
        if (!opencv::resize_to_bgr(frame.image, inside))
            throw std::runtime_error(std::string("cannot read ") + to_string(frame.format) +
                                     " pixels");
        std::vector<cv::Mat> outputs;
        auto net = acquire();
        try {
            forward(*net, resized, outputs);
        } catch (...) {
            release(std::move(net));
            throw;
        }
        // The outputs are the Net's own buffers: decoded before it goes back to the pool.
        auto candidates = reader_->decode(outputs, min_confidence_);
        release(std::move(net));
        auto kept = dnn::suppress(candidates, nms_threshold_, max_detections_);
        auto to_frame = [&](cv::Point2f p) {
            return std::array<float, 2>{
                std::clamp((p.x - offset.x) / ratio.x, 0.0f, static_cast<float>(frame.width)),
                std::clamp((p.y - offset.y) / ratio.y, 0.0f, static_cast<float>(frame.height))};
        };
        for (const auto& c : kept) {
            std::string name = class_name(c.class_id);
            if (!wanted_.empty() &&
                std::find(wanted_.begin(), wanted_.end(), name) == wanted_.end())
                continue;
            cv::Rect box(cvRound((c.box.x - offset.x) / ratio.x),
                         cvRound((c.box.y - offset.y) / ratio.y), cvRound(c.box.width / ratio.x),
                         cvRound(c.box.height / ratio.y));
            Detection d(std::move(name), std::clamp(c.confidence, 0.0f, 1.0f),
                        opencv::box_of(box, frame.width, frame.height));
            for (const auto& k : c.keypoints) d.keypoints.push_back(to_frame(k));
            frame.detections.push_back(std::move(d));
        }
    }

  private:
    std::string class_name(int id) const {
        if (id >= 0 && id < static_cast<int>(names_.size())) return names_[id];
        return "class_" + std::to_string(id);
    }

    // The input tensor: (pixel - mean) * scale in the network's channel order, [1, 3, H, W] or
    // [1, H, W, 3]. `image` is BGR, the input's size when letterboxed.
    cv::Mat blob_of(const cv::Mat& image) const {
        if (!input_.channels_last)
            // blobFromImage stretches to the input size itself.
            return cv::dnn::blobFromImage(image, input_.scale, input_.size, input_.mean, input_.rgb,
                                          false);
        cv::Mat sized = image;
        if (image.size() != input_.size) cv::resize(image, sized, input_.size);
        cv::Mat ordered = sized;
        if (input_.rgb) cv::cvtColor(sized, ordered, cv::COLOR_BGR2RGB);
        const int dims[] = {1, input_.size.height, input_.size.width, 3};
        cv::Mat blob(4, dims, CV_32F);
        // A 3-channel view of the blob's own buffer: the conversion writes straight into it.
        cv::Mat pixels(input_.size, CV_32FC3, blob.data);
        ordered.convertTo(pixels, CV_32F);
        cv::subtract(pixels, input_.mean, pixels);
        pixels *= input_.scale;
        return blob;
    }

    void forward(cv::dnn::Net& net, const cv::Mat& image, std::vector<cv::Mat>& outputs) const {
        net.setInput(blob_of(image));
        net.forward(outputs, net.getUnconnectedOutLayersNames());
    }

    // A Net keeps its layers' buffers between calls and is not safe to share between threads:
    // each call borrows one from a pool that grows to the number of workers.
    std::unique_ptr<cv::dnn::Net> acquire() {
        {
            std::lock_guard lock(mutex_);
            if (!pool_.empty()) {
                auto n = std::move(pool_.back());
                pool_.pop_back();
                return n;
            }
        }
        std::unique_ptr<cv::dnn::Net> net;
        std::string why;
        try {
            net = std::make_unique<cv::dnn::Net>(cv::dnn::readNet(model_, config_));
        } catch (const cv::Exception& e) {
            why = ": " + e.err;
        }
        if (!net || net->empty())
            throw std::invalid_argument("'" + model_ + "' is not a network OpenCV can load" + why);
        net->setPreferableBackend(backend_.first);
        net->setPreferableTarget(backend_.second);
        return net;
    }
    void release(std::unique_ptr<cv::dnn::Net> net) {
        std::lock_guard lock(mutex_);
        pool_.push_back(std::move(net));
    }

    std::string model_;
    std::string config_;
    dnn::InputDescription input_;
    std::vector<std::string> names_;
    std::vector<std::string> wanted_;
    float min_confidence_;
    float nms_threshold_;
    int max_detections_;
    std::pair<int, int> backend_;
    std::optional<dnn::OutputReader> reader_;  // set in the constructor, read-only after
    std::mutex mutex_;
    std::vector<std::unique_ptr<cv::dnn::Net>> pool_;
};

}  // namespace

FRAMEHOST_PLUGIN(DnnDetector)
