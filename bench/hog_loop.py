#!/usr/bin/python3
# The loop a user of the replaced Python service writes with cv2 (Debian's python3-opencv):
# read frames with cv2.VideoCapture, find people with the default HOG people detector, the
# parameters hog_person_detector uses by default. Prints frames/s over the loop.
#   hog_loop.py CLIP FRAMES
import sys
import time

import cv2

cv2.setNumThreads(1)
capture = cv2.VideoCapture(sys.argv[1])
hog = cv2.HOGDescriptor()
hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
wanted, frames, people = int(sys.argv[2]), 0, 0
started = time.monotonic()
while frames < wanted:
    ok, frame = capture.read()
    if not ok:
        break
    found, _ = hog.detectMultiScale(frame, hitThreshold=0, winStride=(8, 8), padding=(8, 8),
                                    scale=1.05, groupThreshold=2)
    people += len(found)
    frames += 1
print("%.3f" % (frames / (time.monotonic() - started)))
print("hog_loop.py: %d frames, %d people" % (frames, people), file=sys.stderr)
sys.exit(0 if frames == wanted else 1)
