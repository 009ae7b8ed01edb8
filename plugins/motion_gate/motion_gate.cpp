// Lets a frame through only when something moves, so the expensive detectors after it run only
// then. One MOG2 background model per camera (ordered_per_camera: each camera's frames reach it
// one at a time, in order). Moving regions are reported in results.motion_gate either way;
// frames without enough motion are filtered (counted, never delivered).
#include <map>
#include <mutex>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

#include "image_mat.hpp"

namespace {

using namespace framehost;

struct Settings {
    double min_motion_ratio = 0.002;
    int min_area = 400;
    int warmup_frames = 10;
    int history = 200;
    double var_threshold = 16;
    int working_width = 320;
    bool filter = true;
};

class MotionGate final : public Processor {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::min_motion_ratio, "min_motion_ratio",
                        "Share of the picture that must move for the frame to pass")
                .range(0, 1),
            param::bind(&Settings::min_area, "min_area",
                        "Smallest moving region kept, in pixels of the full frame")
                .range(1, 100'000'000),
            param::bind(&Settings::warmup_frames, "warmup_frames",
                        "Frames per camera while the background is learnt: they pass, marked "
                        "warming_up")
                .range(0, 10'000),
            param::bind(&Settings::history, "history", "Frames the background model remembers")
                .range(1, 100'000),
            param::bind(&Settings::var_threshold, "var_threshold",
                        "MOG2's squared distance for a pixel to be foreground")
                .range(1, 1000),
            param::bind(&Settings::working_width, "working_width",
                        "Frames are shrunk to this width before subtraction (regions mapped "
                        "back); 0 full size")
                .range(0, 8192),
            param::bind(&Settings::filter, "filter",
                        "Filter frames without motion; off only reports"),
        };
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "motion_gate", "1.0.0", PluginKind::Processor,
            "Filters frames without motion (MOG2 background subtraction per camera) and reports "
            "the moving regions",
            params().specs(),
            // A 640x480 frame shrunk to 320 wide, on one core.
            std::chrono::milliseconds(3), Concurrency::OrderedPerCamera};
        return d;
    }

    MotionGate(const Params& p, PluginContext& context)
        : context_(context), settings_(params().read(p)) {
        cv::setNumThreads(1);
    }

    void process(Frame& frame) override {
        cv::Mat scratch, small, mask;
        cv::Mat gray = opencv::gray_view(frame.image, scratch);
        if (gray.empty()) {
            if (frame.image.empty()) return;  // metadata only: nothing to judge, it passes
            throw std::runtime_error(std::string("cannot read ") + to_string(frame.format) +
                                     " pixels");
        }
        double factor = 1;
        if (settings_.working_width > 0 && gray.cols > settings_.working_width) {
            factor = static_cast<double>(gray.cols) / settings_.working_width;
            cv::resize(gray, small,
                       cv::Size(settings_.working_width,
                                std::max(1, static_cast<int>(gray.rows / factor))),
                       0, 0, cv::INTER_AREA);
            gray = small;
        }
        Camera& camera = camera_of(frame.camera_id);
        camera.model->apply(gray, mask);
        ++camera.frames;
        // Shadows are marked 127 by MOG2: only full foreground counts.
        cv::threshold(mask, mask, 200, 255, cv::THRESH_BINARY);
        cv::morphologyEx(mask, mask, cv::MORPH_OPEN,
                         cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(3, 3)));
        double ratio =
            static_cast<double>(cv::countNonZero(mask)) / static_cast<double>(mask.total());
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        nlohmann::json regions = nlohmann::json::array();
        double area_scale = factor * factor;
        for (const auto& contour : contours) {
            cv::Rect r = cv::boundingRect(contour);
            if (r.area() * area_scale < settings_.min_area) continue;
            cv::Rect full(static_cast<int>(r.x * factor), static_cast<int>(r.y * factor),
                          static_cast<int>(std::ceil(r.width * factor)),
                          static_cast<int>(std::ceil(r.height * factor)));
            auto box = opencv::box_of(full, frame.width, frame.height);
            regions.push_back({box[0], box[1], box[2], box[3]});
        }
        bool warming = camera.frames <= static_cast<std::uint64_t>(settings_.warmup_frames);
        bool moving = ratio >= settings_.min_motion_ratio && !regions.empty();
        frame.results[context_.instance_name()] = {
            {"motion_ratio", ratio}, {"regions", regions}, {"warming_up", warming}};
        if (settings_.filter && !warming && !moving) frame.filter("no motion");
    }

  private:
    struct Camera {
        cv::Ptr<cv::BackgroundSubtractorMOG2> model;
        std::uint64_t frames = 0;
    };
    // Cameras run in parallel: the map is guarded, each camera's model is touched by one
    // thread at a time (ordered_per_camera).
    Camera& camera_of(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto [it, added] = cameras_.try_emplace(id);
        if (added)
            it->second.model = cv::createBackgroundSubtractorMOG2(settings_.history,
                                                                  settings_.var_threshold, true);
        return it->second;
    }

    PluginContext& context_;
    const Settings settings_;
    std::mutex mutex_;
    std::map<std::string, Camera> cameras_;  // std::map: references stay valid as it grows
};

}  // namespace

FRAMEHOST_PLUGIN(MotionGate)
