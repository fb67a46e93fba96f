// The agent<->gateway tunnel's frame codec (common/tunnel/tunnel_frame.h): what each side
// decodes from bytes that arrive split anywhere, and what it refuses.
#include "common/tunnel/tunnel_frame.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

namespace tn = warden::tunnel;

namespace {

struct Decoded {
  tn::FrameType type;
  std::string payload;
};

// Feeds `bytes` into a FrameBuffer in pieces of the given sizes (the rest in one piece) and
// collects every frame decoded; `error` receives a decode error, if any.
std::vector<Decoded> FeedInPieces(const std::string& bytes, const std::vector<size_t>& cuts,
                                  std::string* error, size_t read_size = 8) {
  tn::FrameBuffer buf(read_size);
  std::vector<Decoded> out;
  size_t fed = 0;
  size_t cut = 0;
  for (;;) {
    auto r = buf.Next();
    if (r.status == tn::DecodeStatus::kError) {
      *error = r.error;
      return out;
    }
    if (r.status == tn::DecodeStatus::kFrame) {
      out.push_back({r.frame.type, std::string(r.frame.payload)});
      buf.Consume(r.frame);
      continue;
    }
    if (fed == bytes.size()) return out;
    size_t want = cut < cuts.size() ? cuts[cut++] : bytes.size() - fed;
    want = std::min(want, bytes.size() - fed);
    while (want > 0) {  // a piece larger than the read space takes several reads
      char* space = buf.WriteSpace();
      size_t n = std::min(want, buf.WriteSpaceSize());
      std::memcpy(space, bytes.data() + fed, n);
      buf.Commit(n);
      fed += n;
      want -= n;
    }
  }
}

}  // namespace

TEST_CASE("tunnel frames: header layout is type then big-endian length") {
  std::string f = tn::EncodeFrame(tn::FrameType::kData, std::string(258, 'x'));
  REQUIRE(f.size() == 5 + 258);
  CHECK(f.substr(0, 5) == std::string("D\x00\x00\x01\x02", 5));
  CHECK(tn::EncodeFrame(tn::FrameType::kCancel, "") == std::string("K\x00\x00\x00\x00", 5));
}

TEST_CASE("tunnel frames: every frame survives a split at every byte boundary") {
  std::string stream = tn::EncodeFrame(tn::FrameType::kOpen, "open-payload") +
                       tn::EncodeFrame(tn::FrameType::kData, "SELECT 1") +
                       tn::EncodeFrame(tn::FrameType::kCancel, "") +
                       tn::EncodeFrame(tn::FrameType::kData, std::string(100, 'r')) +
                       tn::EncodeFrame(tn::FrameType::kClose, "bye");
  for (size_t a = 0; a <= stream.size(); ++a) {
    for (size_t b : {size_t{1}, size_t{3}, size_t{17}}) {
      std::string error;
      auto frames = FeedInPieces(stream, {a, b}, &error);
      INFO("split at " << a << " then " << b);
      REQUIRE(error.empty());
      REQUIRE(frames.size() == 5);
      CHECK(frames[0].type == tn::FrameType::kOpen);
      CHECK(frames[0].payload == "open-payload");
      CHECK(frames[1].payload == "SELECT 1");
      CHECK(frames[2].type == tn::FrameType::kCancel);
      CHECK(frames[2].payload.empty());
      CHECK(frames[3].payload == std::string(100, 'r'));
      CHECK(frames[4].type == tn::FrameType::kClose);
      CHECK(frames[4].payload == "bye");
    }
  }
}

TEST_CASE("tunnel frames: a frame larger than the read size arrives whole") {
  std::string big(300000, 'z');
  big[12345] = 'q';
  std::string error;
  auto frames = FeedInPieces(tn::EncodeFrame(tn::FrameType::kData, big), {7, 65536, 1}, &error,
                             /*read_size=*/4096);
  REQUIRE(error.empty());
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == big);
}

TEST_CASE("tunnel frames: unknown types and oversized lengths are refused at once") {
  auto unknown = tn::DecodeFrame(std::string("Z\x00\x00\x00\x00", 5));
  CHECK(unknown.status == tn::DecodeStatus::kError);
  CHECK(unknown.error.find("unknown tunnel frame type") != std::string::npos);
  // The type is judged from its first byte, before a length arrives.
  CHECK(tn::DecodeFrame("Z").status == tn::DecodeStatus::kError);

  // A pre-open peer announcing 4 KiB + 1 is refused before it sends the payload.
  std::string header(5, '\0');
  tn::WriteHeader(header.data(), tn::FrameType::kOpen, tn::kMaxOpenPayload + 1);
  auto big_open = tn::DecodeFrame(header, tn::kMaxOpenPayload);
  CHECK(big_open.status == tn::DecodeStatus::kError);
  CHECK(big_open.error.find("exceeds the limit of 4096") != std::string::npos);
  tn::WriteHeader(header.data(), tn::FrameType::kData, 0xffffffffu);
  CHECK(tn::DecodeFrame(header).status == tn::DecodeStatus::kError);
  tn::WriteHeader(header.data(), tn::FrameType::kData, tn::kMaxPayload);
  CHECK(tn::DecodeFrame(header).status == tn::DecodeStatus::kNeedMore);
}

TEST_CASE("tunnel frames: an idle buffer gives back memory a large frame took") {
  tn::FrameBuffer buf(/*read_size=*/1024);
  std::string frame = tn::EncodeFrame(tn::FrameType::kData, std::string(50000, 'a'));
  size_t fed = 0;
  while (fed < frame.size()) {
    char* space = buf.WriteSpace();
    size_t n = std::min(frame.size() - fed, buf.WriteSpaceSize());
    std::memcpy(space, frame.data() + fed, n);
    buf.Commit(n);
    fed += n;
  }
  CHECK(buf.WriteSpaceSize() < 50000);  // grew to hold the frame, not far beyond
  auto r = buf.Next();
  REQUIRE(r.status == tn::DecodeStatus::kFrame);
  buf.Shrink();  // not idle yet: the frame is unconsumed
  CHECK(buf.pending() == frame.size());
  buf.Consume(r.frame);
  buf.Shrink();
  CHECK(buf.pending() == 0);
  CHECK(buf.WriteSpaceSize() == 0);
  buf.WriteSpace();
  CHECK(buf.WriteSpaceSize() == 1024);
}
