// orgkit-rest-example: seed 003's Admin API as a small HTTP service over an orgkit SQLite
// database (issue 11). It listens on loopback unless told otherwise, prints the address it
// bound (so a test can ask for port 0 and learn the port), and stops by itself: on SIGTERM or
// SIGINT, after --max-requests requests, or after --idle-timeout seconds without one, so a
// test's server never outlives the test.
//
//   orgkit-rest-example --db orgkit.db --listen 127.0.0.1:8080
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "admin_api.hpp"

namespace {

struct Options {
  std::string db;
  std::string listen = "127.0.0.1:8080";
  std::string policy;
  bool allow_remote = false;
  bool demo_user_header = false;
  long max_requests = 0;  // 0: no limit
  int idle_timeout = 0;   // seconds; 0: none
};

struct Endpoint {
  std::string host;
  int port = 0;
};

// "127.0.0.1:8080", "localhost:0", "[::1]:8080".
std::optional<Endpoint> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return std::nullopt;
  Endpoint e;
  e.host = text.substr(0, colon);
  if (e.host.size() >= 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  try {
    std::size_t used = 0;
    e.port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || e.port < 0 || e.port > 65535) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return e;
}

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Stops `server` on SIGTERM/SIGINT, after `max` requests or `idle` of quiet. The signals are
// blocked in every thread (main() blocks them before any thread starts) and taken here.
void watch(httplib::Server& server, const Options& o, const std::atomic<long>& served,
           const std::atomic<std::int64_t>& last_ms, const std::atomic<bool>& ended) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  for (;;) {
    timespec tick{0, 100 * 1000 * 1000};
    if (sigtimedwait(&signals, nullptr, &tick) > 0) break;
    if (ended) return;
    if (o.max_requests > 0 && served >= o.max_requests) break;
    if (o.idle_timeout > 0 && now_ms() - last_ms > std::int64_t{o.idle_timeout} * 1000) break;
  }
  // httplib's stop() is lost if it comes before listen_after_bind() has started running (a
  // SIGTERM right after the "listening" line, on a busy machine): wait until it runs.
  while (!server.is_running() && !ended) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server.stop();
}

int serve(const Options& o, const Endpoint& at, orgkit::Service& service) {
  httplib::Server server;
  server.set_keep_alive_timeout(1);  // a stopping server waits at most this for idle clients
  rest::register_routes(server, service, rest::ApiOptions{o.demo_user_header});
  std::atomic<long> served{0};
  std::atomic<std::int64_t> last_ms{std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count()};
  server.set_logger([&](const httplib::Request&, const httplib::Response&) {
    last_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now().time_since_epoch())
                  .count();
    ++served;
  });
  const int port = at.port == 0 ? server.bind_to_any_port(at.host)
                                : (server.bind_to_port(at.host, at.port) ? at.port : -1);
  if (port < 0) {
    std::cerr << "orgkit-rest-example: cannot listen on " << at.host << ":" << at.port << '\n';
    return 1;
  }
  const bool v6 = at.host.find(':') != std::string::npos;
  std::cout << "orgkit-rest-example: listening on http://" << (v6 ? "[" : "") << at.host
            << (v6 ? "]" : "") << ":" << port << std::endl;
  std::atomic<bool> ended{false};
  std::thread watcher([&] { watch(server, o, served, last_ms, ended); });
  const bool ok = server.listen_after_bind();
  ended = true;
  watcher.join();
  std::cout << "orgkit-rest-example: stopped after " << served << " requests" << std::endl;
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"orgkit-rest-example: seed 003's Admin API over an orgkit SQLite database"};
  app.add_option("--db", o.db, "SQLite database file")->required();
  app.add_option("--listen", o.listen, "HOST:PORT to listen on; port 0 picks a free one");
  app.add_option("--policy", o.policy, "permission policy file (JSON)");
  app.add_flag("--allow-remote", o.allow_remote, "listen on an address other than loopback");
  app.add_flag("--demo-user-header", o.demo_user_header,
               "EXAMPLE ONLY: trust X-Demo-User/X-Demo-Email for /account/organizations");
  app.add_option("--max-requests", o.max_requests, "stop after this many requests");
  app.add_option("--idle-timeout", o.idle_timeout, "stop after this many seconds without one");
  CLI11_PARSE(app, argc, argv);

  const auto at = parse_listen(o.listen);
  if (!at) {
    std::cerr << "orgkit-rest-example: --listen wants HOST:PORT, got '" << o.listen << "'\n";
    return 2;
  }
  if (!loopback(at->host) && !o.allow_remote) {
    std::cerr << "orgkit-rest-example: refusing to listen on " << at->host
              << ": not a loopback address (this example has no TLS); pass --allow-remote\n";
    return 2;
  }
  // Before any thread exists, so that every thread inherits the mask and only the watcher
  // takes the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  orgkit::ServiceOptions options;
  if (!o.policy.empty()) {
    auto policy = orgkit::PermissionPolicy::load(o.policy);
    if (!policy) {
      std::cerr << "orgkit-rest-example: " << policy.error() << '\n';
      return 1;
    }
    options.policy = std::move(*policy);
  }
  auto service = orgkit::Service::open_sqlite(o.db, std::move(options));
  if (!service) {
    std::cerr << "orgkit-rest-example: " << service.error() << '\n';
    return 1;
  }
  return serve(o, *at, **service);
}
