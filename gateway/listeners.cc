#include "gateway/listeners.h"

#include "common/log/log.h"
#include "gateway/agent_tunnel.h"

namespace warden::gateway {

namespace {
// Tunnel connections that have not yet proved which session they serve; more are refused at
// once so that a flood of idle TLS connections cannot exhaust the gateway.
constexpr int kMaxPendingTunnels = 1024;
}  // namespace

Listeners::Listeners(GatewayContext& ctx, asio::ssl::context& tunnel_tls, int threads)
    // The hint lets a single-threaded io_context skip waking other threads.
    : io_(std::max(1, threads)),
      postgres_(io_, threads,
                [&ctx](asio::ip::tcp::socket socket) {
                  std::make_shared<ClientSession>(std::move(socket), ctx)->Start();
                }),
      tunnels_(io_, threads, [&ctx, &tunnel_tls](asio::ip::tcp::socket socket) {
        if (TunnelOpener::pending() >= kMaxPendingTunnels) {
          spdlog::warn("{} agent tunnels are still opening; refusing another",
                       TunnelOpener::pending());
          return;  // the socket closes as it goes out of scope
        }
        std::make_shared<TunnelOpener>(std::move(socket), tunnel_tls, ctx.sessions)->Start();
      }) {}

absl::StatusOr<std::unique_ptr<Listeners>> Listeners::Start(const ListenerOptions& opts,
                                                            GatewayContext& ctx,
                                                            asio::ssl::context& tunnel_tls) {
  std::unique_ptr<Listeners> self(new Listeners(ctx, tunnel_tls, opts.threads));
  if (auto st = self->postgres_.Listen(opts.postgres, "PostgreSQL clients"); !st.ok()) return st;
  if (auto st = self->tunnels_.Listen(opts.tunnels, "agent tunnels"); !st.ok()) return st;
  ctx.tunnel_port = self->tunnels_.port();
  for (int i = 0; i < std::max(1, opts.threads); ++i) {
    self->threads_.emplace_back([io = &self->io_] { io->run(); });
  }
  return self;
}

void Listeners::Stop() {
  postgres_.Close();
  tunnels_.Close();
  io_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

Listeners::~Listeners() { Stop(); }

}  // namespace warden::gateway
