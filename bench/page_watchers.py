#!/usr/bin/python3
"""Watchers of a framehost host, in one light process: PAGES threads each make the requests the
live page makes (GET /health, /metrics, /cameras and the camera's snapshot.jpg every 2 s, on one
kept-alive connection, as a browser does), VIEWERS threads each read the camera's MJPEG stream.
Runs until killed; prints nothing.
usage: page_watchers.py PORT CAMERA PAGES VIEWERS"""
import http.client
import socket
import sys
import threading
import time


def page(port, camera):
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while True:
                for path in ("/health", "/metrics", "/cameras", f"/cameras/{camera}/snapshot.jpg"):
                    c.request("GET", path)
                    c.getresponse().read()
                time.sleep(2)
        except (OSError, http.client.HTTPException):
            time.sleep(0.5)


def viewer(port, camera):
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(f"GET /cameras/{camera}/stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            while s.recv(65536):
                pass
        except OSError:
            pass
        time.sleep(0.5)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    port, camera, pages, viewers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for target, n in ((page, pages), (viewer, viewers)):
        for _ in range(n):
            threading.Thread(target=target, args=(port, camera), daemon=True).start()
    threading.Event().wait()


main()
