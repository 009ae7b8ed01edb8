// The ceiling for framehost's HTTP figures: Pistache 0.0.5 answering "{}" to every request and
// doing nothing else, on the same machine, measured by the same wrk command.
//
//   trivial_pistache PORT [--pistache-default]
//
// By default it keeps HTTP/1.1 connections alive as framehost does; with --pistache-default it
// leaves Pistache's own behaviour (close unless the client sent "Connection: keep-alive").
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include <pistache/endpoint.h>
#include <pistache/http.h>

using namespace Pistache;

namespace {
bool g_keep_alive = true;

class Trivial : public Http::Handler {
  public:
    HTTP_PROTOTYPE(Trivial)
    void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
        if (g_keep_alive && request.version() == Http::Version::Http11 &&
            !request.headers().tryGet<Http::Header::Connection>()) {
            response.headers().remove<Http::Header::Connection>();
            response.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
        }
        response.send(Http::Code::Ok, "{}", MIME(Application, Json));
    }
};
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: trivial_pistache PORT [--pistache-default]\n");
        return 2;
    }
    g_keep_alive = !(argc > 2 && std::strcmp(argv[2], "--pistache-default") == 0);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    Http::Endpoint endpoint(
        Address("127.0.0.1", Port(static_cast<std::uint16_t>(std::stoi(argv[1])))));
    endpoint.init(Http::Endpoint::options().threads(2).flags(Tcp::Options::ReuseAddr));
    endpoint.setHandler(Http::make_handler<Trivial>());
    endpoint.serveThreaded();
    int sig = 0;
    sigwait(&signals, &sig);
    endpoint.shutdown();
    return 0;
}
