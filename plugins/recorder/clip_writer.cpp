#include "clip_writer.hpp"

#include <stdexcept>
#include <system_error>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

namespace framehost::recorder {

namespace {
std::string av_error_text(int code) {
    char text[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, text, sizeof text);
    return text;
}
}  // namespace

ClipWriter::ClipWriter(std::filesystem::path file, const PacketStream& stream)
    : file_(std::move(file)),
      part_(file_.string() + ".part"),
      generation_(stream.generation),
      time_base_num_(stream.time_base_num),
      time_base_den_(stream.time_base_den) {
    auto fail = [&](const std::string& what, int rc) {
        close();
        std::error_code ignored;
        std::filesystem::remove(part_, ignored);
        throw std::runtime_error(what + " " + part_.string() + ": " + av_error_text(rc));
    };
    const AVCodecDescriptor* codec = avcodec_descriptor_get_by_name(stream.codec.c_str());
    if (!codec) throw std::runtime_error("no codec named '" + stream.codec + "' to record");
    int rc = avformat_alloc_output_context2(&output_, nullptr, "mp4", part_.c_str());
    if (rc < 0 || !output_) fail("cannot make an MP4 muxer for", rc);
    stream_ = avformat_new_stream(output_, nullptr);
    if (!stream_) fail("cannot add a stream to", AVERROR(ENOMEM));
    AVCodecParameters* p = stream_->codecpar;
    p->codec_type = AVMEDIA_TYPE_VIDEO;
    p->codec_id = codec->id;
    p->width = stream.width;
    p->height = stream.height;
    if (!stream.extradata.empty()) {
        p->extradata = static_cast<std::uint8_t*>(
            av_mallocz(stream.extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
        if (!p->extradata) fail("out of memory for", AVERROR(ENOMEM));
        std::copy(stream.extradata.begin(), stream.extradata.end(), p->extradata);
        p->extradata_size = static_cast<int>(stream.extradata.size());
    }
    stream_->time_base = {time_base_num_, time_base_den_};
    if ((rc = avio_open(&output_->pb, part_.c_str(), AVIO_FLAG_WRITE)) < 0)
        fail("cannot create", rc);
    AVDictionary* options = nullptr;
    av_dict_set(&options, "movflags", "+faststart", 0);
    rc = avformat_write_header(output_, &options);
    av_dict_free(&options);
    if (rc < 0) fail("cannot write the header of", rc);
}

ClipWriter::~ClipWriter() {
    if (finished_) return;
    close();
    std::error_code ignored;
    std::filesystem::remove(part_, ignored);
}

void ClipWriter::close() {
    if (!output_) return;
    if (output_->pb) avio_closep(&output_->pb);
    avformat_free_context(output_);
    output_ = nullptr;
}

void ClipWriter::write(const EncodedPacket& packet) {
    if (!packet.data) return;
    std::int64_t dts = packet.dts != EncodedPacket::kNoTimestamp ? packet.dts : packet.pts;
    std::int64_t pts = packet.pts != EncodedPacket::kNoTimestamp ? packet.pts : dts;
    if (dts == EncodedPacket::kNoTimestamp) {
        // No timestamp at all: the camera's clock, in the stream's time base.
        dts = pts = av_rescale_q(packet.wall_ms, {1, 1000}, {time_base_num_, time_base_den_});
    }
    if (packets_ == 0) {
        offset_ = dts;
        first_wall_ms_ = packet.wall_ms;
    }
    dts -= offset_;
    pts -= offset_;
    // MP4 needs rising decode times; a camera's clock that stumbles is nudged forward.
    if (packets_ > 0 && dts <= last_dts_) dts = last_dts_ + 1;
    if (pts < dts) pts = dts;
    last_dts_ = dts;
    last_wall_ms_ = packet.wall_ms;

    AVPacket* out = av_packet_alloc();
    if (!out) throw std::runtime_error("out of memory writing " + part_.string());
    int rc = av_new_packet(out, static_cast<int>(packet.data->size()));
    if (rc == 0) {
        std::copy(packet.data->begin(), packet.data->end(), out->data);
        out->pts = pts;
        out->dts = dts;
        out->duration = packet.duration;
        out->flags = packet.keyframe ? AV_PKT_FLAG_KEY : 0;
        out->stream_index = 0;
        av_packet_rescale_ts(out, {time_base_num_, time_base_den_}, stream_->time_base);
        rc = av_write_frame(output_, out);
    }
    av_packet_free(&out);
    if (rc < 0)
        throw std::runtime_error("cannot write " + part_.string() + ": " + av_error_text(rc));
    ++packets_;
    bytes_ += packet.data->size();
}

void ClipWriter::finish() {
    int rc = av_write_trailer(output_);
    int closed = avio_closep(&output_->pb);  // the last bytes are flushed here
    close();
    if (rc >= 0) rc = closed;
    if (rc < 0) {
        std::error_code ignored;
        std::filesystem::remove(part_, ignored);
        throw std::runtime_error("cannot finish " + part_.string() + ": " + av_error_text(rc));
    }
    std::filesystem::rename(part_, file_);
    finished_ = true;
}

}  // namespace framehost::recorder
