#!/usr/bin/env python3
# A live RTSP camera on loopback for the tests: GStreamer's RTSP server (Debian's
# python3-gst-1.0 and gir1.2-gst-rtsp-server-1.0) serving an H.264 mp4 file in a loop at its
# native rate under rtsp://127.0.0.1:PORT/cam. Prints "ready" once it listens.
# Usage: rtsp_server.py PORT CLIP.mp4
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(sys.argv[1])
factory = GstRtspServer.RTSPMediaFactory()
factory.set_shared(True)
factory.set_launch(
    "( multifilesrc location=%s loop=true ! qtdemux ! h264parse ! "
    "rtph264pay name=pay0 pt=96 config-interval=1 )" % sys.argv[2]
)
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    sys.exit("cannot listen on port " + sys.argv[1])
print("ready", flush=True)
GLib.MainLoop().run()
