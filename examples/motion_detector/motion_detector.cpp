// motion_detector: compares each frame with the previous frame of the same camera, cell by
// cell, and reports the changed regions as "motion" detections.
//
// The frame is divided into cells of cell_size x cell_size pixels; a cell changed when its mean
// luminance moved by more than `threshold`. Changed cells that touch (4-neighbours) form one
// region, reported as a box in pixels. Working on cell means instead of pixels makes the
// comparison cheap (one pass over the bytes) and insensitive to sensor noise.
//
// It declares ordered_per_camera: the host hands it a camera's frames one at a time, in the
// order the source read them (other cameras in parallel), so "previous" is the frame before.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <framehost/export.hpp>
#include <framehost/param_table.hpp>

namespace {

// Mean luminance of every cell of a frame, row-major.
struct CellGrid {
    int columns = 0;
    int rows = 0;
    std::vector<float> luma;
};

CellGrid summarise(const framehost::Frame& frame, int cell) {
    const framehost::Image& image = frame.image;
    if (image.empty())
        throw std::runtime_error("motion_detector needs pixels; this frame has none");
    const int bpp = framehost::bytes_per_pixel(image.format);
    if (bpp == 0)
        throw std::runtime_error(std::string("motion_detector cannot read pixel format ") +
                                 framehost::to_string(image.format));
    CellGrid grid;
    grid.columns = (frame.width + cell - 1) / cell;
    grid.rows = (frame.height + cell - 1) / cell;
    std::vector<std::uint32_t> sums(static_cast<std::size_t>(grid.columns) * grid.rows, 0);
    std::vector<std::uint32_t> counts(sums.size(), 0);
    const bool three_channels = bpp >= 3;
    for (int y = 0; y < frame.height; ++y) {
        const std::uint8_t* row = image.row(0, y);  // through the stride: rows may be padded
        std::uint32_t* cell_sums = &sums[static_cast<std::size_t>(y / cell) * grid.columns];
        std::uint32_t* cell_counts = &counts[static_cast<std::size_t>(y / cell) * grid.columns];
        for (int x = 0; x < frame.width; ++x) {
            const std::uint8_t* p = row + static_cast<std::size_t>(x) * bpp;
            // Integer luma (BT.601 weights /256); channel order does not matter for motion.
            std::uint32_t l = three_channels ? (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8 : p[0];
            cell_sums[x / cell] += l;
            ++cell_counts[x / cell];
        }
    }
    grid.luma.resize(sums.size());
    for (std::size_t i = 0; i < sums.size(); ++i)
        grid.luma[i] =
            counts[i] ? static_cast<float>(sums[i]) / static_cast<float>(counts[i]) : 0.f;
    return grid;
}

struct Region {
    int min_column, min_row, max_column, max_row;
    int cells = 0;
    double total_change = 0;
};

struct Settings {
    int cell_size = 16;
    double threshold = 20.0;
    int min_cells = 2;
    std::size_t max_regions = 16;
};

class MotionDetector final : public framehost::Processor {
  public:
    static const framehost::ParamTable<Settings>& params() {
        namespace param = framehost::param;
        static const framehost::ParamTable<Settings> table{
            param::bind(&Settings::cell_size, "cell_size",
                        "Side of the square cells compared, in pixels")
                .range(2, 256),
            param::bind(&Settings::threshold, "threshold",
                        "Change of a cell's mean luminance (0-255) that counts as motion")
                .range(1, 255),
            param::bind(&Settings::min_cells, "min_cells", "Smallest region reported, in cells")
                .range(1, 1'000'000),
            param::bind(&Settings::max_regions, "max_regions",
                        "Most regions reported per frame (the largest first)")
                .range(1, 1000),
        };
        return table;
    }

    static const framehost::PluginDescriptor& descriptor() {
        using namespace framehost;
        static const PluginDescriptor d{
            "motion_detector", "1.0.0", PluginKind::Processor,
            "Frame differencing per camera: changed regions become 'motion' boxes",
            params().specs(),
            // One pass over a 640x480 RGB frame plus a 40x30 grid.
            std::chrono::milliseconds(3), Concurrency::OrderedPerCamera};
        return d;
    }

    MotionDetector(const framehost::Params& p, framehost::PluginContext& context)
        : MotionDetector(params().read(p), context) {}
    MotionDetector(const Settings& s, framehost::PluginContext& context)
        : cell_(s.cell_size),
          threshold_(static_cast<float>(s.threshold)),
          min_cells_(s.min_cells),
          max_regions_(s.max_regions),
          name_(context.instance_name()),
          context_(context) {}

    void process(framehost::Frame& frame) override {
        auto grid = std::make_shared<const CellGrid>(summarise(frame, cell_));
        std::shared_ptr<const CellGrid> previous;
        {
            std::lock_guard lock(mutex_);
            auto& slot = last_[frame.camera_id];
            previous = std::exchange(slot, grid);
        }
        if (!previous || previous->columns != grid->columns || previous->rows != grid->rows) {
            frame.results[name_] = {{"motion", false}, {"warming_up", true}};
            return;
        }
        auto regions = changed_regions(*previous, *grid);
        std::size_t changed_cells = 0;
        for (const auto& r : regions) changed_cells += static_cast<std::size_t>(r.cells);
        std::sort(regions.begin(), regions.end(),
                  [](const Region& a, const Region& b) { return a.cells > b.cells; });
        if (regions.size() > max_regions_) regions.resize(max_regions_);
        for (const auto& r : regions) {
            framehost::Detection d;
            d.class_name = "motion";
            // How strong the change is on average: a full swing (255) is 1.
            d.confidence = std::min(1.0, r.total_change / r.cells / 255.0 * 2.0);
            d.bbox = {r.min_column * cell_, r.min_row * cell_,
                      std::min(frame.width, (r.max_column + 1) * cell_),
                      std::min(frame.height, (r.max_row + 1) * cell_)};
            frame.detections.push_back(d);
        }
        double fraction =
            static_cast<double>(changed_cells) / static_cast<double>(grid->luma.size());
        frame.results[name_] = {{"motion", !regions.empty()},
                                {"regions", regions.size()},
                                {"changed_fraction", fraction}};
        if (!regions.empty()) context_.add_to_counter("frames_with_motion", 1);
    }

  private:
    std::vector<Region> changed_regions(const CellGrid& before, const CellGrid& now) const {
        const int columns = now.columns, rows = now.rows;
        std::vector<float> change(now.luma.size());
        for (std::size_t i = 0; i < change.size(); ++i)
            change[i] = std::fabs(now.luma[i] - before.luma[i]);
        std::vector<char> seen(change.size(), 0);
        std::vector<int> stack;
        std::vector<Region> regions;
        for (int start = 0; start < columns * rows; ++start) {
            if (seen[start] || change[start] <= threshold_) continue;
            Region r{start % columns, start / columns, start % columns, start / columns};
            stack.assign(1, start);
            seen[start] = 1;
            while (!stack.empty()) {
                int i = stack.back();
                stack.pop_back();
                int c = i % columns, row = i / columns;
                r.min_column = std::min(r.min_column, c);
                r.max_column = std::max(r.max_column, c);
                r.min_row = std::min(r.min_row, row);
                r.max_row = std::max(r.max_row, row);
                ++r.cells;
                r.total_change += change[i];
                const int neighbours[4][2] = {
                    {c - 1, row}, {c + 1, row}, {c, row - 1}, {c, row + 1}};
                for (const auto& [nc, nr] : neighbours) {
                    if (nc < 0 || nr < 0 || nc >= columns || nr >= rows) continue;
                    int n = nr * columns + nc;
                    if (!seen[n] && change[n] > threshold_) {
                        seen[n] = 1;
                        stack.push_back(n);
                    }
                }
            }
            if (r.cells >= min_cells_) regions.push_back(r);
        }
        return regions;
    }

    const int cell_;
    const float threshold_;
    const int min_cells_;
    const std::size_t max_regions_;
    const std::string name_;
    framehost::PluginContext& context_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const CellGrid>> last_;  // by camera id
};

}  // namespace

FRAMEHOST_PLUGIN(MotionDetector)
