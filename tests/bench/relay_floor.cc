// The floor under Warden's data path on this machine: a relay that does nothing but move bytes,
// as lean as a relay can be (one epoll loop, level-triggered, one read per readiness event, no
// protocol work, no allocation). Two of them chained, optionally with TLS on the link between
// them, are what any design with Warden's shape costs: client -> process 1 -> (TLS) -> process 2
// -> database. bench.py measures this chain beside PgBouncer and Warden in the same run, so the
// ratios show how much of Warden's gap is the extra process hop itself and how much is Warden.
//
//   relay_floor --listen PORT --to PORT [--tls-client CA_FILE] [--tls-server CERT KEY]
//               [--pg-client-tls CERT KEY]
//
// --tls-client: connections this relay dials are TLS (server certificate checked against CA).
// --tls-server: connections this relay accepts are TLS with CERT and KEY.
// --pg-client-tls: a PostgreSQL client that opens with SSLRequest gets 'S' and TLS with CERT
// and KEY, as from the gateway; one that does not is relayed in plain text. With it the chain
// does every TLS endpoint Warden's path does (client link and tunnel), and nothing else. Not
// with --tls-server (one end cannot be both). Like the handshakes, reading the SSLRequest blocks
// the relay: connection set-up is not what it measures, and pgbench opens its connections
// before it starts timing.
// A benchmark tool, not product code: it trusts its peers and blocks while a write drains.
// OpenSSL's socket BIO reads a record with two read(2) calls (header, body); Warden reads
// whole bursts into a memory BIO, so the TLS floor is, if anything, a little pessimistic.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct End {
  int fd = -1;
  SSL* ssl = nullptr;  // TLS on this end, or plain
  int peer = -1;       // the other end's fd
};

std::vector<End> g_ends(1 << 16);

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  ERR_print_errors_fp(stderr);
  std::exit(1);
}

void SetOptions(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  poll(&p, 1, -1);
}

// Writes all of buf to the end, waiting while its socket buffer is full.
bool WriteAll(End& e, const char* buf, size_t n) {
  while (n > 0) {
    ssize_t w;
    if (e.ssl) {
      w = SSL_write(e.ssl, buf, static_cast<int>(n));
      if (w <= 0) {
        int err = SSL_get_error(e.ssl, static_cast<int>(w));
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
          WaitFor(e.fd, err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN);
          continue;
        }
        return false;
      }
    } else {
      w = send(e.fd, buf, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          WaitFor(e.fd, POLLOUT);
          continue;
        }
        return false;
      }
    }
    buf += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// One read: >0 bytes, 0 nothing yet, <0 the end closed.
ssize_t ReadSome(End& e, char* buf, size_t n) {
  if (!e.ssl) {
    ssize_t r = recv(e.fd, buf, n, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return r == 0 ? -1 : r;
  }
  int r = SSL_read(e.ssl, buf, static_cast<int>(n));
  if (r > 0) return r;
  int err = SSL_get_error(e.ssl, r);
  return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

void CloseEnd(int epfd, int fd) {
  End& e = g_ends[fd];
  if (e.fd < 0) return;
  epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
  if (e.ssl) SSL_free(e.ssl);
  close(fd);
  e = End{};
}

int Listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1024) != 0) {
    Die("listen");
  }
  return fd;
}

SSL_CTX* ServerContext(const char* cert, const char* key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
    Die("certificate or key");
  }
  return ctx;
}

// Reads a PostgreSQL SSLRequest if that is how the client opened (blocking, like the handshakes)
// and answers it: true when TLS is to follow.
bool AnswerSslRequest(int fd) {
  unsigned char head[8];
  ssize_t n = recv(fd, head, sizeof head, MSG_PEEK | MSG_WAITALL);
  static const unsigned char kSslRequest[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  if (n != 8 || std::memcmp(head, kSslRequest, 8) != 0) return false;
  recv(fd, head, sizeof head, MSG_WAITALL);
  return send(fd, "S", 1, MSG_NOSIGNAL) == 1;
}

int Dial(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  // OpenSSL writes with write(2): a peer that left must not kill the relay.
  std::signal(SIGPIPE, SIG_IGN);
  int listen_port = 0, to_port = 0;
  SSL_CTX* client_ctx = nullptr;
  SSL_CTX* server_ctx = nullptr;
  SSL_CTX* pg_ctx = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--listen" && i + 1 < argc) {
      listen_port = std::atoi(argv[++i]);
    } else if (a == "--to" && i + 1 < argc) {
      to_port = std::atoi(argv[++i]);
    } else if (a == "--tls-client" && i + 1 < argc) {
      client_ctx = SSL_CTX_new(TLS_client_method());
      if (SSL_CTX_load_verify_locations(client_ctx, argv[++i], nullptr) != 1) Die("CA file");
      SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, nullptr);
    } else if (a == "--tls-server" && i + 2 < argc) {
      server_ctx = ServerContext(argv[i + 1], argv[i + 2]);
      i += 2;
    } else if (a == "--pg-client-tls" && i + 2 < argc) {
      pg_ctx = ServerContext(argv[i + 1], argv[i + 2]);
      i += 2;
    } else {
      std::fprintf(stderr,
                   "usage: relay_floor --listen PORT --to PORT [--tls-client CA] [--tls-server "
                   "CERT KEY] [--pg-client-tls CERT KEY]\n");
      return 2;
    }
  }
  if (server_ctx != nullptr && pg_ctx != nullptr) {
    std::fprintf(stderr, "relay_floor: --tls-server and --pg-client-tls exclude each other\n");
    return 2;
  }
  if (listen_port <= 0 || to_port <= 0) {
    std::fprintf(stderr, "relay_floor: --listen and --to are required\n");
    return 2;
  }
  int lfd = Listen(listen_port);
  int epfd = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
  std::printf("listening on 127.0.0.1:%d\n", listen_port);
  std::fflush(stdout);

  static char buf[64 * 1024];
  epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epfd, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Die("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        int in = accept(lfd, nullptr, nullptr);
        if (in < 0) continue;
        int out = Dial(to_port);
        if (out < 0 || in >= static_cast<int>(g_ends.size()) ||
            out >= static_cast<int>(g_ends.size())) {
          close(in);
          if (out >= 0) close(out);
          continue;
        }
        SetOptions(in);
        SetOptions(out);
        // Handshakes block: connection set-up is not what this measures. A peer that fails one
        // (a port probe that connects and leaves) loses only its own connection.
        End a{in, nullptr, out}, b{out, nullptr, in};
        bool ok = true;
        SSL_CTX* accept_ctx = server_ctx;
        if (pg_ctx != nullptr && AnswerSslRequest(in)) accept_ctx = pg_ctx;
        if (accept_ctx) {
          a.ssl = SSL_new(accept_ctx);
          SSL_set_fd(a.ssl, in);
          ok = SSL_accept(a.ssl) == 1;
        }
        if (ok && client_ctx) {
          b.ssl = SSL_new(client_ctx);
          SSL_set_fd(b.ssl, out);
          ok = SSL_connect(b.ssl) == 1;
        }
        if (!ok) {
          ERR_clear_error();
          if (a.ssl) SSL_free(a.ssl);
          if (b.ssl) SSL_free(b.ssl);
          close(in);
          close(out);
          continue;
        }
        SetNonBlocking(in);
        SetNonBlocking(out);
        g_ends[in] = a;
        g_ends[out] = b;
        for (int f : {in, out}) {
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.fd = f;
          epoll_ctl(epfd, EPOLL_CTL_ADD, f, &e);
        }
        continue;
      }
      End& e = g_ends[fd];
      if (e.fd < 0) continue;
      int peer = e.peer;
      bool closed = false;
      // TLS may hold decrypted bytes beyond one read: drain them, as epoll will not report them.
      do {
        ssize_t r = ReadSome(e, buf, sizeof buf);
        if (r < 0 || (r > 0 && !WriteAll(g_ends[peer], buf, static_cast<size_t>(r)))) {
          closed = true;
          break;
        }
        if (r == 0) break;
      } while (e.ssl && SSL_pending(e.ssl) > 0);
      if (closed) {
        CloseEnd(epfd, fd);
        CloseEnd(epfd, peer);
      }
    }
  }
}
