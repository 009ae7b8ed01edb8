// Objects by a detection network the user supplies (ONNX, Darknet cfg + weights, Caffe
// prototxt + caffemodel, TensorFlow), run by OpenCV's DNN module on the CPU. No weights come
// with Debian or with framehost: `model` is a path. The frame is resized to the network's input
// (stretched, or letterboxed as YOLOv5/v8 were trained), scaled and mean-subtracted as the model
// expects, and the outputs are decoded by their layout (output_decoding.hpp), then suppressed
// per class; boxes are mapped back onto the frame.
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>

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

// The model param's own check: a file, and, for a format that needs no description (ONNX), a
// network OpenCV reads, so --check refuses random bytes as the run does. OpenCV's importer logs
// its complaints itself; they are silenced here, the reason is returned.
std::string model_problem(const nlohmann::json& value) {
    if (auto problem = file_problem("model")(value); !problem.empty()) return problem;
    const auto& path = value.get_ref<const std::string&>();
    if (!path.ends_with(".onnx")) return {};
    auto before = cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    std::string problem;
    try {
        if (cv::dnn::readNetFromONNX(path).empty()) problem = "no layers";
    } catch (const cv::Exception& e) {
        problem = e.err;
    }
    cv::utils::logging::setLogLevel(before);
    if (problem.empty()) return {};
    return "model file '" + path + "' is not a network OpenCV can load: " + problem.substr(0, 300);
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

struct Settings {
    std::string model;
    std::string config;
    std::string output = "yolov8";
    int input_width = 640;
    int input_height = 640;
    std::string resize = "stretch";
    double scale = 1.0 / 255;
    std::vector<std::string> mean = {"0", "0", "0"};
    std::string channel_order = "rgb";
    std::string classes_file;
    std::vector<std::string> classes;
    double confidence_threshold = 0.5;
    double nms_threshold = 0.45;
    int max_detections = 100;
    std::string backend = "opencv";
    std::string target = "cpu";
};

class DnnDetector final : public Processor {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::model, "model",
                        "Path to the network: .onnx, Darknet .weights, .caffemodel, TensorFlow .pb")
                .mandatory()
                .check(model_problem),
            param::bind(&Settings::config, "config",
                        "Path to its description when the format has one (Darknet .cfg, Caffe "
                        ".prototxt)")
                .check(file_problem("config")),
            param::bind(&Settings::output, "output",
                        "Layout of the outputs: yolov3 (Darknet through OpenCV), yolov5, yolov8, "
                        "ssd (README)")
                .one_of(dnn::layout_names()),
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
            param::bind(&Settings::classes_file, "classes_file",
                        "One class name per line, line n for class id n; without it, class_<id>")
                .check(file_problem("classes")),
            param::bind(&Settings::classes, "classes",
                        "Keep only detections of these class names; empty keeps all"),
            param::bind(&Settings::confidence_threshold, "confidence_threshold",
                        "Smallest confidence kept")
                .range(0, 1),
            param::bind(&Settings::nms_threshold, "nms_threshold",
                        "Boxes of one class overlapping more than this (IoU) are suppressed but "
                        "the best")
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
            "dnn_detector", "1.0.0", PluginKind::Processor,
            "Objects by a detection network you supply (ONNX, Darknet, Caffe), on OpenCV DNN",
            params().specs(),
            // A small network (YOLOv5n at 640x640) takes about 150 ms on one core.
            std::chrono::milliseconds(1000)};
        return d;
    }

    DnnDetector(const Params& p, PluginContext&) : DnnDetector(params().read(p)) {}

    explicit DnnDetector(const Settings& s)
        : model_(existing_file("model", s.model)),
          config_(s.config.empty() ? "" : existing_file("config", s.config)),
          layout_(dnn::layout_named(s.output)),
          input_(s.input_width, s.input_height),
          letterbox_(s.resize == "letterbox"),
          scale_(s.scale),
          mean_(mean_of(s.mean)),
          swap_rb_(s.channel_order == "rgb"),
          names_(read_class_names(s.classes_file)),
          wanted_(s.classes),
          min_confidence_(static_cast<float>(s.confidence_threshold)),
          nms_threshold_(static_cast<float>(s.nms_threshold)),
          max_detections_(s.max_detections),
          backend_(available_backend(s.backend, s.target)) {
        cv::setNumThreads(1);  // the host's workers are the parallelism
        // One network loaded and run now on a blank input: a file OpenCV cannot read, an input
        // size the network refuses, or outputs that are not in the layout are refused at start.
        auto net = acquire();
        std::vector<cv::Mat> outputs;
        try {
            forward(*net, cv::Mat(input_, CV_8UC3, cv::Scalar::all(0)), outputs);
        } catch (const cv::Exception& e) {
            throw std::invalid_argument("'" + model_ + "' does not run on a " +
                                        std::to_string(input_.width) + "x" +
                                        std::to_string(input_.height) + " input: " + e.err);
        }
        try {
            int classes = dnn::class_count(layout_, outputs);
            if (classes >= 0 && !names_.empty() && classes != static_cast<int>(names_.size()))
                throw std::runtime_error("the model scores " + std::to_string(classes) +
                                         " classes, classes_file names " +
                                         std::to_string(names_.size()));
        } catch (const std::runtime_error& e) {
            throw std::invalid_argument("'" + model_ + "': " + e.what());
        }
        release(std::move(net));
    }

    void process(Frame& frame) override {
        cv::Mat scratch;
        cv::Mat bgr = opencv::bgr_view(frame.image, scratch);
        if (bgr.empty()) {
            if (frame.image.empty()) return;
            throw std::runtime_error(std::string("cannot read ") + to_string(frame.format) +
                                     " pixels");
        }
        // Input pixels to frame pixels: x_frame = (x_input - offset) / ratio.
        cv::Point2f ratio(static_cast<float>(input_.width) / bgr.cols,
                          static_cast<float>(input_.height) / bgr.rows);
        cv::Point2f offset(0, 0);
        cv::Mat resized = bgr;
        if (letterbox_) {
            float r = std::min(ratio.x, ratio.y);
            cv::Size inner(std::max(1, cvRound(bgr.cols * r)), std::max(1, cvRound(bgr.rows * r)));
            resized = cv::Mat(input_, CV_8UC3, cv::Scalar::all(114));
            offset = {static_cast<float>((input_.width - inner.width) / 2),
                      static_cast<float>((input_.height - inner.height) / 2)};
            cv::resize(
                bgr,
                resized(cv::Rect(cvRound(offset.x), cvRound(offset.y), inner.width, inner.height)),
                inner, 0, 0, cv::INTER_LINEAR);
            ratio = {r, r};
        }
        std::vector<cv::Mat> outputs;
        auto net = acquire();
        try {
            forward(*net, resized, outputs);
        } catch (...) {
            release(std::move(net));
            throw;
        }
        release(std::move(net));
        auto kept = dnn::suppress(dnn::decode(layout_, outputs, input_, min_confidence_),
                                  nms_threshold_, max_detections_);
        for (const auto& c : kept) {
            std::string name = class_name(c.class_id);
            if (!wanted_.empty() &&
                std::find(wanted_.begin(), wanted_.end(), name) == wanted_.end())
                continue;
            cv::Rect box(cvRound((c.box.x - offset.x) / ratio.x),
                         cvRound((c.box.y - offset.y) / ratio.y), cvRound(c.box.width / ratio.x),
                         cvRound(c.box.height / ratio.y));
            frame.detections.push_back({std::move(name), std::clamp(c.confidence, 0.0f, 1.0f),
                                        opencv::box_of(box, frame.width, frame.height)});
        }
    }

  private:
    std::string class_name(int id) const {
        if (id >= 0 && id < static_cast<int>(names_.size())) return names_[id];
        return "class_" + std::to_string(id);
    }

    void forward(cv::dnn::Net& net, const cv::Mat& image, std::vector<cv::Mat>& outputs) const {
        // blobFromImage stretches to the input size (a letterboxed image already has it).
        net.setInput(cv::dnn::blobFromImage(image, scale_, input_, mean_, swap_rb_, false));
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
    dnn::OutputLayout layout_;
    cv::Size input_;
    bool letterbox_;
    double scale_;
    cv::Scalar mean_;
    bool swap_rb_;
    std::vector<std::string> names_;
    std::vector<std::string> wanted_;
    float min_confidence_;
    float nms_threshold_;
    int max_detections_;
    std::pair<int, int> backend_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<cv::dnn::Net>> pool_;
};

}  // namespace

FRAMEHOST_PLUGIN(DnnDetector)
