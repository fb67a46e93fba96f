// The relay floor (relay_floor.cc) written with Warden's own I/O layer: Asio on one io thread,
// warden::net::MaybeTlsStream (asio::ssl over the socket), a session object kept alive by the
// shared_ptr its handlers capture, and the agent's pump shape (read some, write all of it, only
// then read again, per direction). No protocol work at all. Chained like relay_floor, it
// measures what the I/O layer alone costs: relay_floor against this chain is the price of the
// I/O layer, this chain against Warden is the price of Warden's own work on each statement.
//
//   relay_asio --listen PORT --to PORT [--tls-client CA_FILE] [--tls-server CERT KEY]
//              [--pg-client-tls CERT KEY]
//
// The options are relay_floor's: --tls-client, connections this relay dials are TLS (server
// certificate checked against CA); --tls-server, connections it accepts are TLS with CERT and
// KEY; --pg-client-tls, a PostgreSQL client's SSLRequest gets 'S' and TLS with CERT and KEY, as
// from the gateway (a client that opens otherwise is relayed in plain text); not with
// --tls-server, as for relay_floor.
// A benchmark tool, not product code: it trusts its peers.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "common/net/maybe_tls_stream.h"

namespace {

constexpr size_t kBufferBytes = 64 * 1024;

struct Options {
  int to_port = 0;
  std::unique_ptr<asio::ssl::context> client_tls;  // for the dialled end
  std::unique_ptr<asio::ssl::context> server_tls;  // for the accepted end
  bool pg_client = false;                          // server_tls only after a PostgreSQL SSLRequest
};

constexpr unsigned char kSslRequest[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};

class Link : public std::enable_shared_from_this<Link> {
 public:
  Link(asio::ip::tcp::socket accepted, const Options& opts)
      : opts_(opts), in_(std::move(accepted)), out_(in_.socket().get_executor()) {}

  void Start() {
    asio::ip::tcp::endpoint to(asio::ip::address_v4::loopback(),
                               static_cast<unsigned short>(opts_.to_port));
    out_.socket().async_connect(to, [self = shared_from_this()](asio::error_code ec) {
      if (ec) return self->Close();
      asio::ip::tcp::no_delay nodelay(true);
      self->in_.socket().set_option(nodelay, ec);
      self->out_.socket().set_option(nodelay, ec);
      self->HandshakeOut();
    });
  }

 private:
  // The dialled end first: a client that opens in plain text has its first bytes relayed at
  // once, and they must not go out ahead of the link's own TLS handshake.
  void HandshakeOut() {
    if (!opts_.client_tls) return HandshakeIn();
    asio::error_code ec;
    out_.StartTls(*opts_.client_tls).set_verify_mode(asio::ssl::verify_peer, ec);
    if (ec) return Close();
    out_.AsyncHandshake(asio::ssl::stream_base::client,
                        [self = shared_from_this()](asio::error_code ec) {
                          if (ec) return self->Close();
                          self->HandshakeIn();
                        });
  }

  void HandshakeIn() {
    if (!opts_.server_tls) return StartPumps();
    if (opts_.pg_client) return ReadSslRequest();
    AcceptTls();
  }

  // The first 8 bytes: an SSLRequest is answered with 'S' and TLS; anything else is the start
  // of a plain session and goes to the database first.
  void ReadSslRequest() {
    in_.AsyncRead(
        asio::buffer(in_buf_.get(), sizeof kSslRequest),
        [self = shared_from_this()](asio::error_code ec, size_t) {
          if (ec) return self->Close();
          if (std::memcmp(self->in_buf_.get(), kSslRequest, sizeof kSslRequest) != 0) {
            return self->out_.AsyncWrite(asio::buffer(self->in_buf_.get(), sizeof kSslRequest),
                                         [self](asio::error_code ec, size_t) {
                                           if (ec) return self->Close();
                                           self->StartPumps();
                                         });
          }
          static const char kYes = 'S';
          self->in_.AsyncWrite(asio::buffer(&kYes, 1), [self](asio::error_code ec, size_t) {
            if (ec) return self->Close();
            self->AcceptTls();
          });
        });
  }

  void AcceptTls() {
    in_.StartTls(*opts_.server_tls);
    in_.AsyncHandshake(asio::ssl::stream_base::server,
                       [self = shared_from_this()](asio::error_code ec) {
                         if (ec) return self->Close();
                         self->StartPumps();
                       });
  }

  void StartPumps() {
    Pump(in_, out_, in_buf_.get());
    Pump(out_, in_, out_buf_.get());
  }

  // from -> to: read some, write all of it, then read again.
  void Pump(warden::net::MaybeTlsStream& from, warden::net::MaybeTlsStream& to, char* buf) {
    from.AsyncReadSome(asio::buffer(buf, kBufferBytes), [self = shared_from_this(), &from, &to,
                                                         buf](asio::error_code ec, size_t n) {
      if (ec) return self->Close();
      to.AsyncWrite(asio::buffer(buf, n), [self, &from, &to, buf](asio::error_code ec, size_t) {
        if (ec) return self->Close();
        self->Pump(from, to, buf);
      });
    });
  }

  void Close() {
    in_.Close();
    out_.Close();
  }

  const Options& opts_;
  warden::net::MaybeTlsStream in_;
  warden::net::MaybeTlsStream out_;
  std::unique_ptr<char[]> in_buf_{new char[kBufferBytes]};
  std::unique_ptr<char[]> out_buf_{new char[kBufferBytes]};
};

void Accept(asio::ip::tcp::acceptor& acceptor, const Options& opts) {
  acceptor.async_accept([&acceptor, &opts](asio::error_code ec, asio::ip::tcp::socket s) {
    if (!ec) std::make_shared<Link>(std::move(s), opts)->Start();
    Accept(acceptor, opts);
  });
}

std::unique_ptr<asio::ssl::context> ServerContext(const char* cert, const char* key) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->use_certificate_chain_file(cert);
  ctx->use_private_key_file(key, asio::ssl::context::pem);
  return ctx;
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: relay_asio --listen PORT --to PORT [--tls-client CA] [--tls-server CERT "
               "KEY] [--pg-client-tls CERT KEY]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  int listen_port = 0;
  Options opts;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--listen" && i + 1 < argc) {
        listen_port = std::atoi(argv[++i]);
      } else if (a == "--to" && i + 1 < argc) {
        opts.to_port = std::atoi(argv[++i]);
      } else if (a == "--tls-client" && i + 1 < argc) {
        opts.client_tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        opts.client_tls->load_verify_file(argv[++i]);
      } else if (a == "--tls-server" && i + 2 < argc && !opts.server_tls) {
        opts.server_tls = ServerContext(argv[i + 1], argv[i + 2]);
        i += 2;
      } else if (a == "--pg-client-tls" && i + 2 < argc && !opts.server_tls) {
        opts.server_tls = ServerContext(argv[i + 1], argv[i + 2]);
        opts.pg_client = true;
        i += 2;
      } else {
        Usage();
      }
    }
    if (listen_port <= 0 || opts.to_port <= 0) Usage();
    asio::io_context io(1);  // one io thread, as Warden's default
    asio::ip::tcp::acceptor acceptor(
        io, {asio::ip::address_v4::loopback(), static_cast<unsigned short>(listen_port)});
    Accept(acceptor, opts);
    std::printf("listening on 127.0.0.1:%d\n", listen_port);
    std::fflush(stdout);
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "relay_asio: %s\n", e.what());
    return 1;
  }
}
