#!/usr/bin/python3
# The loop a Python user writes to run MediaPipe's BlazeFace (the ONNX scripts/models fetched)
# with cv2 (Debian's python3-opencv), one thread: read frames with cv2.VideoCapture, letterbox
# to the model's input, [1, H, W, 3] RGB in [-1, 1], net.forward, scores and boxes decoded
# against the 896 anchors with numpy, NMS with cv2.dnn.NMSBoxes, boxes back onto the frame.
# Prints frames/s over the loop, then the milliseconds a frame of model and decoding alone.
#   blazeface_loop.py MODEL CLIP FRAMES [SIZE]
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
model, clip, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = int(sys.argv[4]) if len(sys.argv) > 4 else 128
strides = (8, 16) if size == 128 else (16, 32)
net = cv2.dnn.readNet(model)
outputs = ["Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"]

anchors = []
for stride, per_cell in zip(strides, (2, 6)):
    cells = size // stride
    for y in range(cells):
        for x in range(cells):
            anchors += [((x + 0.5) / cells * size, (y + 0.5) / cells * size)] * per_cell
anchors = np.array(anchors, dtype=np.float32)

capture = cv2.VideoCapture(clip)
frames, faces, model_seconds = 0, 0, 0.0
started = time.monotonic()
while frames < wanted:
    ok, frame = capture.read()
    if not ok:
        break
    t0 = time.monotonic()
    h, w = frame.shape[:2]
    r = min(size / w, size / h)
    inner_w, inner_h = max(1, round(w * r)), max(1, round(h * r))
    ox, oy = (size - inner_w) // 2, (size - inner_h) // 2
    canvas = np.full((size, size, 3), 114, np.uint8)
    canvas[oy:oy + inner_h, ox:ox + inner_w] = cv2.resize(frame, (inner_w, inner_h))
    blob = (cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).astype(np.float32) - 127.5) / 127.5
    net.setInput(blob[None])
    s0, s1, b0, b1 = net.forward(outputs)
    logits = np.clip(np.concatenate([s0[0], s1[0]])[:, 0], -80, 80)
    scores = 1 / (1 + np.exp(-logits))
    regressors = np.concatenate([b0[0], b1[0]])
    keep = scores >= 0.75
    boxes = []
    for (cx, cy, bw, bh), (ax, ay) in zip(regressors[keep][:, :4], anchors[keep]):
        x1 = (cx + ax - bw / 2 - ox) / r
        y1 = (cy + ay - bh / 2 - oy) / r
        boxes.append([float(x1), float(y1), float(bw / r), float(bh / r)])
    kept = cv2.dnn.NMSBoxes(boxes, scores[keep].tolist(), 0.0, 0.3) if boxes else []
    faces += len(kept)
    model_seconds += time.monotonic() - t0
    frames += 1
print("%.3f" % (frames / (time.monotonic() - started)))
print("%.3f" % (model_seconds * 1000 / max(1, frames)))
print("blazeface_loop.py: %d frames, %d faces" % (frames, faces), file=sys.stderr)
sys.exit(0 if frames == wanted else 1)
