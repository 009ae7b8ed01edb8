#pragma once
// GET /recordings (the files the recorders finished: ?camera= &from= &to= &limit=) and
// GET /recordings/{id}.mp4 (one of them, whole or by byte range).
#include <string>

#include "core/host/recording_list.hpp"
#include "core/http/http_message.hpp"

namespace framehost::core {

inline constexpr const char* kRecordingRoute = "/recordings/{id}.mp4";

HttpResponse list_recordings(const RecordingList& list, const HttpRequest& request);
HttpResponse recording_file(const RecordingList& list, const std::string& id,
                            const HttpRequest& request);

}  // namespace framehost::core
