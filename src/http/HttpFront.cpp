// The event-driven HTTP/1.1 front of http::Server.
//
// Threads: one I/O thread owns every socket and every Conn (no lock on them);
// `workers` threads run route handlers. They meet in two queues:
//  - jobs (I/O → workers): bounded by queueLength; when full the I/O thread
//    answers 429 with Retry-After itself, so saturation never piles up threads;
//  - completions (workers → I/O): a reply or "read the body now", woken by an eventfd.
//
// A request goes through these passes, on the thread named:
//  1. head (I/O): bytes until the blank line, within a total deadline and the
//     line/size/count limits (400/414/431 JSON bodies, then close);
//  2. authentication and routing (worker when the path needs a key, since the
//     key lookup reads the database; I/O otherwise): an unauthenticated client
//     gets 401 before any body is read, an unknown path 404/405;
//  3. body (I/O): Content-Length or chunked, "100 Continue" when asked, 413
//     (the rest read and dropped, bounded, so the client sees the answer),
//     400 body_incomplete when the client stops early;
//  4. handler (worker), under a Deadline of requestTimeoutMs;
//  5. response (I/O): non-blocking writes; a client that reads nothing for
//     writeTimeoutSeconds is dropped, and while responses not yet sent exceed
//     maxPendingResponseBytes new requests get 429.
#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <Poco/Logger.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include "common/Deadline.h"
#include "http/HttpParse.h"
#include "http/HttpServer.h"

namespace passerelle::http {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kDrainBytes = 16 * 1024 * 1024; // read and dropped after a 413/401 before closing
constexpr int kLingerMs = 2000;                        // ... for at most this long
constexpr int kTickMs = 100;                            // timer resolution

int cores() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 2 : static_cast<int>(n);
}

std::string httpDate() {
    char buf[64];
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

Reply errorReply(int status, const std::string& code, const std::string& message) {
    Reply r = Reply::error(Status::invalidArgument(code, message));
    r.status = status;
    return r;
}

Reply saturatedReply() {
    Reply r = Reply::error(Status::unavailable("service_saturated",
                                               "Service saturé : trop de requêtes en cours. Réessayez dans un instant."));
    r.status = 429;
    r.headers["Retry-After"] = "1";
    return r;
}

// True for "application/json" with or without parameters (e.g. "; charset=utf-8").
bool isJsonMediaType(const std::string& contentType) {
    std::string t = contentType.substr(0, contentType.find(';'));
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.erase(0, 1);
    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t == "application/json";
}

// A request id the logs can carry: the client's X-Request-Id when it is 1–128 characters of
// [A-Za-z0-9._:-] (a proxy's UUID), else 32 random hex digits (a given value that is not valid is replaced).
std::string newRequestId() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* hex = "0123456789abcdef";
    std::string id(32, '0');
    std::uint64_t a = rng(), b = rng();
    for (int i = 0; i < 16; ++i) {
        id[i] = hex[(a >> (i * 4)) & 0xF];
        id[16 + i] = hex[(b >> (i * 4)) & 0xF];
    }
    return id;
}

bool validRequestId(const std::string& v) {
    if (v.empty() || v.size() > 128) return false;
    for (unsigned char ch : v)
        if (!(std::isalnum(ch) || ch == '.' || ch == '_' || ch == ':' || ch == '-')) return false;
    return true;
}

struct Conn {
    enum class State {
        Head,       // waiting for (the rest of) a request head
        Routing,    // a worker authenticates and routes
        Body,       // reading the body
        Handling,   // a worker runs the handler
        Writing,    // sending the reply
        Lingering,  // reply sent, write side shut: reading and dropping until EOF, then close
    };
    int fd = -1;
    std::uint64_t id = 0;
    std::string peer;
    State state = State::Head;
    std::string in;
    std::string out;
    std::size_t outOff = 0;
    Clock::time_point waitStart;    // Head: since when we wait for this request; Body: since the head
    Clock::time_point lastProgress; // Writing: last byte written
    Clock::time_point lingerUntil;
    bool peerClosed = false;        // EOF seen (the client may still read)
    bool closeAfter = false;
    bool linger = false;            // after the reply: shut the write side, drain, then close
    std::size_t drained = 0;
    std::uint32_t events = 0;
    // The current request.
    RequestHead head;
    Request req;
    const Route* route = nullptr;
    ChunkedDecoder chunks;
    std::shared_ptr<std::atomic<bool>> cancelled;
    std::size_t pendingCounted = 0; // bytes of `out` counted in pendingResponseBytes
    bool rejectAfterBody = false;   // saturated: read the (small) body, answer 429, keep the connection
    // For the access log and the metrics (RequestRecord).
    Clock::time_point started;
    std::string requestId;
    std::string organisationId;
    const Route* matched = nullptr;
    std::size_t requestBytes = 0;
};

struct Job {
    std::uint64_t connId = 0;
    bool routing = false; // pass 2 (authenticate + route) rather than pass 4 (handler)
    Request req;
    const Route* route = nullptr;
    bool bodyAnnounced = false;
    // Pass 2 with the whole body already received (the usual small POST, in the same packets as its head):
    // the worker authenticates, routes and handles in one go, without a round trip through the I/O thread.
    bool bodyPreloaded = false;
    std::shared_ptr<std::atomic<bool>> cancelled;
};

struct Completion {
    std::uint64_t connId = 0;
    bool needBody = false; // pass 2 succeeded: read the body, then queue the handler
    Reply reply;
    Request req;
    const Route* route = nullptr;
    std::size_t counted = 0; // bytes of reply.body already added to pendingBytes by the worker
    const Route* matched = nullptr;  // the route found (access log, metrics)
    std::string organisationId;      // the authenticated caller's
};

} // namespace

struct Server::Impl {
    ServerConfig config;
    std::shared_ptr<Router> router;
    RequestObserver observer;
    HeadLimits limits;

    int listenFd = -1;
    int epollFd = -1;
    int wakeFd = -1;
    unsigned short boundPort = 0;
    std::thread ioThread;
    std::vector<std::thread> workerThreads;

    // I/O thread only.
    std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns;
    std::unordered_map<std::string, int> perClient;
    std::uint64_t nextId = 1;
    bool accepting = true;
    Clock::time_point acceptPausedUntil;
    bool draining = false;
    Clock::time_point drainDeadline;

    // Shared.
    std::mutex jobMutex;
    std::condition_variable jobReady;
    std::deque<Job> jobs;
    bool workersStop = false;
    std::mutex doneMutex;
    std::deque<Completion> done;
    std::atomic<bool> stopRequested{false};
    std::atomic<bool> trimWanted{false}; // malloc_trim when a worker is next idle
    std::atomic<std::size_t> connectionCount{0}, busyWorkers{0}, pendingBytes{0}, queuedCount{0};
    std::atomic<std::uint64_t> requests{0}, rejectedSaturated{0}, rejectedConnections{0}, closedSlow{0}, closedHeadTimeouts{0};

    Poco::Logger& log = Poco::Logger::get("passerelle.http");

    // ------------------------------------------------------------------ setup
    void open() {
        limits.maxRequestLineBytes = config.maxRequestLineBytes;
        limits.maxHeaderBytes = config.maxHeaderBytes;
        limits.maxHeaderCount = config.maxHeaderCount;
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        addrinfo* res = nullptr;
        std::string port = std::to_string(config.port);
        int rc = getaddrinfo(config.host.empty() ? nullptr : config.host.c_str(), port.c_str(), &hints, &res);
        if (rc != 0) throw std::runtime_error("Adresse d'écoute invalide : " + config.host + " (" + gai_strerror(rc) + ")");
        std::string lastError = "aucune adresse";
        for (addrinfo* a = res; a && listenFd < 0; a = a->ai_next) {
            int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
            if (fd < 0) continue;
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) listenFd = fd;
            else { lastError = std::strerror(errno); ::close(fd); }
        }
        freeaddrinfo(res);
        if (listenFd < 0) throw std::runtime_error("Écoute impossible sur " + config.host + ":" + port + " : " + lastError);
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        getsockname(listenFd, reinterpret_cast<sockaddr*>(&ss), &len);
        boundPort = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        epollFd = epoll_create1(EPOLL_CLOEXEC);
        wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = 0; // the listening socket
        epoll_ctl(epollFd, EPOLL_CTL_ADD, listenFd, &ev);
        ev.data.u64 = ~0ULL; // the wake-up eventfd
        epoll_ctl(epollFd, EPOLL_CTL_ADD, wakeFd, &ev);
    }

    void wake() {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wakeFd, &one, sizeof one);
    }

    // ---------------------------------------------------------------- workers
    void workerLoop() {
        for (;;) {
            Job job;
            {
                std::unique_lock<std::mutex> lock(jobMutex);
                if (!jobReady.wait_for(lock, std::chrono::seconds(1), [&] { return workersStop || !jobs.empty(); })) {
                    // Idle: give back the memory of heavy requests now that their replies are sent.
                    if (trimWanted.exchange(false)) {
                        lock.unlock();
                        malloc_trim(0);
                    }
                    continue;
                }
                if (jobs.empty()) return; // stopping and nothing left
                job = std::move(jobs.front());
                jobs.pop_front();
                queuedCount = jobs.size();
            }
            ++busyWorkers;
            const std::size_t inBytes = job.req.body.size();
            Completion c = run(job);
            // A heavy request: trim when the workers are next idle (its reply is freed once sent).
            if (config.trimAfterRequestBytes > 0 && std::max(inBytes, c.reply.body.size()) > config.trimAfterRequestBytes)
                trimWanted = true;
            // Counted now, not when the I/O thread gets to it: admission sees the memory at once.
            c.counted = c.reply.body.size();
            pendingBytes += c.counted;
            --busyWorkers;
            {
                std::lock_guard<std::mutex> g(doneMutex);
                done.push_back(std::move(c));
            }
            wake();
        }
    }

    Completion run(Job& job) {
        Completion c = runJob(job);
        c.matched = c.route ? c.route : job.route;
        c.organisationId = job.req.caller.organisationId;
        if (c.organisationId.empty()) c.organisationId = c.req.caller.organisationId;
        return c;
    }

    Completion runJob(Job& job) {
        Completion c;
        c.connId = job.connId;
        try {
            if (job.routing) {
                // Pass 2: authentication first, so that an unauthenticated client learns nothing (not even which paths exist).
                auto caller = router->authenticate(job.req);
                if (caller && !caller->isOk()) {
                    c.reply = Reply::error(caller->status());
                    if (c.reply.status == 401) c.reply.headers["WWW-Authenticate"] = "Bearer realm=\"passerelle\"";
                    c.reply.headers["Connection"] = "close"; // the body, if any, is not read
                    return c;
                }
                if (caller) job.req.caller = caller->value();
                bool pathKnown = false;
                const Route* route = router->match(job.req.method, job.req.path, job.req.params, pathKnown);
                if (!route) {
                    c.reply = notRouted(job.req.path, pathKnown);
                    if (job.bodyAnnounced) c.reply.headers["Connection"] = "close";
                    return c;
                }
                if (needsBody(*route, job.req.method, job.bodyAnnounced) && !job.bodyPreloaded) {
                    c.needBody = true;
                    c.req = std::move(job.req);
                    c.route = route;
                    return c;
                }
                job.route = route;
            }
            c.reply = handle(*job.route, job.req, job.cancelled.get());
        } catch (const std::exception& e) {
            log.error("requête " + job.req.requestId + " " + job.req.method + " " + routeName(job) + " : exception : " + e.what());
            c.reply = Reply::error(Status::internal("internal", "Erreur interne du service."));
        } catch (...) {
            log.error("requête " + job.req.requestId + " " + job.req.method + " " + routeName(job) + " : exception inconnue");
            c.reply = Reply::error(Status::internal("internal", "Erreur interne du service."));
        }
        return c;
    }

    // The route's template, never the path itself (it may hold an identifier a log need not keep).
    static std::string routeName(const Job& job) { return job.route ? job.route->pathTemplate : std::string("(routage)"); }

    Reply handle(const Route& route, const Request& req, const std::atomic<bool>* cancelled) {
        // A body must be JSON; an empty one (an action such as a withdrawal) needs no Content-Type.
        if (route.jsonBody && !req.body.empty()) {
            auto ct = req.headers.find("content-type");
            if (ct == req.headers.end() || !isJsonMediaType(ct->second))
                return Reply::error(Status::unsupportedMedia("unsupported_media_type",
                                                             "Le corps doit être du JSON (Content-Type: application/json)."));
        }
        Deadline::Scope deadline(std::chrono::milliseconds(config.requestTimeoutMs), cancelled);
        return route.handler(req);
    }

    Reply notRouted(const std::string& path, bool pathKnown) const {
        if (pathKnown) {
            Reply rep = Reply::error(Status::invalidArgument("method_not_allowed", "Méthode non autorisée pour cette adresse."));
            rep.status = 405;
            rep.headers["Allow"] = router->allowedMethods(path); // RFC 9110 §15.5.6
            return rep;
        }
        return Reply::error(Status::notFound("not_found", "Adresse inconnue : " + path));
    }

    static bool needsBody(const Route& route, const std::string& method, bool announced) {
        return announced || route.jsonBody || method == "POST" || method == "PUT" || method == "PATCH";
    }

    // Queues a job; false when the queue is full (the caller answers 429).
    bool enqueue(Job job) {
        {
            std::lock_guard<std::mutex> g(jobMutex);
            if (jobs.size() >= static_cast<std::size_t>(config.queueLength)) return false;
            jobs.push_back(std::move(job));
            queuedCount = jobs.size();
        }
        jobReady.notify_one();
        return true;
    }

    // ------------------------------------------------------------- I/O thread
    void ioLoop() {
        std::vector<epoll_event> events(512);
        Clock::time_point nextTick = Clock::now();
        while (true) {
            int n = epoll_wait(epollFd, events.data(), static_cast<int>(events.size()), kTickMs);
            if (stopRequested && !draining) beginDrain();
            for (int i = 0; i < n; ++i) {
                std::uint64_t key = events[i].data.u64;
                if (key == 0) { acceptAll(); continue; }
                if (key == ~0ULL) {
                    std::uint64_t v;
                    while (::read(wakeFd, &v, sizeof v) > 0) {}
                    continue;
                }
                auto it = conns.find(key);
                if (it == conns.end()) continue;
                Conn& c = *it->second;
                std::uint32_t ev = events[i].events;
                if (ev & (EPOLLERR | EPOLLHUP)) {
                    if (c.cancelled) c.cancelled->store(true);
                    if (c.state != Conn::State::Routing && c.state != Conn::State::Handling) { close(c); continue; }
                    c.peerClosed = true;
                    watch(c, 0);
                    continue;
                }
                if ((ev & EPOLLRDHUP) && (c.state == Conn::State::Routing || c.state == Conn::State::Handling)) {
                    onDeparture(c);
                    continue;
                }
                if (ev & EPOLLIN) onReadable(c);
                if (conns.count(key) && (ev & EPOLLOUT)) flush(*conns[key]);
            }
            processCompletions();
            Clock::time_point now = Clock::now();
            if (now >= nextTick) {
                nextTick = now + std::chrono::milliseconds(kTickMs);
                sweep(now);
                if (!accepting && !draining && now >= acceptPausedUntil) resumeAccept();
            }
            if (draining && (conns.empty() || now >= drainDeadline)) break;
        }
        // Drain over (or its time is up): close what remains.
        while (!conns.empty()) close(*conns.begin()->second);
    }

    void beginDrain() {
        draining = true;
        drainDeadline = Clock::now() + std::chrono::seconds(config.drainSeconds);
        if (listenFd >= 0) {
            epoll_ctl(epollFd, EPOLL_CTL_DEL, listenFd, nullptr);
            ::close(listenFd);
            listenFd = -1;
        }
        // Idle connections and heads not yet complete: nothing was accepted from them, close now.
        std::vector<Conn*> idle;
        for (auto& [id, c] : conns)
            if (c->state == Conn::State::Head) idle.push_back(c.get());
            else c->closeAfter = true;
        for (Conn* c : idle) close(*c);
    }

    void pauseAccept(int ms) {
        if (!accepting || listenFd < 0) return;
        epoll_ctl(epollFd, EPOLL_CTL_DEL, listenFd, nullptr);
        accepting = false;
        acceptPausedUntil = Clock::now() + std::chrono::milliseconds(ms);
    }
    void resumeAccept() {
        if (listenFd < 0) return;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = 0;
        epoll_ctl(epollFd, EPOLL_CTL_ADD, listenFd, &ev);
        accepting = true;
    }

    static std::string peerOf(const sockaddr_storage& ss) {
        char buf[INET6_ADDRSTRLEN] = "";
        if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
        else if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
        return buf;
    }

    // Refuses a connection with a short 429 written best-effort (the socket buffer is empty: it fits).
    void refuse(int fd, const char* why) {
        ++rejectedConnections;
        std::string body = std::string("{\"error\":\"too_many_connections\",\"message\":\"") + why + "\",\"details\":[]}";
        std::string msg = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\n"
                          "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        [[maybe_unused]] ssize_t n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
    }

    void acceptAll() {
        for (;;) {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            int fd = ::accept4(listenFd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    log.warning(std::string("accept : ") + std::strerror(errno) + " (pause de 100 ms)");
                    pauseAccept(100);
                }
                return;
            }
            std::string peer = peerOf(ss);
            if (conns.size() >= static_cast<std::size_t>(config.maxConnections)) {
                refuse(fd, "Trop de connexions ouvertes sur le service.");
                continue;
            }
            int& mine = perClient[peer];
            if (config.maxConnectionsPerClient > 0 && mine >= config.maxConnectionsPerClient) {
                refuse(fd, "Trop de connexions ouvertes depuis cette adresse.");
                continue;
            }
            ++mine;
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (config.socketSendBufferBytes > 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &config.socketSendBufferBytes, sizeof config.socketSendBufferBytes);
            auto c = std::make_unique<Conn>();
            c->fd = fd;
            c->id = nextId++;
            c->peer = std::move(peer);
            c->waitStart = Clock::now();
            Conn& ref = *c;
            conns.emplace(c->id, std::move(c));
            connectionCount = conns.size();
            ref.events = 0;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = ref.id;
            epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &ev);
            ref.events = ev.events;
        }
    }

    void watch(Conn& c, std::uint32_t events) {
        if (events == c.events) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = c.id;
        epoll_ctl(epollFd, EPOLL_CTL_MOD, c.fd, &ev);
        c.events = events;
    }

    // While a request is worked on, nothing more is read, but the client's end of stream is watched:
    // a client that leaves (FIN or RST) stops its work (see onDeparture).
    void watchDeparture(Conn& c) { watch(c, c.peerClosed ? 0 : EPOLLRDHUP); }

    // End of stream while the request is worked on: the client left (a normal close sends the same
    // FIN as a half-close, and only a write could tell them apart), so its work stops, as nginx does.
    // The answer (503 client_gone if the work noticed) is still written for a half-closed client.
    void onDeparture(Conn& c) {
        if (c.cancelled) c.cancelled->store(true);
        c.peerClosed = true;
        watch(c, 0); // stop hearing the same end of stream again and again
    }

    void close(Conn& c) {
        if (c.cancelled) c.cancelled->store(true);
        pendingBytes -= c.pendingCounted;
        epoll_ctl(epollFd, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        auto pc = perClient.find(c.peer);
        if (pc != perClient.end() && --pc->second <= 0) perClient.erase(pc);
        conns.erase(c.id); // c is gone
        connectionCount = conns.size();
    }

    // Reads what the socket holds (bounded per call), then advances the request.
    void onReadable(Conn& c) {
        const std::uint64_t id = c.id;
        for (int rounds = 0; rounds < 16; ++rounds) {
            char buf[kReadChunk];
            ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n > 0) {
                if (c.state == Conn::State::Lingering) {
                    c.drained += static_cast<std::size_t>(n);
                    if (c.drained > kDrainBytes) { close(c); return; }
                    continue;
                }
                c.in.append(buf, static_cast<std::size_t>(n));
                // A head never needs more than its limit; a body is consumed as it comes.
                if (c.state == Conn::State::Head && c.in.size() > config.maxHeaderBytes + config.maxRequestLineBytes) break;
                if (c.state == Conn::State::Body) {
                    advance(c);
                    if (!conns.count(id)) return;
                    if (c.state != Conn::State::Body) break;
                }
                if (static_cast<std::size_t>(n) < sizeof buf) break;
                continue;
            }
            if (n == 0) { c.peerClosed = true; break; }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close(c); // reset
            return;
        }
        if (c.peerClosed && c.state == Conn::State::Lingering) { close(c); return; }
        advance(c);
    }

    // Moves the request forward with what `c.in` holds.
    void advance(Conn& c) {
        const std::uint64_t id = c.id;
        if (c.state == Conn::State::Head) {
            HeadParse p = parseHead(c.in, limits, c.head);
            if (p.state == HeadParse::State::Incomplete) {
                if (c.peerClosed) { close(c); return; }
                if (c.in.empty()) c.waitStart = Clock::now(); // the head deadline starts at its first byte
                watch(c, EPOLLIN);
                return;
            }
            if (p.state == HeadParse::State::Error) {
                c.started = c.waitStart;
                c.requestId = newRequestId();
                c.matched = nullptr;
                c.organisationId.clear();
                c.head.method.clear();
                c.req.path.clear();
                reply(c, errorReply(p.status, p.error, p.message), /*close=*/true, /*linger=*/true);
                return;
            }
            c.in.erase(0, p.headBytes);
            startRequest(c);
            return;
        }
        if (c.state == Conn::State::Body) {
            readBody(c);
            (void)id;
            return;
        }
        if ((c.state == Conn::State::Routing || c.state == Conn::State::Handling) && c.peerClosed) onDeparture(c);
    }

    void startRequest(Conn& c) {
        ++requests;
        c.state = Conn::State::Body; // until routed; counted in flight
        c.req = Request{};
        c.req.method = c.head.method;
        c.req.headers = c.head.headers;
        c.req.clientAddress = c.peer;
        c.started = Clock::now();
        {
            auto rid = c.head.headers.find("x-request-id");
            c.requestId = rid != c.head.headers.end() && validRequestId(rid->second) ? rid->second : newRequestId();
        }
        c.req.requestId = c.requestId;
        c.req.headers["x-request-id"] = c.requestId;
        c.matched = nullptr;
        c.organisationId.clear();
        c.requestBytes = 0;
        c.route = nullptr;
        c.chunks = ChunkedDecoder{};
        c.rejectAfterBody = false;
        c.closeAfter = draining || !c.head.keepAlive;
        c.linger = false;
        c.cancelled = std::make_shared<std::atomic<bool>>(false);
        try {
            Poco::URI uri(c.head.target);
            c.req.path = uri.getPath();
            for (const auto& [k, v] : uri.getQueryParameters()) c.req.query[k] = v;
        } catch (const Poco::Exception&) {
            reply(c, Reply::error(Status::invalidArgument("bad_uri", "Adresse de requête invalide.")), bodyAnnounced(c), bodyAnnounced(c));
            return;
        }
        if (router->requiresAuthentication(c.req.path)) {
            if (overloaded()) { rejectSaturated(c, /*bodyUnread=*/true); return; }
            // Pass 2 on a worker: the key lookup reads the database.
            c.state = Conn::State::Routing;
            watchDeparture(c);
            Job job;
            job.connId = c.id;
            job.routing = true;
            job.req = c.req;
            job.bodyAnnounced = bodyAnnounced(c);
            job.cancelled = c.cancelled;
            if (bodyAlreadyReceived(c)) {
                const auto length = static_cast<std::size_t>(c.head.contentLength);
                job.req.body.assign(c.in, 0, length);
                c.in.erase(0, length);
                c.requestBytes = length;
                job.bodyPreloaded = true;
            }
            const bool preloaded = job.bodyPreloaded;
            if (!enqueue(std::move(job))) { c.state = Conn::State::Body; rejectSaturated(c, /*bodyUnread=*/!preloaded); }
            return;
        }
        bool pathKnown = false;
        const Route* route = router->match(c.req.method, c.req.path, c.req.params, pathKnown);
        if (!route) {
            reply(c, notRouted(c.req.path, pathKnown), bodyAnnounced(c), bodyAnnounced(c));
            return;
        }
        c.matched = route;
        if (route->inlineCheap && !bodyAnnounced(c)) {
            Reply r;
            try {
                r = route->handler(c.req);
            } catch (...) {
                r = Reply::error(Status::internal("internal", "Erreur interne du service."));
            }
            reply(c, std::move(r), false, false);
            return;
        }
        c.route = route;
        if (needsBody(*route, c.req.method, bodyAnnounced(c))) beginBody(c);
        else dispatchHandler(c);
    }

    static bool bodyAnnounced(const Conn& c) { return c.head.chunked || c.head.contentLength > 0; }

    // A plain (not chunked) body within the limit that has arrived whole with its head.
    bool bodyAlreadyReceived(const Conn& c) const {
        return !c.head.chunked && !c.head.expectContinue && c.head.contentLength > 0 &&
               c.head.contentLength <= static_cast<std::int64_t>(config.maxBodyBytes) &&
               c.in.size() >= static_cast<std::size_t>(c.head.contentLength);
    }

    bool overloaded() const { return pendingBytes.load() > config.maxPendingResponseBytes; }

    void rejectSaturated(Conn& c, bool bodyUnread) {
        if (bodyUnread && bodyAnnounced(c) && !c.head.expectContinue &&
            c.head.contentLength <= static_cast<std::int64_t>(config.maxBodyBytes)) {
            // Reading a body we will not use is cheaper than a reconnection per 429 (keep-alive clients retry at once).
            c.rejectAfterBody = true;
            c.route = nullptr;
            beginBody(c);
            return;
        }
        ++rejectedSaturated;
        bool unread = bodyUnread && bodyAnnounced(c);
        reply(c, saturatedReply(), unread, unread);
    }

    // The route's own limit when it has one (a scanned autorisation), else the server's.
    std::size_t bodyLimit(const Conn& c) const {
        return c.route && c.route->maxBodyBytes > 0 ? c.route->maxBodyBytes : config.maxBodyBytes;
    }

    void beginBody(Conn& c) {
        c.state = Conn::State::Body;
        c.waitStart = Clock::now();
        if (c.head.contentLength > static_cast<std::int64_t>(bodyLimit(c))) {
            reply(c, tooLarge(bodyLimit(c)), true, true);
            return;
        }
        if (c.head.expectContinue && c.head.minorVersion == 1 && bodyAnnounced(c) && c.in.empty()) {
            static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            [[maybe_unused]] ssize_t n = ::send(c.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        watch(c, EPOLLIN);
        readBody(c);
    }

    static Reply tooLarge(std::size_t limit) {
        return Reply::error(Status::payloadTooLarge(
            "payload_too_large", "Corps de requête trop volumineux (maximum " + std::to_string(limit) + " octets)."));
    }

    void readBody(Conn& c) {
        bool complete = false;
        if (c.head.chunked) {
            auto r = c.chunks.feed(c.in, c.req.body);
            if (r == ChunkedDecoder::Result::Error) {
                reply(c, errorReply(400, "bad_chunked_body", c.chunks.error()), true, true);
                return;
            }
            if (c.req.body.size() > bodyLimit(c)) {
                c.req.body.clear();
                reply(c, tooLarge(bodyLimit(c)), true, true);
                return;
            }
            complete = r == ChunkedDecoder::Result::Done;
        } else {
            std::size_t want = c.head.contentLength > 0 ? static_cast<std::size_t>(c.head.contentLength) : 0;
            std::size_t take = std::min(want - c.req.body.size(), c.in.size());
            c.req.body.append(c.in, 0, take);
            c.in.erase(0, take);
            complete = c.req.body.size() == want;
        }
        if (complete) { dispatchHandler(c); return; }
        if (c.peerClosed) {
            // The client announced more than it sent: what arrived may be valid JSON, but not what was meant.
            std::string msg = c.head.chunked
                                  ? std::string("Corps de requête incomplet : le dernier bloc (chunked) n'est pas arrivé.")
                                  : "Corps de requête incomplet : " + std::to_string(c.head.contentLength) + " octets annoncés, " +
                                        std::to_string(c.req.body.size()) + " reçus.";
            reply(c, errorReply(400, "body_incomplete", msg), true, false);
        }
    }

    void dispatchHandler(Conn& c) {
        if (c.rejectAfterBody) {
            c.rejectAfterBody = false;
            std::string().swap(c.req.body);
            rejectSaturated(c, false);
            return;
        }
        if (overloaded()) { rejectSaturated(c, false); return; }
        c.state = Conn::State::Handling;
        c.requestBytes = c.req.body.size();
        watchDeparture(c);
        Job job;
        job.connId = c.id;
        job.req = std::move(c.req);
        job.route = c.route;
        job.cancelled = c.cancelled;
        if (!enqueue(std::move(job))) {
            c.state = Conn::State::Body;
            rejectSaturated(c, false);
        }
    }

    void processCompletions() {
        std::deque<Completion> batch;
        {
            std::lock_guard<std::mutex> g(doneMutex);
            batch.swap(done);
        }
        for (auto& comp : batch) {
            auto it = conns.find(comp.connId);
            if (it == conns.end()) { pendingBytes -= comp.counted; continue; } // the client went away meanwhile
            Conn& c = *it->second;
            if (comp.needBody) {
                c.req = std::move(comp.req);
                c.route = comp.route;
                c.matched = comp.route;
                c.organisationId = comp.organisationId;
                beginBody(c);
                continue;
            }
            if (comp.matched) c.matched = comp.matched;
            if (!comp.organisationId.empty()) c.organisationId = comp.organisationId;
            bool close = comp.reply.headers.count("Connection") && comp.reply.headers["Connection"] == "close";
            comp.reply.headers.erase("Connection");
            // Closing before the body was read: drain what the client still sends (linger).
            reply(c, std::move(comp.reply), close, close, comp.counted);
        }
    }

    // Serialises `r` and starts writing it. `close`: no further request on this connection;
    // `linger`: the client may still be sending (a body we do not read): drain before closing.
    void reply(Conn& c, Reply r, bool close, bool linger, std::size_t counted = 0) {
        const bool wasCancelled = c.cancelled && c.cancelled->load();
        c.cancelled.reset();
        if (c.requestId.empty()) c.requestId = newRequestId();
        r.headers["X-Request-Id"] = c.requestId;
        if (observer) {
            RequestRecord rec;
            rec.requestId = c.requestId;
            rec.method = c.head.method;
            const Route* labelled = c.matched;
            if (!labelled && !c.req.path.empty()) {
                // Refused before routing (401, 429 during authentication): named by the route the path would take.
                std::vector<std::string> ignored;
                bool known = false;
                labelled = router->match(c.req.method, c.req.path, ignored, known);
            }
            rec.route = labelled ? labelled->pathTemplate : "";
            rec.status = r.status;
            rec.durationSeconds =
                std::chrono::duration<double>(Clock::now() - (c.started == Clock::time_point{} ? c.waitStart : c.started)).count();
            rec.organisationId = c.organisationId;
            rec.requestBytes = c.requestBytes;
            rec.responseBytes = r.body.size();
            rec.cancelled = wasCancelled || c.peerClosed;
            try {
                observer(rec);
            } catch (...) {
            }
        }
        c.closeAfter = c.closeAfter || close || draining || c.peerClosed;
        c.linger = linger;
        std::string& o = c.out;
        o.clear();
        c.outOff = 0;
        o.reserve(256 + r.body.size());
        o += "HTTP/1.1 " + std::to_string(r.status) + " " +
             Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status)) + "\r\n";
        o += "Content-Type: " + r.contentType + "\r\n";
        for (const auto& [k, v] : r.headers) o += k + ": " + v + "\r\n";
        o += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
        o += "Date: " + httpDate() + "\r\n";
        o += c.closeAfter ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
        // HEAD: the GET's headers (Content-Length included), never its content (RFC 9110 §9.3.2).
        if (c.head.method != "HEAD") o += r.body;
        std::string().swap(r.body);
        c.pendingCounted = o.size();
        pendingBytes += c.pendingCounted;
        pendingBytes -= counted;
        c.state = Conn::State::Writing;
        c.lastProgress = Clock::now();
        flush(c);
    }

    void flush(Conn& c) {
        if (c.state != Conn::State::Writing) return;
        while (c.outOff < c.out.size()) {
            ssize_t n = ::send(c.fd, c.out.data() + c.outOff, c.out.size() - c.outOff, MSG_NOSIGNAL);
            if (n > 0) {
                c.outOff += static_cast<std::size_t>(n);
                c.lastProgress = Clock::now();
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                watch(c, EPOLLOUT);
                return;
            }
            close(c);
            return;
        }
        // Sent.
        pendingBytes -= c.pendingCounted;
        c.pendingCounted = 0;
        std::string().swap(c.out);
        c.outOff = 0;
        if (c.closeAfter) {
            if (c.linger && !c.peerClosed) {
                ::shutdown(c.fd, SHUT_WR);
                c.state = Conn::State::Lingering;
                c.lingerUntil = Clock::now() + std::chrono::milliseconds(kLingerMs);
                c.in.clear();
                watch(c, EPOLLIN);
                return;
            }
            close(c);
            return;
        }
        // Keep-alive: the next request (maybe already buffered: pipelining).
        c.state = Conn::State::Head;
        c.started = Clock::time_point{};
        c.requestId.clear();
        c.matched = nullptr;
        c.organisationId.clear();
        c.requestBytes = 0;
        c.head.method.clear();
        c.req.path.clear();
        c.waitStart = Clock::now();
        if (c.in.size() > 64 * 1024) c.in.shrink_to_fit();
        watch(c, EPOLLIN);
        if (!c.in.empty() || c.peerClosed) advance(c);
    }

    // Timers: idle and head deadlines, body deadline, slow readers, lingering.
    void sweep(Clock::time_point now) {
        const auto idle = std::chrono::seconds(config.keepAliveSeconds);
        const auto headLimit = std::chrono::seconds(config.timeoutSeconds);
        const auto bodyLimit = std::chrono::seconds(config.bodyTimeoutSeconds);
        const auto writeLimit = std::chrono::seconds(config.writeTimeoutSeconds);
        std::vector<std::uint64_t> closeIds, headTimeouts, bodyTimeouts;
        for (auto& [id, c] : conns) {
            switch (c->state) {
            case Conn::State::Head:
                if (c->in.empty() ? now - c->waitStart > idle : now - c->waitStart > headLimit)
                    (c->in.empty() ? closeIds : headTimeouts).push_back(id);
                break;
            case Conn::State::Body:
                if (now - c->waitStart > bodyLimit) bodyTimeouts.push_back(id);
                break;
            case Conn::State::Writing:
                if (now - c->lastProgress > writeLimit) {
                    ++closedSlow;
                    closeIds.push_back(id);
                }
                break;
            case Conn::State::Lingering:
                if (now > c->lingerUntil) closeIds.push_back(id);
                break;
            default: break;
            }
        }
        for (auto id : closeIds)
            if (auto it = conns.find(id); it != conns.end()) close(*it->second);
        for (auto id : headTimeouts) {
            auto it = conns.find(id);
            if (it == conns.end()) continue;
            ++closedHeadTimeouts;
            reply(*it->second, errorReply(408, "request_timeout", "En-têtes de requête non reçus à temps (" +
                                                                      std::to_string(config.timeoutSeconds) + " s au plus)."),
                  true, false);
        }
        for (auto id : bodyTimeouts) {
            auto it = conns.find(id);
            if (it == conns.end()) continue;
            ++closedHeadTimeouts;
            reply(*it->second, errorReply(408, "request_timeout", "Corps de requête non reçu à temps (" +
                                                                      std::to_string(config.bodyTimeoutSeconds) + " s au plus)."),
                  true, false);
        }
    }
};

ServerConfig ServerConfig::resolved() const {
    ServerConfig c = *this;
    if (c.workers <= 0) c.workers = std::max(2, 2 * cores());
    if (c.queueLength <= 0) c.queueLength = std::max(64, 32 * c.workers);
    if (c.maxConnections <= 0) {
        c.maxConnections = 10000;
        rlimit rl{};
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
            c.maxConnections = static_cast<int>(std::min<rlim_t>(static_cast<rlim_t>(c.maxConnections),
                                                                 rl.rlim_cur > 128 ? rl.rlim_cur - 64 : rl.rlim_cur / 2));
    }
    if (c.maxConnectionsPerClient < 0) c.maxConnectionsPerClient = 0;
    if (c.timeoutSeconds <= 0) c.timeoutSeconds = 10;
    if (c.keepAliveSeconds <= 0) c.keepAliveSeconds = 5;
    if (c.bodyTimeoutSeconds <= 0) c.bodyTimeoutSeconds = 30;
    if (c.writeTimeoutSeconds <= 0) c.writeTimeoutSeconds = 10;
    if (c.drainSeconds < 0) c.drainSeconds = 0;
    if (c.requestTimeoutMs <= 0) c.requestTimeoutMs = 10000;
    return c;
}

Server::Server(ServerConfig config, std::shared_ptr<Router> router) : _config(std::move(config)), _router(std::move(router)) {}

Server::~Server() { stop(); }

void Server::start() {
    if (_impl) return;
    // Room for many connections: raise the soft limit on open files to the hard one.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    _config = _config.resolved();
    auto impl = std::make_unique<Impl>();
    impl->config = _config;
    impl->router = _router;
    impl->observer = _observer;
    impl->open();
    Impl* p = impl.get();
    for (int i = 0; i < _config.workers; ++i) impl->workerThreads.emplace_back([p] { p->workerLoop(); });
    impl->ioThread = std::thread([p] { p->ioLoop(); });
    _impl = std::move(impl);
}

void Server::stop() {
    if (!_impl) return;
    _impl->stopRequested = true;
    _impl->wake();
    if (_impl->ioThread.joinable()) _impl->ioThread.join();
    {
        std::lock_guard<std::mutex> g(_impl->jobMutex);
        _impl->workersStop = true;
        _impl->jobs.clear(); // after the drain: requests whose connection is closed
    }
    _impl->jobReady.notify_all();
    for (auto& t : _impl->workerThreads) t.join();
    if (_impl->listenFd >= 0) ::close(_impl->listenFd);
    ::close(_impl->epollFd);
    ::close(_impl->wakeFd);
    _impl.reset();
}

unsigned short Server::port() const { return _impl ? _impl->boundPort : 0; }

ServerStats Server::stats() const {
    ServerStats s;
    if (!_impl) return s;
    s.connections = _impl->connectionCount;
    s.queued = _impl->queuedCount;
    s.busyWorkers = _impl->busyWorkers;
    s.pendingResponseBytes = _impl->pendingBytes;
    s.requests = _impl->requests;
    s.rejectedSaturated = _impl->rejectedSaturated;
    s.rejectedConnections = _impl->rejectedConnections;
    s.closedSlowReaders = _impl->closedSlow;
    s.closedHeadTimeouts = _impl->closedHeadTimeouts;
    return s;
}

} // namespace passerelle::http
