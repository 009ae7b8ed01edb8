// People by OpenCV's HOG descriptor and its default people SVM (Dalal-Triggs, a 64x128 window):
// no model file. Each detection's confidence is the logistic of the SVM's margin,
// 1 / (1 + e^-weight): 0.5 at the decision boundary, 0.88 at a margin of 2.
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <framehost/export.hpp>

#include "image_mat.hpp"

namespace {

using namespace framehost;

class HogPersonDetector final : public Processor {
  public:
    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "hog_person_detector",
            "1.0.0",
            PluginKind::Processor,
            "People by OpenCV's HOG descriptor and default people SVM (no model file)",
            {
                param::Double("hit_threshold", 0,
                              "SVM margin a window needs to count as a person (OpenCV's "
                              "hitThreshold)")
                    .range(-10, 10),
                param::Int("window_stride", 8,
                           "Pixels between windows, both directions: a multiple of 8 (the "
                           "descriptor's block stride)")
                    .range(8, 128),
                param::Int("padding", 8, "Pixels of padding around the image").range(0, 64),
                param::Double("scale_step", 1.05, "Scale factor between pyramid levels")
                    .range(1.01, 2),
                param::Int("working_width", 0,
                           "Downscale frames wider than this before detecting (boxes mapped "
                           "back); 0 detects at full size")
                    .range(0, 8192),
                param::Double("min_confidence", 0.5,
                              "Smallest confidence kept (the logistic of the margin)")
                    .range(0, 1),
                param::Int("group_threshold", 2,
                           "Overlapping windows needed to keep a group (OpenCV's "
                           "finalThreshold); 0 keeps every window")
                    .range(0, 100),
                param::String("class_name", "person", "Class of the detections"),
            },
            // About 100 ms a 768x576 frame on one core at full size (less on 640x480).
            std::chrono::milliseconds(200)};
        return d;
    }

    HogPersonDetector(const Params& p, PluginContext&)
        : hit_threshold_(p.number("hit_threshold")),
          stride_(static_cast<int>(p.integer("window_stride"))),
          padding_(static_cast<int>(p.integer("padding"))),
          scale_(p.number("scale_step")),
          working_width_(static_cast<int>(p.integer("working_width"))),
          min_confidence_(p.number("min_confidence")),
          group_threshold_(static_cast<int>(p.integer("group_threshold"))),
          class_name_(p.string("class_name")) {
        if (stride_ % 8 != 0)
            throw std::invalid_argument("window_stride must be a multiple of 8, got " +
                                        std::to_string(stride_));
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
        if (working_width_ > 0 && image.cols > working_width_) {
            factor = static_cast<double>(image.cols) / working_width_;
            cv::resize(image, scaled,
                       cv::Size(working_width_, static_cast<int>(std::lround(image.rows / factor))),
                       0, 0, cv::INTER_AREA);
            image = scaled;
        }
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        hog_.detectMultiScale(image, found, weights, hit_threshold_, cv::Size(stride_, stride_),
                              cv::Size(padding_, padding_), scale_, group_threshold_);
        for (std::size_t i = 0; i < found.size(); ++i) {
            double weight = i < weights.size() ? weights[i] : 0;
            double confidence = 1 / (1 + std::exp(-weight));
            if (confidence < min_confidence_) continue;
            cv::Rect box(static_cast<int>(std::lround(found[i].x * factor)),
                         static_cast<int>(std::lround(found[i].y * factor)),
                         static_cast<int>(std::lround(found[i].width * factor)),
                         static_cast<int>(std::lround(found[i].height * factor)));
            auto clamped = opencv::box_of(box, frame.width, frame.height);
            if (clamped[2] <= clamped[0] || clamped[3] <= clamped[1]) continue;
            frame.detections.push_back({class_name_, confidence, clamped});
        }
    }

  private:
    cv::HOGDescriptor hog_;  // detectMultiScale is const: workers share it
    double hit_threshold_;
    int stride_;
    int padding_;
    double scale_;
    int working_width_;
    double min_confidence_;
    int group_threshold_;
    std::string class_name_;
};

}  // namespace

FRAMEHOST_PLUGIN(HogPersonDetector)
