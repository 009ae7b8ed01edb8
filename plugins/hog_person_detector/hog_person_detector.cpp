// People by OpenCV's HOG descriptor and its default people SVM (Dalal-Triggs, a 64x128 window):
// no model file. Each detection's confidence is the logistic of the SVM's margin,
// 1 / (1 + e^-weight): 0.5 at the decision boundary, 0.88 at a margin of 2.
#include <algorithm>
#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

#include "image_mat.hpp"

namespace {

using namespace framehost;

struct Settings {
    double hit_threshold = 0;
    int window_stride = 8;
    int padding = 8;
    double scale_step = 1.05;
    int working_width = 0;
    double min_confidence = 0.5;
    int group_threshold = 2;
    double max_overlap = 0.6;
    std::string class_name = "person";
};

class HogPersonDetector final : public Processor {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::hit_threshold, "hit_threshold",
                        "SVM margin a window needs to count as a person (OpenCV's hitThreshold)")
                .range(-10, 10),
            param::bind(&Settings::window_stride, "window_stride",
                        "Pixels between windows, both directions: a multiple of 8 (the "
                        "descriptor's block stride)")
                .range(8, 128),
            param::bind(&Settings::padding, "padding", "Pixels of padding around the image")
                .range(0, 64),
            param::bind(&Settings::scale_step, "scale_step", "Scale factor between pyramid levels")
                .range(1.01, 2),
            param::bind(&Settings::working_width, "working_width",
                        "Downscale frames wider than this before detecting (boxes mapped "
                        "back); 0 detects at full size")
                .range(0, 8192),
            param::bind(&Settings::min_confidence, "min_confidence",
                        "Smallest confidence kept (the logistic of the margin)")
                .range(0, 1),
            param::bind(&Settings::group_threshold, "group_threshold",
                        "Overlapping windows needed to keep a group (OpenCV's finalThreshold); "
                        "0 keeps every window")
                .range(0, 100),
            param::bind(&Settings::max_overlap, "max_overlap",
                        "A box whose overlap with a likelier one is more than this share of "
                        "the smaller box is the same person and dropped (OpenCV's grouping "
                        "leaves nested boxes of two scales); 1 keeps them all")
                .range(0, 1),
            param::bind(&Settings::class_name, "class_name", "Class of the detections"),
        };
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "hog_person_detector", "1.0.0", PluginKind::Processor,
            "People by OpenCV's HOG descriptor and default people SVM (no model file)",
            params().specs(),
            // About 100 ms a 768x576 frame on one core at full size (less on 640x480).
            std::chrono::milliseconds(200)};
        return d;
    }

    HogPersonDetector(const Params& p, PluginContext&) : settings_(params().read(p)) {
        if (settings_.window_stride % 8 != 0)
            throw std::invalid_argument("window_stride must be a multiple of 8, got " +
                                        std::to_string(settings_.window_stride));
        hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
        // The host's workers are the parallelism: OpenCV's own threads would only contend.
        cv::setNumThreads(1);
    }

    void process(Frame& frame) override {
        cv::Mat scratch, scaled;
        // Grey planes as they are (no copy); colour as BGR, the SVM's training colour space.
        bool grey = frame.format == PixelFormat::GRAY8 || frame.format == PixelFormat::NV12 ||
                    frame.format == PixelFormat::I420;
        cv::Mat image =
            grey ? opencv::gray_view(frame.image, scratch) : opencv::bgr_view(frame.image, scratch);
        if (image.empty()) {
            if (frame.image.empty()) return;  // metadata only: nothing to look at
            throw std::runtime_error(std::string("cannot read ") + to_string(frame.format) +
                                     " pixels");
        }
        double factor = 1;
        if (settings_.working_width > 0 && image.cols > settings_.working_width) {
            factor = static_cast<double>(image.cols) / settings_.working_width;
            cv::resize(image, scaled,
                       cv::Size(settings_.working_width,
                                static_cast<int>(std::lround(image.rows / factor))),
                       0, 0, cv::INTER_AREA);
            image = scaled;
        }
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        hog_.detectMultiScale(image, found, weights, settings_.hit_threshold,
                              cv::Size(settings_.window_stride, settings_.window_stride),
                              cv::Size(settings_.padding, settings_.padding), settings_.scale_step,
                              settings_.group_threshold);
        struct Candidate {
            double confidence;
            std::array<int, 4> box;
        };
        std::vector<Candidate> candidates;
        for (std::size_t i = 0; i < found.size(); ++i) {
            double weight = i < weights.size() ? weights[i] : 0;
            double confidence = 1 / (1 + std::exp(-weight));
            if (confidence < settings_.min_confidence) continue;
            cv::Rect box(static_cast<int>(std::lround(found[i].x * factor)),
                         static_cast<int>(std::lround(found[i].y * factor)),
                         static_cast<int>(std::lround(found[i].width * factor)),
                         static_cast<int>(std::lround(found[i].height * factor)));
            auto clamped = opencv::box_of(box, frame.width, frame.height);
            if (clamped[2] <= clamped[0] || clamped[3] <= clamped[1]) continue;
            candidates.push_back({confidence, clamped});
        }
        // Likeliest first; a box mostly inside one already kept is that person again.
        std::stable_sort(
            candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.confidence > b.confidence; });
        std::vector<std::array<int, 4>> kept;
        for (const auto& c : candidates) {
            bool same = std::any_of(kept.begin(), kept.end(), [&](const std::array<int, 4>& k) {
                return overlap_of_smaller(c.box, k) > settings_.max_overlap;
            });
            if (same) continue;
            kept.push_back(c.box);
            frame.detections.push_back({settings_.class_name, c.confidence, c.box});
        }
    }

  private:
    // The intersection as a share of the smaller box's area.
    static double overlap_of_smaller(const std::array<int, 4>& a, const std::array<int, 4>& b) {
        double w = std::max(0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
        double h = std::max(0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
        double smaller = std::min(static_cast<double>(a[2] - a[0]) * (a[3] - a[1]),
                                  static_cast<double>(b[2] - b[0]) * (b[3] - b[1]));
        return smaller > 0 ? w * h / smaller : 0;
    }

    cv::HOGDescriptor hog_;  // detectMultiScale is const: workers share it
    const Settings settings_;
};

}  // namespace

FRAMEHOST_PLUGIN(HogPersonDetector)
