// Objects by a Haar or LBP cascade: by name from Debian's opencv-data
// (/usr/share/opencv4/haarcascades, lbpcascades: frontalface_default, fullbody, upperbody,
// russian_plate_number, ...) or by path. A cascade has no confidence: each detection's is the
// share of the neighbours OpenCV grouped into it, min(1, neighbours / (4 * min_neighbours)),
// from detectMultiScale's reject levels.
#include <filesystem>
#include <memory>
#include <mutex>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

#include "image_mat.hpp"
#include "model_file.hpp"

namespace {

using namespace framehost;

const std::vector<std::string> kCascadeFolders = {"/usr/share/opencv4/haarcascades",
                                                  "/usr/share/opencv4/lbpcascades"};

// A name (frontalface_default, lbpcascade_frontalface) or a path, as a file that exists.
std::string find_cascade(const std::string& name) {
    if (name.find('/') != std::string::npos || name.ends_with(".xml")) {
        return opencv::model_file("cascade", name);
    }
    std::vector<std::string> tried;
    for (const auto& folder : kCascadeFolders)
        for (const auto& file :
             {"haarcascade_" + name + ".xml", name + ".xml", "lbpcascade_" + name + ".xml"}) {
            auto path = folder + "/" + file;
            if (std::filesystem::is_regular_file(path)) return path;
            tried.push_back(path);
        }
    throw std::invalid_argument("no cascade named '" + name + "' (looked for " + tried[0] +
                                " and " + std::to_string(tried.size() - 1) +
                                " more; Debian's opencv-data installs them)");
}

struct Settings {
    std::string cascade = "frontalface_default";
    std::string class_name = "face";
    double scale_factor = 1.1;
    int min_neighbors = 5;
    int min_size = 30;
    int max_size = 0;
    bool equalize = true;
};

class CascadeDetector final : public Processor {
  public:
    static const ParamTable<Settings>& params() {
        static const ParamTable<Settings> table{
            param::bind(&Settings::cascade, "cascade",
                        "A cascade of opencv-data by name (frontalface_default, fullbody, "
                        "upperbody, russian_plate_number, ...) or a path to its XML"),
            param::bind(&Settings::class_name, "class_name", "Class of the detections"),
            param::bind(&Settings::scale_factor, "scale_factor",
                        "Scale step between detection passes")
                .range(1.01, 2),
            param::bind(&Settings::min_neighbors, "min_neighbors",
                        "Overlapping hits needed to keep a detection")
                .range(0, 100),
            param::bind(&Settings::min_size, "min_size",
                        "Smallest object, in pixels (width and height)")
                .range(1, 8192),
            param::bind(&Settings::max_size, "max_size", "Largest object, in pixels; 0 no limit")
                .range(0, 16384),
            param::bind(&Settings::equalize, "equalize", "Equalize the histogram before detecting"),
        };
        return table;
    }

    static const PluginDescriptor& descriptor() {
        static const PluginDescriptor d{
            "cascade_detector", "1.0.0", PluginKind::Processor,
            "Faces, bodies, plates... by a Haar or LBP cascade from opencv-data or a path",
            params().specs(),
            // About 30 ms on a 640x480 frame with the defaults, one core.
            std::chrono::milliseconds(100)};
        return d;
    }

    CascadeDetector(const Params& p, PluginContext&)
        : settings_(params().read(p)), path_(find_cascade(settings_.cascade)) {
        release(acquire());    // loads one now: a bad file is refused at start, not per frame
        cv::setNumThreads(1);  // the host's workers are the parallelism
    }

    void process(Frame& frame) override {
        cv::Mat scratch, equalized;
        cv::Mat gray = opencv::gray_view(frame.image, scratch);
        if (gray.empty()) {
            if (frame.image.empty()) return;
            throw std::runtime_error(std::string("cannot read ") + to_string(frame.format) +
                                     " pixels");
        }
        if (settings_.equalize) {
            cv::equalizeHist(gray, equalized);
            gray = equalized;
        }
        std::vector<cv::Rect> found;
        std::vector<int> neighbours;
        auto classifier = acquire();
        try {
            classifier->detectMultiScale(
                gray, found, neighbours, settings_.scale_factor, settings_.min_neighbors, 0,
                cv::Size(settings_.min_size, settings_.min_size),
                settings_.max_size ? cv::Size(settings_.max_size, settings_.max_size) : cv::Size());
        } catch (...) {
            release(std::move(classifier));
            throw;
        }
        release(std::move(classifier));
        for (std::size_t i = 0; i < found.size(); ++i) {
            double share = settings_.min_neighbors > 0 && i < neighbours.size()
                               ? std::min(1.0, neighbours[i] / (4.0 * settings_.min_neighbors))
                               : 1.0;
            frame.detections.push_back(
                {settings_.class_name, share, opencv::box_of(found[i], frame.width, frame.height)});
        }
    }

  private:
    // A CascadeClassifier is not safe to share between threads: each call borrows one from a
    // pool that grows to the number of workers.
    std::unique_ptr<cv::CascadeClassifier> acquire() {
        {
            std::lock_guard lock(mutex_);
            if (!pool_.empty()) {
                auto c = std::move(pool_.back());
                pool_.pop_back();
                return c;
            }
        }
        auto c = std::make_unique<cv::CascadeClassifier>();
        std::string why;
        try {
            if (c->load(path_) && !c->empty()) return c;
        } catch (const cv::Exception& e) {
            why = std::string(": ") + e.err;
        }
        throw std::invalid_argument("'" + path_ + "' is not a cascade OpenCV can load" + why);
    }
    void release(std::unique_ptr<cv::CascadeClassifier> c) {
        std::lock_guard lock(mutex_);
        pool_.push_back(std::move(c));
    }

    const Settings settings_;
    std::string path_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<cv::CascadeClassifier>> pool_;
};

}  // namespace

FRAMEHOST_PLUGIN(CascadeDetector)
