#include "gateway/listeners.h"

#include <atomic>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/log/rate_limit.h"
#include "common/pgwire/pgwire.h"
#include "gateway/agent_tunnel.h"

namespace warden::gateway {

namespace {

// Admits `socket` on `admission`, or refuses it: logged within the listener's rate limit (a
// flood must not flood the log too), and, for a PostgreSQL client, told why first. libpq reads
// an ErrorResponse in place of the answer to its SSLRequest and prints it.
std::optional<Admission::Ticket> Admit(Admission* admission, asio::ip::tcp::socket& socket,
                                       const char* what, bool tell_client,
                                       log::RateLimit* log_limit) {
  if (admission == nullptr) return Admission::Ticket{};
  asio::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;  // already gone
  std::string why;
  std::optional<Admission::Ticket> ticket = admission->TryAdmit(ep.address(), &why);
  if (ticket) return ticket;
  if (auto left_out = log_limit->Admit()) {
    spdlog::warn("{} from {} refused: {}{}", what, ep.address().to_string(), why,
                 log::LeftOut(*left_out));
  }
  if (tell_client) {
    const std::string error = pgwire::BuildErrorResponse(
        "FATAL", "53300",
        absl::StrCat("Warden refused the connection: ", why, " (try again later)"));
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(error), ec);  // best effort: never waits
  }
  return std::nullopt;  // the socket closes as it goes out of scope
}

}  // namespace

Listeners::Listeners(GatewayContext& ctx, asio::ssl::context& tunnel_tls, int threads)
    // The hint lets a single-threaded io_context skip waking other threads.
    : io_(std::max(1, threads)),
      postgres_(
          io_, threads,
          [this, &ctx](asio::ip::tcp::socket socket) {
            auto ticket = Admit(ctx.client_admission, socket, "PostgreSQL client", true,
                                &client_refusal_logged_);
            if (!ticket) return;
            std::make_shared<ClientSession>(std::move(socket), ctx)->Start(*std::move(ticket));
          }),
      tunnels_(io_, threads, [this, &ctx, &tunnel_tls](asio::ip::tcp::socket socket) {
        auto ticket =
            Admit(ctx.tunnel_admission, socket, "agent tunnel", false, &tunnel_refusal_logged_);
        if (!ticket) return;
        std::make_shared<TunnelOpener>(std::move(socket), tunnel_tls, ctx.sessions,
                                       *std::move(ticket), ctx.auth_timeout)
            ->Start();
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
