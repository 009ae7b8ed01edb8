"""People by OpenCV's HOG descriptor in Python (Debian's python3-opencv): the same detector,
parameters and box rules as the C++ hog_person_detector plugin, so the two give the same boxes.
Also the bench's "plain Python loop" workload (bench/python_bench.cpp)."""
import math

import cv2

TO_BGR = {"RGB": cv2.COLOR_RGB2BGR, "RGBA": cv2.COLOR_RGBA2BGR, "BGRA": cv2.COLOR_BGRA2BGR}


class HogPeople:
    def __init__(self, hit_threshold=0.0, window_stride=8, padding=8, scale_step=1.05,
                 min_confidence=0.5, group_threshold=2, max_overlap=0.6, class_name="person"):
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        # One thread, as the C++ plugin: the host's workers (or processes) are the parallelism.
        cv2.setNumThreads(1)
        self.hit_threshold = hit_threshold
        self.window = (window_stride, window_stride)
        self.padding = (padding, padding)
        self.scale_step = scale_step
        self.min_confidence = min_confidence
        self.group_threshold = group_threshold
        self.max_overlap = max_overlap
        self.class_name = class_name

    def detect(self, image):
        """Boxes [x1, y1, x2, y2] with their confidence, likeliest first, for a BGR or grey
        image."""
        height, width = image.shape[:2]
        found, weights = self.hog.detectMultiScale(
            image, hitThreshold=self.hit_threshold, winStride=self.window, padding=self.padding,
            scale=self.scale_step, groupThreshold=self.group_threshold)
        candidates = []
        for (x, y, w, h), weight in zip(found, weights.ravel() if len(weights) else []):
            confidence = 1 / (1 + math.exp(-float(weight)))
            if confidence < self.min_confidence:
                continue
            box = [max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)]
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            candidates.append((confidence, [int(v) for v in box]))
        candidates.sort(key=lambda c: -c[0])  # stable, as the plugin's stable_sort
        kept = []
        for confidence, box in candidates:
            if any(overlap_of_smaller(box, k) > self.max_overlap for _, k in kept):
                continue
            kept.append((confidence, box))
        return kept

    def process_frame(self, frame, metadata):
        if frame is None:
            return {"detections": []}
        convert = TO_BGR.get(metadata["format"])
        image = cv2.cvtColor(frame, convert) if convert is not None else frame
        return {"detections": [{"class": self.class_name, "confidence": c, "bbox": b}
                               for c, b in self.detect(image)]}


def overlap_of_smaller(a, b):
    """The intersection of two boxes as a share of the smaller one's area."""
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / smaller if smaller > 0 else 0
