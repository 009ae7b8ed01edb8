// The loop a C++ user writes with OpenCV alone: read frames with cv::VideoCapture, find people
// with the default HOG people detector, one thread, the parameters hog_person_detector uses by
// default. Prints frames/s over the loop.
//   hog_loop CLIP FRAMES
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/videoio.hpp>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: hog_loop CLIP FRAMES\n");
        return 2;
    }
    cv::setNumThreads(1);
    cv::VideoCapture capture(argv[1]);
    if (!capture.isOpened()) {
        std::fprintf(stderr, "hog_loop: cannot open %s\n", argv[1]);
        return 1;
    }
    cv::HOGDescriptor hog;
    hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
    int wanted = std::atoi(argv[2]), frames = 0;
    std::size_t people = 0;
    cv::Mat frame;
    auto started = std::chrono::steady_clock::now();
    while (frames < wanted && capture.read(frame)) {
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        hog.detectMultiScale(frame, found, weights, 0, cv::Size(8, 8), cv::Size(8, 8), 1.05, 2);
        people += found.size();
        ++frames;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("%.3f\n", frames / seconds);
    std::fprintf(stderr, "hog_loop: %d frames, %zu people\n", frames, people);
    return frames == wanted ? 0 : 1;
}
